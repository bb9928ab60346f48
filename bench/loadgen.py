"""HTTP load at a fixed concurrency: wrk (Debian's package) when installed, else a small
Python generator (raw HTTP/1.1 keep-alive on uvloop, spread over processes).

Both take the same input: a list of POST requests (path, bearer token, JSON body), cycled
in order, over C connections for D seconds. Both count as an error any answer that is not
200 or whose body has a top-level `errors` or a non-empty `userErrors`. The Python
generator's worker runs as `python -m bench.loadgen` (spec on stdin, result on stdout).
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_requests.lua"


@dataclass(frozen=True)
class Req:
    path: str
    token: str | None
    body: str  # JSON, on one line


@dataclass
class LoadResult:
    tool: str
    requests: int
    errors: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0


def has_wrk() -> bool:
    return shutil.which("wrk") is not None


def choose(tool: str) -> str:
    if tool == "auto":
        return "wrk" if has_wrk() else "python"
    if tool == "wrk" and not has_wrk():
        raise SystemExit("wrk is not installed (apt-get install -y wrk), use --loadgen python")
    return tool


def run(
    tool: str,
    port: int,
    requests: list[Req],
    connections: int,
    duration_s: float,
    workdir: Path,
    parallel: int = 1,
) -> LoadResult:
    """Drive 127.0.0.1:`port`; `parallel` is wrk's threads or the generator's processes."""
    if tool == "wrk":
        return _wrk(port, requests, connections, duration_s, workdir, parallel)
    return _python(port, requests, connections, duration_s, parallel)


def _percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, math.ceil(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


# --- wrk -----------------------------------------------------------------------------------


def _wrk(
    port: int, requests: list[Req], connections: int, duration_s: float, workdir: Path, threads: int
) -> LoadResult:
    lines = []
    for req in requests:
        auth = f"Bearer {req.token}" if req.token else ""
        if "\t" in req.body or "\n" in req.body:
            raise ValueError("request bodies must be one line without tabs")
        lines.append(f"{req.path}\t{auth}\t{req.body}")
    requests_file = workdir / f"wrk-requests-{port}.tsv"
    requests_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seconds = max(1, round(duration_s))
    threads = max(1, min(threads, connections))
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        f"http://127.0.0.1:{port}",
        "--",
        str(requests_file),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next((line for line in output.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    raw = json.loads(line.removeprefix("BENCH "))
    return LoadResult(
        tool=f"wrk -t{threads}",
        requests=raw["requests"],
        errors=raw["errors"] + raw["socket_errors"],
        duration_s=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
    )


# --- the Python generator ------------------------------------------------------------------


def _python(
    port: int, requests: list[Req], connections: int, duration_s: float, processes: int
) -> LoadResult:
    processes = max(1, min(processes, connections))
    children = []
    for index in range(processes):
        share = connections // processes + (1 if index < connections % processes else 0)
        spec = {
            "port": port,
            "connections": share,
            "duration_s": duration_s,
            "offset": index,
            "requests": [[r.path, r.token, r.body] for r in requests],
        }
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.loadgen"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        child.stdin.write(json.dumps(spec))
        child.stdin.close()
        children.append(child)
    results = []
    for child in children:
        out = child.stdout.read()
        if child.wait() != 0:
            raise RuntimeError("a load generator process failed")
        results.append(json.loads(out))
    latencies = sorted(value for result in results for value in result["latencies_ms"])
    duration = max(result["duration_s"] for result in results)
    return LoadResult(
        tool=f"python x{processes}",
        requests=sum(result["requests"] for result in results),
        errors=sum(result["errors"] for result in results),
        duration_s=duration,
        p50_ms=_percentile(latencies, 50),
        p99_ms=_percentile(latencies, 99),
        max_ms=latencies[-1] if latencies else 0.0,
    )


def encode(req: Req, port: int) -> bytes:
    body = req.body.encode()
    head = [
        f"POST {req.path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    if req.token:
        head.append(f"Authorization: Bearer {req.token}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def failed(status: int, body: bytes) -> bool:
    return status != 200 or b'"errors"' in body or b'"userErrors":[{' in body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length)
    chunks = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        chunks.append(await reader.readexactly(size + 2))
        if size == 0:
            return status, b"".join(chunk[:-2] for chunk in chunks)


async def _worker(spec: dict) -> dict:
    port = spec["port"]
    wire = [encode(Req(*item), port) for item in spec["requests"]]
    deadline = time.perf_counter() + spec["duration_s"]
    latencies: list[float] = []
    counts = {"requests": 0, "errors": 0}
    cursor = spec["offset"]

    async def connection() -> None:
        nonlocal cursor
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                request = wire[cursor % len(wire)]
                cursor += 1
                started = time.perf_counter()
                writer.write(request)
                try:
                    status, body = await read_response(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    counts["errors"] += 1
                    return
                latencies.append((time.perf_counter() - started) * 1000)
                counts["requests"] += 1
                if failed(status, body):
                    counts["errors"] += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(spec["connections"])))
    return {
        **counts,
        "duration_s": time.perf_counter() - started,
        "latencies_ms": [round(value, 3) for value in latencies],
    }


def main() -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    spec = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(_worker(spec))))


if __name__ == "__main__":
    main()

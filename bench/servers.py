"""Server processes started the way a user starts them, each on its own port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTUP_DEADLINE_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api_env(database_url: str, **extra: str) -> dict[str, str]:
    """The API's settings for the bench: limits that would refuse a load test turned off
    (0 turns a rate limit off), room for many websockets, quiet logs."""
    return {
        "DATABASE_URL": database_url,
        "BROADCAST_URL": "memory://",
        "RATE_LIMIT_USER_PER_MINUTE": "0",
        "RATE_LIMIT_IP_PER_MINUTE": "0",
        "CHECK_INS_PER_PAIR_PER_HOUR": "0",
        "WS_INIT_TIMEOUT_S": "60",
        "WS_MAX_SUBSCRIPTIONS": "20",
        "LOG_LEVEL": "warning",
        "METRICS_GC_OBJECTS": "true",  # objects per subscription, (d)
        **extra,
    }


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(name: str, module: str, argv: list[str], env: dict[str, str], workdir: Path) -> Server:
    """`python -m <module> <argv>` on a free port; returns once /healthz answers 200."""
    port = free_port()
    log_path = workdir / f"{name}.log"
    full_env = {**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(port)}
    full_env.pop("TEST_DATABASE_URL", None)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *argv],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, port, process, log_path)
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{server_log(server)}")
        with (
            suppress(OSError),
            urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as response,
        ):
            if response.status == 200:
                return server
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"{name} never answered /healthz:\n{server_log(server)}")
        time.sleep(0.1)


def server_log(server: Server) -> str:
    return server.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]


def api(name: str, database_url: str, workdir: Path, **extra: str) -> Server:
    """`python -m api serve`, as README says."""
    return start(name, "api", ["serve"], api_env(database_url, **extra), workdir)


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def interrupt(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)

"""Start-up smoke test, run on every Python the suite runs on (CI: 3.11, 3.12, 3.13).

`python -m api serve` is started as a user would start it, on this interpreter: it must
come up, answer `/healthz`, `/readyz` and a query that reaches the database, and stop
cleanly on SIGTERM (exit 0, its last log lines written). Python 3.12 changed how
`logging.config` builds queue handlers, which once killed the server at start-up on
every Python after 3.11; this is the test that would have caught it.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

from tests import servers

WAIT = 10.0
# The Pythons CI tests (.ci/run), as pyproject.toml and the README state them.
SUPPORTED = ["3.11", "3.12", "3.13"]
SMOKE = "query Smoke { __typename viewer { id } }"


def _env(tmp_path: Path, log_format: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEST_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        DATABASE_URL=f"sqlite://{tmp_path / 'smoke.db'}",
        BROADCAST_URL="memory://",
        LOG_FORMAT=log_format,
        LOG_LEVEL="info",
    )
    return env


@pytest.mark.timeout(60)
@pytest.mark.parametrize("log_format", ["json", "text"])
def test_serve_starts_answers_and_stops_on_sigterm(tmp_path: Path, log_format: str) -> None:
    log_path = tmp_path / "server.log"
    port = servers.free_port()
    process = servers.start_serve(_env(tmp_path, log_format), port, log_path)
    try:
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/healthz", timeout=WAIT).status_code == 200
        ready = httpx.get(f"{base}/readyz", timeout=WAIT)
        assert ready.status_code == 200, ready.text
        answer = httpx.post(f"{base}/graphql", json={"query": SMOKE}, timeout=WAIT)
        assert answer.status_code == 200
        assert answer.json() == {"data": {"__typename": "Query", "viewer": None}}
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    try:
        returncode = process.wait(timeout=WAIT)
    except Exception:
        servers.stop(process, signal.SIGKILL)
        raise
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert returncode == 0, log[-4000:]
    assert "Traceback" not in log, log[-4000:]
    lines = [line for line in log.splitlines() if line.strip()]
    if log_format == "json":
        records = [json.loads(line) for line in lines]  # every line is one JSON object
        messages = [record["message"] for record in records]
        access = [r for r in records if r["logger"] == "api.access" and r["path"] == "/graphql"]
        assert [(a["operation_name"], a["outcome"]) for a in access] == [("Smoke", "ok")]
    else:
        messages = lines
        assert not any(line.startswith("{") for line in lines)
    # It says where to go (the demo logins too, when the demo data is there).
    assert any(f"GraphQL on http://127.0.0.1:{port}/graphql" in m for m in messages), messages
    assert any(f"http://127.0.0.1:{port}/app/" in message for message in messages)
    # Nothing before start-up reads as a stop: the checks' own database closes are quiet.
    started = next(n for n, m in enumerate(messages) if "Started server process" in m)
    assert not any("shutdown" in message.lower() for message in messages[:started]), messages
    # Written from the log thread after the server stopped: nothing queued was lost.
    assert any("Finished server process" in message for message in messages), log[-4000:]
    assert any("Application shutdown complete" in message for message in messages)


def test_the_supported_versions_agree_everywhere() -> None:
    """pyproject.toml's classifiers, its requires-python and the README name the same
    Pythons, and this interpreter is not older than the oldest of them."""
    project = tomllib.loads((servers.ROOT / "pyproject.toml").read_text())["project"]
    classified = [
        c.rsplit(" :: ", 1)[1]
        for c in project["classifiers"]
        if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert classified == SUPPORTED
    assert project["requires-python"] == f">={SUPPORTED[0]}"
    readme = (servers.ROOT / "README.md").read_text()
    assert f"Python {', '.join(SUPPORTED[:-1])} and {SUPPORTED[-1]}" in readme
    assert sys.version_info[:2] >= tuple(int(part) for part in SUPPORTED[0].split("."))


@pytest.mark.timeout(60)
def test_a_busy_port_gets_one_clear_line_naming_port(tmp_path: Path) -> None:
    """Not uvicorn's `[Errno 98]` traceback: what is wrong, and the setting to change."""
    import socket
    import subprocess

    port = servers.free_port()
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", port))
        taken.listen()
        env = {**_env(tmp_path, "text"), "HOST": "127.0.0.1", "PORT": str(port)}
        done = subprocess.run(
            [sys.executable, "-m", "api", "serve"],
            cwd=servers.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in done.stderr, done.stderr
    assert f"PORT={port + 1}" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout

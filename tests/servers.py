"""Real `python -m api serve` processes for tests that need a server over a socket."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
STARTUP_DEADLINE = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    """Signal a process we started and reap it (SIGKILL if it lingers)."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _tail(log_path: Path) -> str:
    return log_path.read_text(encoding="utf-8", errors="replace")[-6000:]


def start_serve(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    """Start `python -m api serve` on 127.0.0.1:`port` and wait until /healthz answers;
    fail the test with the server's log if it exits or never answers."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "api", "serve"],
            cwd=ROOT,
            env={**env, "HOST": "127.0.0.1", "PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + STARTUP_DEADLINE
    while True:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{_tail(log_path)}")
        with suppress(httpx.TransportError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        if time.monotonic() > deadline:
            stop(process)
            pytest.fail(f"no answer on /healthz within {STARTUP_DEADLINE} s:\n{_tail(log_path)}")
        time.sleep(0.1)


@contextmanager
def serving(env: dict[str, str], log_path: Path) -> Iterator[tuple[int, subprocess.Popen]]:
    """A server on a free port for the body's duration: (port, process)."""
    port = free_port()
    process = start_serve(env, port, log_path)
    try:
        yield port, process
    finally:
        stop(process)

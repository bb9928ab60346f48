"""GraphQL over HTTP conformance: every audit of the npm `graphql-http` package passes.

`python -m api serve` runs as a subprocess on a free port with its own SQLite file;
tests/audit/audit.mjs runs `serverAudits` from graphql-http (pinned, with integrity
hashes, in tests/audit/package-lock.json) against it over TCP. Every audit must be `ok`:
no error (MUST), no warning (SHOULD), no notice (MAY).

Needs `node` (18+, for the global `fetch`) and `npm` on PATH, else the test is skipped;
the first run installs tests/audit/node_modules with `npm ci` (needs the npm registry).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import servers

AUDIT_DIR = Path(__file__).resolve().parent / "audit"


@pytest.fixture(scope="module")
def node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("the graphql-http audit needs `node` and `npm` on PATH")
    if not (AUDIT_DIR / "node_modules" / "graphql-http").is_dir():
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=AUDIT_DIR,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert installed.returncode == 0, f"npm ci failed:\n{installed.stdout}{installed.stderr}"
    return node


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m api serve` on a free port with a fresh SQLite file (serve migrates it)."""
    database = tmp_path_factory.mktemp("audit") / "audit.db"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{database}",
        "BROADCAST_URL": "memory://",
        "LOG_LEVEL": "warning",
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_KIB": "64",
    }
    with servers.serving(env, database.with_suffix(".log")) as (port, _):
        yield f"http://127.0.0.1:{port}/graphql"


def test_every_graphql_http_server_audit_passes(node: str, endpoint: str) -> None:
    run = subprocess.run(
        [node, "audit.mjs", endpoint],
        cwd=AUDIT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, f"the audit did not run:\n{run.stdout}{run.stderr}"
    report = json.loads(run.stdout)
    failed = [r for r in report["results"] if r["status"] != "ok"]
    print(f"graphql-http serverAudits: {report['ok']}/{report['total']} ok")
    assert report["total"] > 0
    assert not failed, "\n".join(
        f"{r['status']} {r['id']} {r['name']}: {r['reason']}" for r in failed
    )
    assert report["ok"] == report["total"]

"""The benchmark's tiny configuration: the same code as `make bench`, for a few seconds,
so the suite can't silently rot. Work counts only (no timing asserts): every row is
there, the baseline answers the API's JSON, no event is lost, no request fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# The tiny bench: once per CI run (.ci/run deselects it on the other Pythons).
pytestmark = pytest.mark.one_python

ROOT = Path(__file__).resolve().parent.parent
LATEST = ROOT / "bench" / "results" / "latest.md"
ROWS = {
    "a.json": "(a) dashboard answer equals",
    "loadgen": "load generator check",
    "a.p50": "(a) dashboard p50 latency",
    "a.rounds": "(a) dashboard p50 vs baseline per round",
    "a.p50.off": "(a) dashboard p50 latency with plans off",
    "a.p99": "(a) dashboard p99 latency",
    "a.rps": "(a) dashboard throughput",
    "a.member": "(a) member's pairs page p50 latency",
    "a.member.rounds": "(a) member's page p50 vs its baseline per round",
    "b.rps": "(b) `{ __typename }` throughput",
    "b.rounds": "(b) throughput vs Strawberry's defaults per round",
    "c.p50": "(c) fan-out publish-to-receive p50",
    "c.p99": "(c) fan-out p99",
    "c.max": "(c) fan-out max",
    "c.lost": "(c) events lost",
    "c.rate": "(c) check-ins sent per second",
    "d.rss": "(d) server RSS per idle subscription",
    "c.40.40": "(c) 40 subscriptions x 40 check-ins/s",
    "c.40.60": "(c) 40 subscriptions x 60 check-ins/s",
    "c.8.40": "(c) 8 subscriptions x 40 check-ins/s",
    "c.knee": "(c) the knee at 40 subscriptions",
    "e.sqlite": "(e) check-ins accepted per second, SQLite",
}


@pytest.mark.timeout(180)
def test_tiny_bench_runs_every_section_without_losing_work(tmp_path: Path) -> None:
    out, results = tmp_path / "latest.md", tmp_path / "results.json"
    before = LATEST.stat().st_mtime_ns if LATEST.exists() else None
    # SQLite whatever the suite runs on; the PostgreSQL row is skipped in the tiny run.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEST_")}
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--tiny", "--out", str(out), "--json", str(results)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]

    report = json.loads(results.read_text())
    rows = {row["key"]: row for row in report["rows"]}
    assert set(ROWS) <= set(rows)
    table = out.read_text()
    for name in ROWS.values():
        assert name in table
    assert "## Machine" in table and "CPU" in table

    details = report["details"]
    check = details["a_json_check"]
    assert check["same_json"] and check["same_bytes"]
    assert check["page_pairs"] == 20 and check["statements"] > 0
    assert len(details["a"]) == len(details["b"]) == len(details["a_member"]) == 1  # tiny
    member = details["a_member_check"]
    # Person 2's two pairs (one per program), each showing a full page of check-ins.
    assert member["same_json"] and member["pairs"] == 2 and member["check_ins"] == 2 * 20
    for side in ("api", "baseline"):
        run_ = details["a_member"][0][side]
        assert run_["errors"] == 0 and run_["requests"] > 0
    for side in ("api", "baseline", "no_plans"):
        assert details["a"][0][side]["errors"] == 0 and details["a"][0][side]["requests"] > 0
    for side in ("api", "defaults"):
        assert details["b"][0][side]["errors"] == 0 and details["b"][0][side]["requests"] > 0
    phases = [*details["c"]["api"]["40"], *details["c"]["api"]["8"], details["c"]["bare"]]
    # The rates in order; a phase that missed its bound on a busy machine runs again at
    # the same rate (a `repeat`), which is the bench working as designed.
    rates = list(dict.fromkeys(p["rate"] for p in details["c"]["api"]["40"]))
    assert rates[:2] == [40, 60]
    for fanout in phases:
        assert fanout["subscriptions"] in (8, 40)
        assert fanout["posted"] > 0 and fanout["posted_ok"] == fanout["posted"]
        assert fanout["expected"] == 2 * fanout["posted"]
        assert fanout["received"] == fanout["expected"]  # zero lost
        assert fanout["duplicates"] == 0 and fanout["subscriber_errors"] == 0
        assert fanout["closed_early"] == 0
    assert details["e_sqlite"]["errors"] == 0 and details["e_sqlite"]["requests"] > 0
    assert (LATEST.stat().st_mtime_ns if LATEST.exists() else None) == before

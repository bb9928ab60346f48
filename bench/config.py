"""Every size, duration and concurrency of a run; `tiny()` is the test suite's."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Config:
    # Data.
    dashboard_pairs: int = 1000  # pairs in the admin's program (a)
    page_size: int = 50  # pairs per dashboard page (a)
    live_pairs: int = 2500  # pairs whose two members subscribe (c, d)
    milestones_done: int = 2  # completed milestones per pair, of the template's steps
    # HTTP load (a, b, e).
    connections: int = 32  # fixed concurrency
    duration_s: float = 10.0  # per measured run
    warmup_s: float = 2.0  # load before each measured run (0: one request)
    check_in_connections: int = 16  # (e)
    loadgen: str = "auto"  # auto (wrk when installed), wrk, python
    loadgen_processes: int = 1  # Python load generator processes, or wrk threads
    query_rounds: int = 3  # (a) and (b): each figure this many times, A B A B
    # Fan-out (c, d).
    fanout_duration_s: float = 25.0
    subscriber_processes: int = 4
    drain_s: float = 2.0  # wait for the last frames once the server is idle again
    fanout_sizes: str = "1000,2500"  # smaller runs besides every live pair's two members
    fanout_rates: str = "200,300"  # check-ins per second, one phase each, in this order
    fanout_knee_step: float = 100.0  # past the rates, raise by this while p99 ≤100 ms
    # PostgreSQL (e): tried when it answers at this URL (the server's database is made and
    # dropped next to it); "" skips it.
    postgres_url: str = "postgres://postgres:postgres@127.0.0.1:5432/postgres"
    # Two workers on PostgreSQL and Redis (g): pairs whose two members subscribe, one on
    # each worker; skipped without PostgreSQL (above) or Redis here.
    redis_url: str = "redis://127.0.0.1:6379/0"
    scaled_pairs: int = 5000

    @property
    def subscriptions(self) -> int:
        return 2 * self.live_pairs


def tiny() -> Config:
    """A few seconds of the same code: the test suite runs it so the bench can't rot."""
    return Config(
        dashboard_pairs=60,
        page_size=20,
        query_rounds=1,
        live_pairs=20,
        connections=4,
        duration_s=1.0,
        warmup_s=0.0,
        check_in_connections=4,
        fanout_duration_s=1.5,
        subscriber_processes=2,
        drain_s=1.0,
        fanout_sizes="8",
        fanout_rates="40,60",
        fanout_knee_step=0.0,
        postgres_url="",
        redis_url="",
        scaled_pairs=20,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One --flag per field (--dashboard-pairs 1000 ...), defaulting to the chosen preset."""
    for spec in dataclasses.fields(Config):
        parser.add_argument(
            "--" + spec.name.replace("_", "-"),
            type={"int": int, "float": float, "str": str}[str(spec.type)],
            default=None,
            help=f"default {getattr(Config(), spec.name)!r} (tiny: {getattr(tiny(), spec.name)!r})",
        )


def from_arguments(args: argparse.Namespace, base: Config) -> Config:
    changes = {
        spec.name: getattr(args, spec.name)
        for spec in dataclasses.fields(Config)
        if getattr(args, spec.name, None) is not None
    }
    return dataclasses.replace(base, **changes)

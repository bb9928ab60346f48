"""Configuration, read once from the environment. Every setting has a safe default.

Each field is read from the environment variable of the same name in upper case
(`max_depth` from MAX_DEPTH), converted to the field's type.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


_PARSERS = {"bool": _bool, "int": int, "float": float, "str": str, "tuple[str, ...]": _list}


@dataclass(frozen=True)
class Settings:
    # Where state lives (docs/operations.md: Settings, Scaling out).
    database_url: str = "sqlite://mentorship.db"
    broadcast_url: str = "memory://"
    # Serving.
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    behind_tls: bool = False  # clients reach us over https (a proxy's TLS): send HSTS
    debug: bool = False
    log_level: str = ""  # empty: "debug" when DEBUG is on, else "info"
    # Operability (docs/operations.md): log lines, /metrics, and how long a stop may take.
    log_format: str = "auto"  # json, text, or auto: text on a terminal, else json
    metrics: bool = True  # serve Prometheus metrics at /metrics
    metrics_max_operation_names: int = 200  # distinct operation-name labels, then "other"
    metrics_gc_objects: bool = False  # python_gc_tracked_objects: walks every object
    shutdown_grace_s: float = 10.0  # on SIGTERM: for websockets to close, then for requests
    # Fast paths, each on by default; switch them off to measure what they buy (bench/).
    graphql_caches: bool = True  # parser and validation caches
    orjson: bool = True  # response serialisation
    server_loop: str = "uvloop"  # uvicorn's --loop: uvloop or asyncio
    server_http: str = "httptools"  # uvicorn's --http: httptools or h11
    gc_policy: bool = True  # freeze connections' objects, reclaim when quiet (api/runtime.py)
    # Accounts.
    token_ttl_days: int = 30
    # argon2id cost; the defaults are argon2-cffi's (RFC 9106's low-memory choice).
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536
    login_failures_allowed: int = 10  # per email, within the window below
    login_failure_window_s: int = 900
    login_lockout_s: int = 900
    # Query limits (refused with a distinct extensions.code each).
    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_directives: int = 50
    max_cost: int = 5000
    max_body_bytes: int = 1_000_000
    introspection: bool = True
    # Websockets.
    ws_init_timeout_s: float = 10.0
    ws_max_subscriptions: int = 20
    ws_ping_interval_s: float = 20.0
    ws_ping_timeout_s: float = 20.0
    ws_max_message_bytes: int = 65536
    # Frames waiting for a reader that stopped reading: past this, its subscription ends
    # with SLOW_CONSUMER (api/graphql.py).
    ws_max_pending_frames: int = 1000
    # Abuse limits.
    rate_limit_user_per_minute: int = 60  # mutations per signed-in user
    rate_limit_ip_per_minute: int = 120  # mutations per client IP
    check_ins_per_pair_per_hour: int = 30  # per author, into one pair
    # Idempotent retries (api/idempotency.py): how long a retry waits for the first
    # request with its key to answer before IDEMPOTENCY_KEY_IN_USE.
    idempotency_wait_s: float = 5.0
    # Matching and notifications: seconds between check-in reminder passes (0: off).
    reminder_interval_s: float = 300.0
    # The outbox relay (api/relay.py): seconds between passes (0: off), and how long
    # after commit a row still unpublished is the relay's to publish.
    relay_interval_s: float = 1.0
    relay_after_s: float = 2.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values = {}
        for spec in dataclasses.fields(cls):
            raw = env.get(spec.name.upper())
            if raw is not None and raw.strip() != "":
                values[spec.name] = _PARSERS[str(spec.type)](raw.strip())
        return cls(**values)

    def __post_init__(self) -> None:
        if not self.log_level:
            object.__setattr__(self, "log_level", "debug" if self.debug else "info")
        object.__setattr__(self, "log_level", self.log_level.lower())
        object.__setattr__(self, "log_format", self.log_format.lower())
        if self.log_format not in ("auto", "json", "text"):
            raise ValueError(f"LOG_FORMAT must be json, text or auto, not {self.log_format!r}")
        if self.server_loop not in {"uvloop", "asyncio"}:
            raise ValueError(f"SERVER_LOOP must be uvloop or asyncio, not {self.server_loop!r}")
        if self.server_http not in {"httptools", "h11"}:
            raise ValueError(f"SERVER_HTTP must be httptools or h11, not {self.server_http!r}")

    @property
    def is_shared(self) -> bool:
        """Neither SQLite nor in-process pub/sub: many processes can share the state."""
        return not (
            self.database_url.startswith("sqlite") or self.broadcast_url.startswith("memory")
        )

    @property
    def is_embedded(self) -> bool:
        """SQLite plus in-process pub/sub: one process owns everything."""
        return self.database_url.startswith("sqlite") and self.broadcast_url.startswith("memory")

"""Configuration, read once from the environment. Every setting has a safe default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(item.strip() for item in value.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite://mentorship.db"
    broadcast_url: str = "memory://"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    debug: bool = False
    token_ttl_days: int = 30
    log_level: str = "info"
    # argon2id cost; the defaults are argon2-cffi's (RFC 9106's low-memory choice).
    password_hash_time_cost: int = 3
    password_hash_memory_kib: int = 65536

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("DATABASE_URL") or cls.database_url,
            broadcast_url=env.get("BROADCAST_URL") or cls.broadcast_url,
            host=env.get("HOST") or cls.host,
            port=int(env.get("PORT") or cls.port),
            workers=int(env.get("WORKERS") or cls.workers),
            allowed_origins=_list(env.get("ALLOWED_ORIGINS")),
            debug=_bool(env.get("DEBUG"), False),
            token_ttl_days=int(env.get("TOKEN_TTL_DAYS") or cls.token_ttl_days),
            log_level=(
                env.get("LOG_LEVEL")
                or ("debug" if _bool(env.get("DEBUG"), False) else cls.log_level)
            ).lower(),
            password_hash_time_cost=int(
                env.get("PASSWORD_HASH_TIME_COST") or cls.password_hash_time_cost
            ),
            password_hash_memory_kib=int(
                env.get("PASSWORD_HASH_MEMORY_KIB") or cls.password_hash_memory_kib
            ),
        )

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

"""`python -m api serve | migrate | seed-demo | export-schema | backup`."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import signal
import socket
import sys
from pathlib import Path

from api.settings import Settings


def _serve(settings: Settings) -> None:
    import uvicorn

    # The checks before serving open and close the database: Tortoise's "Tortoise-ORM
    # shutdown" lines from them read as if the server had stopped before it started.
    tortoise_log = logging.getLogger("tortoise")
    level = tortoise_log.level
    tortoise_log.setLevel(logging.WARNING)

    if settings.workers > 1 and not settings.is_shared:
        sys.exit(
            "WORKERS > 1 needs a shared database and broker: set DATABASE_URL to "
            "PostgreSQL and BROADCAST_URL to Redis (docs/operations.md, Scaling out)."
        )
    if settings.is_embedded:
        # One process owns the SQLite file: it may bring the schema up to date itself.
        asyncio.run(_migrate(settings))
    else:
        # Many workers may start at once: they never migrate; `python -m api migrate` does.
        pending = asyncio.run(_pending(settings))
        if pending:
            sys.exit(
                f"The database needs migrations {', '.join(pending)}: "
                "run `python -m api migrate` once, then start the workers."
            )
    if _port_taken(settings.host, settings.port):
        sys.exit(
            f"Port {settings.port} on {settings.host} is already in use (another server?). "
            f"Stop it, or serve on another port: PORT={settings.port + 1} make run"
        )
    _announce(settings, asyncio.run(_demo_present(settings)) if settings.is_embedded else False)
    tortoise_log.setLevel(level)
    from api import logs, shutdown

    # uvicorn re-raises SIGTERM after stopping; after a graceful stop, exit 0 instead.
    signal.signal(signal.SIGTERM, shutdown.exit_after_graceful_stop)
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        # Every worker applies it: JSON or text lines, uvicorn's included. The access
        # line comes from api/logs.py's middleware (with the request id), not uvicorn.
        log_config=logs.logging_config(settings),
        access_log=False,
        # In-flight requests get this long after the websockets closed (api/shutdown.py).
        timeout_graceful_shutdown=settings.shutdown_grace_s,  # type: ignore[arg-type]
        ws="websockets-sansio",
        ws_max_size=settings.ws_max_message_bytes,
        # graphql-transport-ws pings every connection already (api/graphql.py); uvicorn's
        # own protocol-level ping on top would double that traffic for nothing.
        ws_ping_interval=None,
        loop=settings.server_loop,
        http=settings.server_http,
    )


def _port_taken(host: str, port: int) -> bool:
    """Whether something already listens on host:port: uvicorn would end in a bare
    `[Errno 98]` traceback. Bound as uvicorn binds (SO_REUSEADDR), then let go."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return error.errno == errno.EADDRINUSE
    return False


def _announce(settings: Settings, demo: bool) -> None:
    """Where to go: GraphQL and GraphiQL, the example app, and the demo logins when the
    demo data is there (logged, so that JSON logs stay one object per line)."""
    log = logging.getLogger("api.cli")
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host  # noqa: S104
    base = f"http://{host}:{settings.port}"
    log.info("GraphQL on %s/graphql (open it in a browser for GraphiQL)", base)
    log.info("The example app on %s/app/", base)
    if demo:
        from api.demo import DEMO_PASSWORD, DEMO_PEOPLE

        log.info("Demo logins, password %s:", DEMO_PASSWORD)
        for email, name, what in DEMO_PEOPLE:
            log.info("  %s (%s): %s", email, name, what)


async def _demo_present(settings: Settings) -> bool:
    from tortoise import Tortoise

    from api.db import tortoise_config
    from api.demo import DEMO_PEOPLE
    from models import User

    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        return await User.filter(email=DEMO_PEOPLE[0][0]).exists()
    finally:
        await Tortoise.close_connections()


def _clear_metrics_dir() -> None:
    """Multiprocess metrics (api/metrics.py): drop the files of an earlier run. Before
    api.metrics is imported, which creates this process's files."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()


async def _pending(settings: Settings) -> list[str]:
    from api.db import pending_migrations

    return await pending_migrations(settings.database_url)


async def _migrate(settings: Settings) -> None:
    from api.db import migrate

    await migrate(settings.database_url)


async def _seed(settings: Settings, if_empty: bool) -> None:
    from tortoise import Tortoise

    from api.db import tortoise_config
    from api.demo import seed_demo

    await _migrate(settings)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        await seed_demo(if_empty=if_empty)
    finally:
        await Tortoise.close_connections()


def _export_schema(output: str | None) -> None:
    from schema import schema

    sdl = schema.as_str() + "\n"
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(sdl)
    else:
        sys.stdout.write(sdl)


def _backup(settings: Settings, target: str) -> None:
    """One line: what was copied where, or why not (exit status 1)."""
    from api.backup import BackupError, backup

    try:
        done = backup(settings.database_url, Path(target))
    except BackupError as error:
        sys.exit(str(error))
    print(done)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="Serve GraphQL on HOST:PORT (default 127.0.0.1:8000).")
    commands.add_parser("migrate", help="Apply pending database migrations, then exit.")
    seed = commands.add_parser("seed-demo", help="Create demo data and print the demo logins.")
    seed.add_argument(
        "--if-empty", action="store_true", help="Do nothing when the database has users."
    )
    export = commands.add_parser("export-schema", help="Print the GraphQL SDL.")
    export.add_argument("--output", help="Write the SDL to this file instead of stdout.")
    backup = commands.add_parser(
        "backup",
        help="Copy the SQLite database to FILE, consistently, while the server runs.",
    )
    backup.add_argument(
        "file", metavar="FILE", help="Where to write the copy (replaced if it exists)."
    )
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    if args.command == "serve":
        _clear_metrics_dir()
    from api.logs import configure_logging

    configure_logging(settings)
    if args.command == "serve":
        _serve(settings)
    elif args.command == "migrate":
        asyncio.run(_migrate(settings))
    elif args.command == "seed-demo":
        asyncio.run(_seed(settings, args.if_empty))
    elif args.command == "export-schema":
        _export_schema(args.output)
    elif args.command == "backup":
        _backup(settings, args.file)

"""Log lines: one JSON object per line (or plain text for a terminal), each carrying the
id of the request it belongs to.

- `RequestContextMiddleware` gives every HTTP request and websocket connection a request
  id (the caller's `X-Request-ID` when it is sane, else a fresh one), echoes it in the
  `X-Request-ID` response header, keeps it in a context variable for the whole request
  (tasks started inside inherit it: services, subscriptions), and writes one access line
  per request in place of uvicorn's. A GraphQL operation served over HTTP adds its
  fields to that line (`attach_to_access_line`): one line per request, not two, since a
  line costs a few percent of a small query's time.
- A log record factory copies the context variable into every record as `request_id`,
  whichever logger made it, so a service's warning names the request that caused it.
- `logging_config(settings)` is the `logging.config.dictConfig` for `serve` (passed to
  uvicorn as `log_config`, so every worker process applies it) and the other commands.
"""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import os
import queue
import re
import sys
import time
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import metrics, runtime
from api.settings import Settings

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
# The fields of the HTTP request being served, for its access line (None elsewhere).
_ACCESS_FIELDS: ContextVar[dict[str, Any] | None] = ContextVar("access_fields", default=None)
REQUEST_ID_HEADER = "x-request-id"
# What we accept from a caller: short, printable, nothing that could break a log line.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}", re.ASCII)
# Probes and scrapes: logged at DEBUG, not counted as requests in progress.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

access_log = logging.getLogger("api.access")

# Attributes every LogRecord has; anything else on a record is an `extra` field.
_RECORD_FIELDS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "request_id", "color_message"}
)


def current_request_id() -> str | None:
    return REQUEST_ID.get()


def attach_to_access_line(fields: dict[str, Any]) -> bool:
    """Add `fields` to the access line of the HTTP request being served; False when
    there is none (a websocket operation), and the caller logs a line of its own."""
    access = _ACCESS_FIELDS.get()
    if access is None:
        return False
    access.update(fields)
    return True


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-ID if it is sane, else a new random one."""
    for name, value in headers:
        if name == b"x-request-id":
            candidate = value.decode("latin-1").strip()
            if _SANE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return os.urandom(16).hex()


# --- records and formatters ---------------------------------------------------------------

_factory_installed = False


def install_record_factory() -> None:
    """Give every log record a `request_id` attribute (None outside a request). Idempotent."""
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = REQUEST_ID.get()
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _RECORD_FIELDS and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, the record's
    `extra` fields, and the traceback (as text) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            entry["request_id"] = request_id
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        try:
            return orjson.dumps(entry, default=str).decode()
        except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, say
            return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """For a person at a terminal: `time level logger [request id] message key=value...`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s%(rid)s: %(message)s%(kv)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.rid = f" [{request_id}]" if request_id else ""
        extras = _extras(record)
        extras.pop("rid", None)
        extras.pop("kv", None)
        record.kv = "".join(f" {key}={value}" for key, value in extras.items())
        try:
            return super().format(record)
        finally:
            del record.rid, record.kv


class BackgroundStreamHandler(logging.Handler):
    """Lines to a stream, formatted and written by a thread of their own: the event loop
    only enqueues the record, and never waits on a write to a slow pipe or disk.

    A plain `Handler` that owns its queue and listener, not a `QueueHandler` subclass:
    `logging.config.dictConfig` builds `QueueHandler` subclasses its own way since Python
    3.12 (it wants `handlers` and `queue` keys, and refuses this one), so this class
    configures the same on 3.11, 3.12 and 3.13."""

    def __init__(self, stream: Any = None) -> None:
        super().__init__()
        self.queue: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        self.sink = logging.StreamHandler(stream or sys.stderr)
        self.listener = logging.handlers.QueueListener(self.queue, self.sink)
        self.listener.start()
        self._running = True
        atexit.register(self._stop)  # drains what is queued

    def setFormatter(self, fmt: logging.Formatter | None) -> None:  # noqa: N802 (logging's name)
        super().setFormatter(fmt)
        self.sink.setFormatter(fmt)

    def emit(self, record: logging.LogRecord) -> None:
        # Formatted by the sink, in the listener's thread.
        self.queue.put_nowait(record)

    def _stop(self) -> None:
        if self._running:  # stop() once: a second one would fail
            self._running = False
            self.listener.stop()

    def close(self) -> None:
        self._stop()
        super().close()


def resolved_format(settings: Settings) -> str:
    """`auto`: text when stderr is a terminal (someone is watching), JSON otherwise."""
    if settings.log_format != "auto":
        return settings.log_format
    return "text" if sys.stderr.isatty() else "json"


def logging_config(settings: Settings) -> dict[str, Any]:
    """A dictConfig for the app, uvicorn's loggers included (its access log is off: the
    middleware writes one line per request, with the request id and the duration)."""
    install_record_factory()
    json_lines = resolved_format(settings) == "json"
    formatter = "api.logs.JsonFormatter" if json_lines else "api.logs.TextFormatter"
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": formatter}},
        "handlers": {
            "default": {
                "class": "api.logs.BackgroundStreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            # uvicorn's own loggers go through the root handler, in the same format.
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": level, "propagate": True},
        },
    }


def configure_logging(settings: Settings) -> None:
    import logging.config

    logging.config.dictConfig(logging_config(settings))


# --- the middleware -------------------------------------------------------------------------


class RequestContextMiddleware:
    """Request id, access line and in-progress gauge for every HTTP request and websocket."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers") or [])
        token = REQUEST_ID.set(request_id)
        header = (REQUEST_ID_HEADER.encode(), request_id.encode())
        status = 500  # what the client gets if the app raises before answering
        close_code: int | None = None
        path = scope.get("path", "")
        quiet = path in QUIET_PATHS
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, close_code
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), header]}
            elif kind == "websocket.accept":
                status = 101
                message = {**message, "headers": [*message.get("headers", []), header]}
            elif kind == "websocket.close":
                close_code = message.get("code", 1000)
                if status == 500:
                    status = 403  # closed before accepting: the handshake was refused
            await send(message)

        if not quiet:
            runtime.note_activity()
        in_progress = scope["type"] == "http" and not quiet
        if in_progress:
            metrics.HTTP_IN_PROGRESS.inc()
        extra: dict[str, Any] = {}
        fields_token = _ACCESS_FIELDS.set(extra) if scope["type"] == "http" else None
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if fields_token is not None:
                _ACCESS_FIELDS.reset(fields_token)
            if in_progress:
                metrics.HTTP_IN_PROGRESS.dec()
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            method = scope.get("method", "GET") if scope["type"] == "http" else "WS"
            if scope["type"] == "http":
                metrics.count_http_response(method, status)
            client = scope.get("client")
            fields: dict[str, Any] = {
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
                "client": client[0] if client else None,
            }
            if close_code is not None:
                fields["close_code"] = close_code
            fields.update(extra)  # the GraphQL operation's, if one ran
            summary = (
                f" ({fields['operation_type']} {fields['operation_name'] or 'anonymous'}:"
                f" {fields['outcome']})"
                if "outcome" in fields
                else ""
            )
            access_log.log(
                logging.DEBUG if quiet else logging.INFO,
                "%s %s %s%s",
                method,
                path,
                status,
                summary,
                extra=fields,
            )
            REQUEST_ID.reset(token)

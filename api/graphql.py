"""The GraphQL endpoint: context per request, websocket auth from `connection_init`,
and the transport's hardening.

HTTP (GraphQL over HTTP, https://graphql.github.io/graphql-over-http/draft/):
- GET runs queries only. A mutation over GET is refused with 405 (`Allow: POST`) and
  `METHOD_NOT_ALLOWED`; subscriptions are served over the websocket only.
- POST takes `application/json` bodies only. CSRF: a POST a browser could send cross-site
  without a CORS preflight (no content type, `text/plain`,
  `application/x-www-form-urlencoded`, `multipart/form-data`) is refused with 400
  `CSRF_REFUSED` unless it carries one of the PREFLIGHT_HEADERS (any non-empty value;
  a custom header forces the browser to preflight). With such a header the request is
  no CSRF risk, but its body is still not JSON (file uploads are off): 415
  `UNSUPPORTED_MEDIA_TYPE`, like any other content type.
- No batching: a JSON array body is refused with 400 `BATCHING_NOT_SUPPORTED`.
- Bodies over `settings.max_body_bytes` get 413 `PAYLOAD_TOO_LARGE`: from
  `Content-Length` before reading anything, and by counting the bytes as they stream in.
- Response media type: `application/graphql-response+json` when the `Accept` header asks
  for it (at least as strongly as for `application/json`), else `application/json`.
  A request that fails before execution (parse, validation or variable-coercion errors)
  gets 400 and no `data` entry under `application/graphql-response+json`; under
  `application/json` it keeps the legacy 200 with `data: null`.
- Every refusal made before GraphQL runs is a GraphQL-style body,
  `{"errors": [{"message", "extensions": {"code"}}]}`, in the negotiated media type.
- A POST with an `Idempotency-Key` header goes through api/idempotency.py when it is a
  mutation by a signed-in user: at most one execution per user and key for 24 hours, its
  retries answered with the stored response. A malformed key is 400 `BAD_USER_INPUT`;
  the key reused for another request is 422 `IDEMPOTENCY_KEY_REUSED`; a retry while the
  first still runs is 409 `IDEMPOTENCY_KEY_IN_USE`, and one whose first committed but
  never stored its response 409 `IDEMPOTENCY_RESPONSE_LOST`.

WebSocket (`graphql-transport-ws` only), all limits from settings:
- `connection_init` within `ws_init_timeout_s`, else 4408;
- at most `ws_max_subscriptions` operations in flight per connection (the next one gets
  an `error` frame, "Subscription limit reached");
- cross-origin handshakes only from `allowed_origins` (others get HTTP 403);
- after `connection_ack` the server sends `{"type": "ping"}` every `ws_ping_interval_s`
  and closes with 1011 "Ping timeout" when no `pong` arrives within `ws_ping_timeout_s`;
- an inbound message over `ws_max_message_bytes` (UTF-8) closes with 4400
  "Message too big": graphql-ws's code for a message the server will not accept.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import AsyncGenerator, Mapping
from contextlib import suppress
from datetime import timedelta
from functools import partial
from json import JSONDecodeError
from typing import Any, NamedTuple

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError, get_operation_ast, parse
from graphql import OperationType as GraphQLOperationType
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from api import auth, idempotency, metrics, pubsub, shutdown, static
from api.context import Context
from api.db import is_database_outage
from api.errors import ApiError, DatabaseUnavailable, SlowConsumer
from api.keepalive import Keepalive
from api.settings import Settings
from models import User
from schema import pipeline
from schema.live import HandOff
from schema.pipeline import finish_live_result, live_error_result

log = logging.getLogger("api.graphql")

JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"

# Any one of these, with a non-empty value, lifts the CSRF refusal (Apollo's two, plus the
# header jQuery-era and many fetch wrappers send). None is CORS-safelisted.
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name", "x-requested-with")
# What a cross-site <form> or no-cors fetch can send without a preflight ("" = no header).
SIMPLE_CONTENT_TYPES = frozenset(
    {"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}
)

# `extensions.code` of refusals made before GraphQL runs, by status.
HTTP_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}
# Status of a request error (no execution) under application/graphql-response+json, by
# the code of its first error; anything else is the client's fault: 400.
REQUEST_ERROR_STATUS = {"INTERNAL_SERVER_ERROR": 500, "RATE_LIMITED": 429}

# Close codes beyond Strawberry's own (4400, 4401, 4403, 4408, 4409, 4429).
CLOSE_MESSAGE_TOO_BIG = 4400
CLOSE_PING_TIMEOUT = 1011
PING_FRAME = '{"type":"ping"}'


class HTTPRefusal(HTTPException):
    """A request refused before GraphQL runs, with its code and extra headers."""

    def __init__(
        self,
        status_code: int,
        reason: str,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status_code, reason)
        self.code = code or HTTP_CODES.get(status_code, "BAD_REQUEST")
        self.headers = dict(headers or {})


class SignedIn(NamedTuple):
    token: str
    user: User


class GraphQLRequest(Request):
    """A Starlette request plus what the view decided about it on the way."""

    media_type: str = JSON
    request_error_status: int | None = None
    signed_in: SignedIn | None = None  # looked up already (a keyed mutation's user)


def preferred_media_type(accept: str | None) -> str:
    """application/graphql-response+json if Accept asks for it at least as strongly as for
    application/json (directly or through a wildcard); application/json otherwise, which
    is also the answer to a missing or unsatisfiable Accept (the spec's legacy rule)."""
    if not accept:
        return JSON
    graphql_q = json_q = 0.0
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        media = media.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media == GRAPHQL_RESPONSE_JSON:
            graphql_q = max(graphql_q, q)
        elif media in (JSON, "application/*", "*/*"):
            json_q = max(json_q, q)
    return GRAPHQL_RESPONSE_JSON if graphql_q > 0 and graphql_q >= json_q else JSON


def is_request_error(result: ExecutionResult) -> bool:
    """Failed before execution: parse, validation or variable coercion (no error has a path;
    a field error that nulls `data` has one)."""
    if isinstance(result, PreExecutionError):
        return True
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or [])
    )


def _too_large(limit: int) -> HTTPRefusal:
    return HTTPRefusal(413, f"The request body is larger than {limit} bytes.")


class LimitedWebSocketAdapter(ASGIWebSocketAdapter):
    """Strawberry's adapter, closing with 4400 on a message over ws_max_message_bytes."""

    view: MentorshipGraphQL

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        limit = self.view.settings.ws_max_message_bytes
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                text = await self.ws.receive_text()
                # A character is at most 4 bytes: encode only when it could matter.
                if len(text) > limit // 4 and len(text.encode("utf-8")) > limit:
                    await self.close(CLOSE_MESSAGE_TOO_BIG, "Message too big")
                    return
                try:
                    yield self.view.decode_json(text)
                except JSONDecodeError as error:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from error
        except KeyError as error:
            raise NonTextMessageReceived from error
        except WebSocketDisconnect:
            pass

    async def send_json(self, message: Mapping[str, object]) -> None:
        await self.send_text(self.view.frame_text(message))

    async def send_text(self, text: str) -> None:
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as error:
            raise WebSocketDisconnected from error


# Encoded `next` payloads by the identity of their `data`: subscribers of one event who
# share its execution (schema/sharing.py) share its result's `data` dict, so each of
# their frames is these bytes with its own operation id around them. Bounded, and each
# entry keeps its dict alive, so an id is never mistaken for another's.
_ENCODED_PAYLOADS: OrderedDict[int, tuple[object, str]] = OrderedDict()
_ENCODED_PAYLOADS_MAX = 256


class LiveOperation:
    """The transport's end of a subscription gone live in the hub (schema.live.Sink):
    each event executed through the operation's own executor, its frame queued on the
    connection's outbox."""

    __slots__ = ("handler", "id", "handoff", "name", "finish")

    def __init__(self, handler: PingingTransportWSHandler, op_id: str, handoff: HandOff) -> None:
        self.handler = handler
        self.id = op_id
        self.handoff = handoff
        operation = handoff.executor.operation
        self.name: str | None = operation.name.value if operation.name else None
        self.finish = partial(finish_live_result, self.name)

    async def emit(self, value: Any) -> None:
        executor = self.handoff.executor.build_per_event_executor(value)
        executor.after_event = self.finish
        result = executor.execute_operation(False)
        if executor.is_awaitable(result):
            result = await result
        self.handler.send_live(self, result)

    def end(self, error: Exception | None) -> None:
        self.handler.end_live(self, error)

    def closed(self, error: Exception | None) -> None:
        """Record the operation's end (the pipeline's `on_end`)."""
        if self.handoff.on_end is not None:
            self.handoff.on_end(error)


class PingingTransportWSHandler(BaseGraphQLTransportWSHandler[Context, Any]):
    """graphql-transport-ws with server pings, and live subscriptions in the hub.

    - Once acknowledged, a `ping` ws_ping_interval_s after the last `pong`; no `pong`
      within ws_ping_timeout_s closes the connection (one task for all: api/keepalive.py).
    - A subscription that hands off (schema/live.py) leaves its Strawberry task and
      generators behind and becomes a `LiveOperation`. Its frames go through the
      connection's outbox, written by a task that runs only while frames wait, so a
      client that stops reading delays nobody else; a subscription whose frame would
      pass ws_max_pending_frames waiting ends with SLOW_CONSUMER, its waiting frames
      dropped.
    """

    view: MentorshipGraphQL
    websocket: LimitedWebSocketAdapter

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ping_due = 0.0  # api/keepalive.py keeps these two
        self.pong_due: float | None = None
        self.live: dict[str, LiveOperation] = {}
        self._handoffs: dict[str, HandOff] = {}
        # Frames waiting for the writer; made when one waits (an empty deque is 600 B).
        self.outbox: deque[tuple[str, str]] | None = None
        self.writer: asyncio.Task | None = None

    async def handle(self) -> None:
        # Counted in /metrics; closed with 1001 by a graceful shutdown (api/shutdown.py).
        async with self.view.drain.tracked(self):
            metrics.WEBSOCKETS.inc()
            try:
                await super().handle()
            finally:
                metrics.WEBSOCKETS.dec()

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged:
            self.view.keepalive.add(self)
            # Cancelled by the init, and done: a long-lived connection need not keep it.
            self.connection_init_timeout_task = None

    async def handle_pong(self, message: Any) -> None:
        self.view.keepalive.pong(self)

    def send_ping(self) -> None:
        self._push("", PING_FRAME)

    async def close_dead(self) -> None:
        with suppress(WebSocketDisconnected, WebSocketDisconnect, RuntimeError):
            await self.websocket.close(CLOSE_PING_TIMEOUT, "Ping timeout")

    # --- live subscriptions ----------------------------------------------------------

    async def _send_result_stream(self, operation: Operation, result_source: Any) -> None:
        """Strawberry's loop, stopping at a hand-off: the stream is then closed with no
        `complete`, and `run_operation` puts the subscription live."""
        is_first_result = True
        async for result in result_source:
            if is_first_result and isinstance(result, PreExecutionError):
                await self._handle_pre_execution_error(operation, result)
                return
            if not isinstance(result, ExecutionResult):
                await self._reject_incremental_delivery(operation)
                return
            if isinstance(result.data, HandOff):
                self._handoffs[operation.id] = result.data
                raise _OperationStreamClosed
            await operation.send_next(result)
            is_first_result = False

    async def run_operation(self, operation: Operation) -> None:
        try:
            await super().run_operation(operation)
        finally:
            handoff = self._handoffs.pop(operation.id, None)
            if handoff is not None:
                self._go_live(operation, handoff)

    def _go_live(self, operation: Operation, handoff: HandOff) -> None:
        listener = handoff.listener
        live = LiveOperation(self, operation.id, handoff)
        if self.operations.get(operation.id) is not operation:  # completed meanwhile
            pubsub.current().hub.detach(listener)
            live.closed(None)
            return
        listener.sink = live
        self.live[operation.id] = live
        # Done: nothing of Strawberry's operation is left running, or needed again.
        operation.task = None
        operation.query, operation.variables = "", None
        if listener.failed is not None:  # delivery broke during the hand-off
            live.end(listener.failed)
            return
        pubsub.current().hub.go_live(listener)

    def send_live(self, live: LiveOperation, result: Any) -> None:
        if live.id not in self.live:
            return
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        text = self.view.frame_text({"id": live.id, "type": "next", "payload": payload})
        if self.outbox is None or len(self.outbox) < self.view.settings.ws_max_pending_frames:
            self._push(live.id, text)
            return
        log.warning("a websocket client stopped reading: subscription %s ended", live.id)
        self.outbox = deque(frame for frame in self.outbox if frame[0] != live.id)
        pubsub.current().hub.detach(live.handoff.listener)
        self.end_live(live, SlowConsumer())

    def end_live(self, live: LiveOperation, error: Exception | None) -> None:
        """The error's `next` (if any), then `complete`: the subscription is over."""
        if self.live.pop(live.id, None) is None:
            return
        if error is not None:
            result = live_error_result(live.name, error)
            payload = {"data": None, "errors": [e.formatted for e in result.errors or []]}
            self._push(
                live.id, self.view.frame_text({"id": live.id, "type": "next", "payload": payload})
            )
        self._push(live.id, self.view.frame_text({"id": live.id, "type": "complete"}))
        operation = self.operations.pop(live.id, None)
        if operation is not None:
            operation.completed = True
        live.closed(error)

    def _push(self, op_id: str, text: str) -> None:
        if self.outbox is None:
            self.outbox = deque()
        self.outbox.append((op_id, text))
        if self.writer is None:
            self.writer = asyncio.create_task(self._write())

    async def _write(self) -> None:
        try:
            while self.outbox:
                _, text = self.outbox.popleft()
                await self.websocket.send_text(text)
        except (WebSocketDisconnected, WebSocketDisconnect, RuntimeError, OSError):
            pass  # the connection is gone; its shutdown ends the rest
        finally:
            self.outbox = None
            self.writer = None

    async def cleanup_operation(self, operation_id: str) -> None:
        live = self.live.pop(operation_id, None)
        if live is None:
            await super().cleanup_operation(operation_id)
            return
        self.operations.pop(operation_id, None)
        pubsub.current().hub.detach(live.handoff.listener)
        live.closed(None)

    async def shutdown(self) -> None:
        self.view.keepalive.discard(self)
        await super().shutdown()
        if self.writer is not None:
            self.writer.cancel()
            with suppress(asyncio.CancelledError):
                await self.writer


class MentorshipGraphQL(GraphQL):
    websocket_adapter_class = LimitedWebSocketAdapter  # type: ignore[assignment]
    graphql_transport_ws_handler_class = PingingTransportWSHandler

    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            allowed_origins=settings.allowed_origins,
            connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_s),
            max_subscriptions_per_connection=settings.ws_max_subscriptions,
        )
        self.settings = settings
        self.drain = shutdown.Drain()  # this app's open websockets, for a graceful stop
        self.keepalive = Keepalive(settings.ws_ping_interval_s, settings.ws_ping_timeout_s)

    def encode_json(self, data: object) -> str | bytes:
        """orjson when on (bench/: several times faster than json.dumps on big pages); the
        standard library for what orjson refuses (integers beyond 64 bits in JSON values)."""
        if self.settings.orjson:
            try:
                return orjson.dumps(data)
            except TypeError:  # orjson.JSONEncodeError
                pass
        return super().encode_json(data)

    def frame_text(self, message: Mapping[str, object]) -> str:
        """graphql-transport-ws is text frames only: decode what orjson encoded."""
        text = self.shared_frame(message) if self.settings.orjson else None
        if text is None:
            encoded = self.encode_json(message)
            text = encoded if isinstance(encoded, str) else encoded.decode()
        return text

    def shared_frame(self, message: Mapping[str, object]) -> str | None:
        """A `next` frame whose payload is only `data`, encoded once per result: the
        same text orjson.dumps(message) gives. None for anything else."""
        payload = message.get("type") == "next" and message.get("payload")
        if not isinstance(payload, dict) or len(payload) != 1 or "data" not in payload:
            return None
        data = payload["data"]
        entry = _ENCODED_PAYLOADS.get(id(data))
        if entry is not None and entry[0] is data:
            _ENCODED_PAYLOADS.move_to_end(id(data))
            text = entry[1]
        else:
            try:
                text = orjson.dumps(payload).decode()
            except TypeError:  # orjson.JSONEncodeError: let encode_json fall back
                return None
            _ENCODED_PAYLOADS[id(data)] = (data, text)
            if len(_ENCODED_PAYLOADS) > _ENCODED_PAYLOADS_MAX:
                _ENCODED_PAYLOADS.popitem(last=False)
        parts = []
        for key, value in message.items():
            encoded = text if key == "payload" else orjson.dumps(value).decode()
            parts.append(f"{orjson.dumps(key).decode()}:{encoded}")
        return "{" + ",".join(parts) + "}"

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data) if self.settings.orjson else super().decode_json(data)

    # --- HTTP ----------------------------------------------------------------------------

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our GraphiQL page (api/static.py): its files from this server, not a CDN."""
        return static.graphiql_page()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = GraphQLRequest(scope, receive=self._limited(receive))
        request.media_type = preferred_media_type(request.headers.get("accept"))
        try:
            self._check_http(request)
            key = request.headers.get(idempotency.HEADER)  # all that a request without pays
            if key is None:
                response = await self.run(request)
                self._finish(request, response)
            else:
                response = await self._respond_keyed(request, key)
        except HTTPException as error:
            response = self._refusal(request, error)
        await response(scope, receive, send)

    async def _respond(self, request: GraphQLRequest) -> Response:
        response = await self.run(request)
        self._finish(request, response)
        return response

    async def _respond_keyed(self, request: GraphQLRequest, raw_key: str) -> Response:
        """A request with an `Idempotency-Key`: a signed-in user's mutation runs at most
        once per key (api/idempotency.py); anything else runs as usual."""
        try:
            keyed = await self._keyed_mutation(request, raw_key)
            if keyed is None:
                return await self._respond(request)
            user_id, key, digest = keyed
            return await idempotency.respond(
                user_id,
                key,
                digest,
                partial(self._respond, request),
                self.settings.idempotency_wait_s,
            )
        except HTTPException:
            raise
        except ApiError as error:
            status = getattr(error, "status", 400)
            raise HTTPRefusal(status, error.message, code=error.code) from None
        except Exception as error:
            # The key's lookups run outside GraphQL: an outage is UNAVAILABLE here too.
            if not is_database_outage(error):
                raise
            log.warning("database unavailable for an idempotent request: %r", error)
            raise HTTPRefusal(
                503, DatabaseUnavailable.default_message, code=DatabaseUnavailable.code
            ) from None

    async def _keyed_mutation(
        self, request: GraphQLRequest, raw_key: str
    ) -> tuple[int, str, str] | None:
        """(user pk, key, request hash) for a signed-in user's mutation over POST; None
        for anything else, which ignores the key: queries, a body that `run` refuses, an
        anonymous `register` or `login` (no user to keep the key for), a bad token
        (UNAUTHENTICATED, nothing written). A malformed key on a mutation is refused."""
        if request.method != "POST":
            return None
        try:
            data = self.decode_json(await request.body())
        except ValueError:  # not JSON, not UTF-8: `run` refuses it
            return None
        if not isinstance(data, dict):
            return None
        query, name, variables = data.get("query"), data.get("operationName"), data.get("variables")
        if not isinstance(query, str) or not isinstance(name, (str, type(None))):
            return None
        if not self._is_mutation(query, name):
            return None
        key = idempotency.checked_key(raw_key)  # BAD_USER_INPUT (400) when malformed
        token = auth.bearer_token(request.headers.get("authorization"))
        user = await auth.user_for_token(token) if token else None
        if token is None or user is None:
            return None
        request.signed_in = SignedIn(token, user)  # the context needs no second lookup
        return user.pk, key, idempotency.request_hash(query, name, variables)

    def _is_mutation(self, query: str, operation_name: str | None) -> bool:
        """Whether the document's operation is a mutation: from its plan when it has one,
        else parsed (a document that does not parse, or names no operation, is not)."""
        lane = pipeline.plans_of(self.schema)
        if lane is not None:
            plan = lane[1].get(query, operation_name)
            if plan:
                return plan.is_mutation
        try:
            document = parse(query, max_tokens=self.settings.max_tokens)
        except GraphQLError:
            return False
        operation = get_operation_ast(document, operation_name)
        return operation is not None and operation.operation is GraphQLOperationType.MUTATION

    def _limited(self, receive: Receive) -> Receive:
        """`receive`, refusing the request once its body passes max_body_bytes."""
        limit = self.settings.max_body_bytes
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        return limited_receive

    def _check_http(self, request: GraphQLRequest) -> None:
        """Refusals that need no body: size from Content-Length, CSRF, content type."""
        length = request.headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                raise HTTPRefusal(400, "Invalid Content-Length header.")
            if int(length) > self.settings.max_body_bytes:
                raise _too_large(self.settings.max_body_bytes)
        if request.method != "POST":
            return
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == JSON:
            return
        if content_type in SIMPLE_CONTENT_TYPES and not any(
            request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS
        ):
            raise HTTPRefusal(
                400,
                "This request has been refused as a potential Cross-Site Request Forgery: "
                "send a POST with `Content-Type: application/json`, or add a non-empty "
                f"preflight header ({', '.join(PREFLIGHT_HEADERS)}).",
                code="CSRF_REFUSED",
            )
        raise HTTPRefusal(
            415,
            f"Unsupported content type {content_type or '(none)'!r}: send the operation as "
            "`application/json`.",
        )

    def _refusal(self, request: GraphQLRequest, error: HTTPException) -> Response:
        code = getattr(error, "code", None) or HTTP_CODES.get(error.status_code, "BAD_REQUEST")
        body = {"errors": [{"message": error.reason, "extensions": {"code": code}}]}
        response = Response(
            self.encode_json(body),
            status_code=error.status_code,
            media_type=request.media_type,
            headers=getattr(error, "headers", None),
        )
        response.headers["vary"] = "Accept"
        return response

    def _finish(self, request: GraphQLRequest, response: Response) -> None:
        """The negotiated media type and the status of a request error on a JSON answer."""
        if isinstance(response, StreamingResponse):
            return
        if not response.headers.get("content-type", "").startswith(JSON):
            return  # GraphiQL's page
        response.headers["content-type"] = request.media_type
        response.headers["vary"] = "Accept"
        if request.request_error_status is not None and response.status_code == 200:
            response.status_code = request.request_error_status

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """Strawberry's parsing, after the checks it lacks: a JSON object (no batch), and a
        string or null operationName."""
        if request.method == "POST":
            try:
                data = self.decode_json(await request.get_body())
            except (JSONDecodeError, UnicodeDecodeError) as error:
                raise HTTPRefusal(400, "The request body is not valid JSON.") from error
            if isinstance(data, list):
                raise HTTPRefusal(
                    400,
                    "Batched operations are not supported: send one operation per request.",
                    code="BATCHING_NOT_SUPPORTED",
                )
            if not isinstance(data, dict):
                raise HTTPRefusal(
                    400, "The request body must be a JSON object with a `query` string."
                )
            operation_name = data.get("operationName")
        else:
            operation_name = request.query_params.get("operationName")
        if not isinstance(operation_name, (str, type(None))):
            raise HTTPRefusal(
                400, "The GraphQL operation's `operationName` must be a string or null."
            )
        return await super().parse_http_body(request)

    async def execute_single(  # noqa: PLR0917
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Any,
        context: Context,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Queries over GET; queries and mutations over POST; subscriptions over the
        websocket. Refusals carry a code."""
        method = request_adapter.method
        allowed = {OperationType.QUERY}
        if method == "POST":
            allowed.add(OperationType.MUTATION)
        lane = pipeline.plans_of(self.schema)
        plan: Any = False
        if lane is not None and isinstance(request_data.query, str):
            plan = lane[1].get(request_data.query, request_data.operation_name)
            if plan and plan.is_mutation and method != "POST":
                plan = None  # Strawberry's path refuses it (405)
            if plan:
                return await pipeline.execute_planned(
                    lane[0],
                    plan,
                    context,
                    request_data.variables,
                    request_data.operation_name,
                    root_value,
                    request_data.extensions,
                )
        try:
            result = await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as error:
            if error.operation_type is OperationType.MUTATION:
                raise HTTPRefusal(
                    405,
                    "Mutations are not allowed over GET: send them with POST.",
                    headers={"Allow": "POST"},
                ) from error
            raise HTTPRefusal(
                400,
                "Subscriptions are served over the websocket (graphql-transport-ws), "
                "not over HTTP.",
            ) from error
        except CannotGetOperationTypeError as error:
            raise HTTPRefusal(400, error.as_http_error_reason()) from error
        except MissingQueryError as error:
            raise HTTPRefusal(400, "No GraphQL query found in the request.") from error
        if plan is False and lane is not None:  # unknown so far: learn it
            pipeline.learn_plan(
                self.schema, lane[1], request_data.query, request_data.operation_name, result
            )
        return result

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        token = None
        if isinstance(request, Request):
            token = auth.bearer_token(request.headers.get("authorization"))
        # On a websocket the token arrives later, in connection_init (see on_ws_connect).
        context = Context(
            request=request,
            response=response,
            settings=self.settings,
            token=token,
        )
        if isinstance(request, GraphQLRequest) and request.signed_in is not None:
            context.sign_in(request.signed_in.user, request.signed_in.token)
        return context

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Errors raised before execution (a syntax error) skip the schema extensions:
        give them their code here. A request error answered as graphql-response+json has
        no `data` and a 4xx status."""
        response = await super().process_result(request, result)
        for error in response.get("errors") or []:
            extensions = error.setdefault("extensions", {})
            extensions.setdefault("code", "BAD_USER_INPUT")
        if (
            isinstance(request, GraphQLRequest)
            and request.media_type == GRAPHQL_RESPONSE_JSON
            and is_request_error(result)
        ):
            response.pop("data", None)
            first = (response.get("errors") or [{}])[0]
            code = (first.get("extensions") or {}).get("code")
            request.request_error_status = REQUEST_ERROR_STATUS.get(code, 400)
        return response

    # --- WebSocket -----------------------------------------------------------------------

    async def on_ws_connect(self, context: Context) -> Any:
        """No token: accepted, and subscriptions answer UNAUTHENTICATED.
        A bad or expired token: closed with 4403."""
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        if raw is None:
            return None
        token = auth.bearer_token(raw) if isinstance(raw, str) else None
        if token is None:
            raise ConnectionRejectionError()
        context.token = token
        if await context.viewer_or_none() is None:
            raise ConnectionRejectionError()
        return None


__all__ = ["MentorshipGraphQL", "preferred_media_type"]

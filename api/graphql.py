"""The GraphQL endpoint: context per request, websocket auth from `connection_init`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from api import auth
from api.context import Context
from api.settings import Settings


class MentorshipGraphQL(GraphQL):
    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            allowed_origins=settings.allowed_origins,
        )
        self.settings = settings

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        token = None
        if isinstance(request, Request):
            token = auth.bearer_token(request.headers.get("authorization"))
        # On a websocket the token arrives later, in connection_init (see on_ws_connect).
        return Context(
            request=request,
            response=response,
            settings=self.settings,
            token=token,
        )

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Errors raised before execution (a syntax error) skip the schema extensions:
        give them their code here."""
        response = await super().process_result(request, result)
        for error in response.get("errors") or []:
            extensions = error.setdefault("extensions", {})
            extensions.setdefault("code", "BAD_USER_INPUT")
        return response

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
        if await context.viewer() is None:
            raise ConnectionRejectionError()
        return None

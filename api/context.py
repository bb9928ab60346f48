"""The typed context every resolver gets: who is asking, and the request's loaders."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket

from api import auth
from api.dataloaders import Loaders, viewer_asked
from api.errors import Unauthenticated
from api.settings import Settings
from models import User

BAD_TOKEN = "This session has ended or its token is not valid: sign in again."


@dataclass
class Context:
    request: Request | WebSocket
    response: Any
    settings: Settings
    token: str | None = None
    # Strawberry stores the websocket `connection_init` payload here.
    connection_params: dict[str, Any] | None = None
    _viewer: User | None = None
    _resolved: bool = False
    _loaders: Loaders | None = None
    _looking_up: asyncio.Future[None] | None = None

    async def viewer(self) -> User | None:
        """The signed-in user, or None when no token was sent. A token that was sent but
        is bad, revoked or expired is UNAUTHENTICATED wherever the viewer is read, so an
        app can tell an ended session from a signed-out one (what reads nobody, such as
        `login`, `register` or introspection, still works, so the app can recover).

        Fields that ask at once share one lookup: two root fields each looked the token
        up (on PostgreSQL, on two pooled connections at the same time)."""
        viewer = await self.viewer_or_none()
        if viewer is None and self.token:
            raise Unauthenticated(BAD_TOKEN)
        return viewer

    async def viewer_or_none(self) -> User | None:
        """The signed-in user; None for no token or a bad one. For what must not refuse
        the request itself: the rate limits, the websocket handshake."""
        viewer_asked()  # schema/sharing.py: this answer is the viewer's own
        while not self._resolved:
            if self._looking_up is not None:
                await self._looking_up  # then resolved, or failed: then look up again
                continue
            self._looking_up = asyncio.get_running_loop().create_future()
            try:
                self._viewer = await auth.user_for_token(self.token) if self.token else None
                self._resolved = True
                self.refresh_loaders()
            finally:
                done, self._looking_up = self._looking_up, None
                done.set_result(None)
        return self._viewer

    def sign_in(self, user: User, token: str) -> None:
        """After register/login, the rest of the request sees the new session's user."""
        self.token, self._viewer, self._resolved = token, user, True
        self.refresh_loaders()

    async def require_viewer(self) -> User:
        viewer = await self.viewer()
        if viewer is None:
            raise Unauthenticated()
        return viewer

    @property
    def token_hash(self) -> str | None:
        viewer_asked()
        return auth.hash_token(self.token) if self.token else None

    @property
    def loaders(self) -> Loaders:
        """This request's loaders (or this subscription event's), built on first use."""
        if self._loaders is None:
            self._loaders = Loaders(viewer_id=self._viewer.pk if self._viewer else None)
        return self._loaders

    def refresh_loaders(self) -> None:
        """New loaders: per HTTP request, and per subscription event on a websocket."""
        self._loaders = None

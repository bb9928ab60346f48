"""Live fan-out's reference: a bare ASGI websocket broadcaster, nothing but the sockets.

A client opens a websocket on /ws and sends `subscribe <pair>`; the server answers `ok`.
`POST /publish/<pair>` sends the request body, unchanged, to every socket subscribed to
that pair (the bench sends the bytes the API's `next` message would carry) and answers
`{}`. Served by uvicorn with the API's settings (uvloop, httptools, websockets-sansio,
one worker).

    PORT=8002 python -m bench.bare_ws
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import defaultdict
from typing import Any

Scope = dict[str, Any]

_subscribers: dict[str, set[Any]] = defaultdict(set)


async def _websocket(scope: Scope, receive: Any, send: Any) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    pair: str | None = None
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text") or (message.get("bytes") or b"").decode()
            if text.startswith("subscribe "):
                pair = text.split(" ", 1)[1].strip()
                _subscribers[pair].add(send)
                await send({"type": "websocket.send", "text": "ok"})
    finally:
        if pair is not None:
            _subscribers[pair].discard(send)


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send: Any, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _deliver(target: Any, text: str) -> None:
    with contextlib.suppress(Exception):  # a socket that just closed
        await target({"type": "websocket.send", "text": text})


async def _http(scope: Scope, receive: Any, send: Any) -> None:
    path = scope["path"]
    body = await _body(receive)
    if path == "/healthz":
        await _respond(send, 200, b'{"status":"ok"}')
    elif path.startswith("/publish/") and scope["method"] == "POST":
        text = body.decode()
        targets = list(_subscribers.get(path.removeprefix("/publish/"), ()))
        await asyncio.gather(*(_deliver(target, text) for target in targets))
        await _respond(send, 200, b"{}")
    else:
        await _respond(send, 404, b"{}")


async def app(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] == "websocket":
        await _websocket(scope, receive, send)
    elif scope["type"] == "http":
        await _http(scope, receive, send)
    elif scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def main() -> None:
    import uvicorn

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ["PORT"]),
        log_level="warning",
        loop=os.environ.get("SERVER_LOOP", "uvloop"),
        http=os.environ.get("SERVER_HTTP", "httptools"),
        ws="websockets-sansio",
        ws_max_size=int(os.environ.get("WS_MAX_MESSAGE_BYTES", "65536")),
    )


if __name__ == "__main__":
    main()

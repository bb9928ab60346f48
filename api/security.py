"""The response headers a security review expects (docs/operations.md, Security headers).

- Every HTTP response, errors and 404s included: `X-Content-Type-Options: nosniff` (a
  browser never guesses a JSON or text body to be HTML or script), `Referrer-Policy:
  no-referrer` (no URL of ours, with its `?q=` query, leaks to another site), and, when
  `BEHIND_TLS` says clients reach us over https, `Strict-Transport-Security`.
- A `Content-Security-Policy` on every response. A page of ours sets its own, built by
  `page_policy` from its HTML: our files and the hashes of its inline `<script>` and
  `<style>` elements, nothing inline beyond those. Anything else (JSON, files, errors)
  gets `default-src 'none'`: it is no document to run anything in. Both forbid framing
  (`frame-ancestors 'none'`: no clickjacking).

`SecurityHeadersMiddleware` wraps the app outside Starlette's error middleware, so that
a 500 carries the headers too. The GraphQL websocket never passes through it (api/app.py
takes it straight to its handler): a websocket has no response headers to protect.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from html.parser import HTMLParser

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "content-security-policy"
# JSON, files, errors: nothing to load, run or frame.
NOT_A_PAGE = "default-src 'none'; frame-ancestors 'none'"
# A year; no includeSubDomains: other hosts of the domain are not ours to decide.
HSTS = "max-age=31536000"

_CSP_NAME = CSP.encode()


def _source_hash(text: str) -> str:
    """A CSP hash source: what the browser computes over the element's text, UTF-8."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


class _InlineCode(HTMLParser):
    """The text of every inline `<script>` (no src) and `<style>` element of a page.
    (Style and event-handler attributes are not hashed: they would need 'unsafe-hashes';
    our pages have none, and tests/test_security_headers.py keeps it so.)"""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._into: list[str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._into = self.scripts
        elif tag == "style":
            self._into = self.styles

    def handle_data(self, data: str) -> None:
        if self._into is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._into is not None and tag in ("script", "style"):
            self._into.append("".join(self._text))
            self._into, self._text = None, []


def page_policy(
    html: str,
    *,
    scripts: Iterable[str] = (),
    styles: Iterable[str] = (),
    images: Iterable[str] = (),
    fonts: Iterable[str] = (),
) -> str:
    """The Content-Security-Policy of one HTML page of ours.

    Scripts, styles, images, fonts and connections (fetch, and the websocket: CSP
    Level 3's 'self' covers ws:/wss: to the same host, as Chromium 71+, Firefox and
    Safari 16+ apply it) from this origin only, plus the hashes of the page's inline
    elements and the sources a page names (`scripts=`, ...). No 'unsafe-inline', no
    'unsafe-eval', no <base>, no plugins, and no framing.
    """
    inline = _InlineCode()
    inline.feed(html)
    inline.close()
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'", *map(_source_hash, inline.scripts), *scripts],
        "style-src": ["'self'", *map(_source_hash, inline.styles), *styles],
        "img-src": ["'self'", *images],
        "font-src": ["'self'", *fonts],
        "connect-src": ["'self'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(
        f"{name} {' '.join(dict.fromkeys(values))}" for name, values in directives.items()
    )


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP response; other scopes pass untouched."""

    def __init__(self, app: ASGIApp, *, behind_tls: bool = False) -> None:
        self.app = app
        always = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
        if behind_tls:
            always.append((b"strict-transport-security", HSTS.encode()))
        self.always = always
        self.not_a_page = (_CSP_NAME, NOT_A_PAGE.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), *self.always]
                if not any(name == _CSP_NAME for name, _ in headers):
                    headers.append(self.not_a_page)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

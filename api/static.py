"""What a browser gets besides GraphQL: our GraphiQL page with its files served from
here, and the example pair app (web/) at /app/.

GraphiQL's files come from the npm registry through web/graphiql/package-lock.json
(`make install` runs `npm ci` there when npm is present), at the versions Strawberry's
own page loads from unpkg.com, and the page keeps the same subresource-integrity hashes.
An installed wheel carries its own copy of them and of the built app (api/webfiles.py).
Without them (no npm at install or wheel-build time) the page loads them from the CDN,
which needs the internet, and the server logs a warning saying so once at startup.

Each page carries its Content-Security-Policy (api/security.py): our own files and the
hashes of its inline code; the GraphiQL page names the CDN's files only when it loads
them from there.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import BaseRoute, Route

from api import webfiles
from api.security import CSP, page_policy
from api.webfiles import ASSETS, SCRIPTS, STYLESHEETS, Asset

log = logging.getLogger("api.static")

PAGE_TEMPLATE = Path(__file__).with_name("graphiql.html")

ASSETS_PATH = "/graphql/assets/"
CDN = "https://unpkg.com/"
IMMUTABLE = {"cache-control": "public, max-age=31536000, immutable"}
NO_CACHE = {"cache-control": "no-cache"}
NONCE_MARK = "{{csp_nonce}}"  # in api/graphiql.html


@dataclass(frozen=True)
class GraphiQLFiles:
    """Where GraphiQL's files come from: `files` maps each spec to its local path, and is
    empty when they are loaded from the CDN (`problem` says why)."""

    files: dict[str, Path] = field(default_factory=dict)
    problem: str | None = None

    @property
    def local(self) -> bool:
        return bool(self.files)


def sri_hash(path: Path) -> str:
    """The subresource-integrity value of a file, as in a script tag's `integrity`."""
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def _check(asset: Asset, modules: Path) -> Path | str:
    """The asset's local path, or what is wrong with it."""
    package_dir = modules / asset.package
    try:
        version = json.loads((package_dir / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return f"{asset.package} is not installed in {modules}"
    if version != asset.version:
        return f"{modules} has {asset.package} {version}, not {asset.version}"
    path = package_dir / asset.file
    if not path.is_file():
        return f"{path} is missing"
    if sri_hash(path) != asset.integrity:
        return f"{path} does not match its integrity hash"
    return path


def graphiql_files(modules: Path | None = None) -> GraphiQLFiles:
    """GraphiQL's files in `modules`, a node_modules-like directory: by default the
    installed package's copy, else the checkout's web/graphiql/node_modules."""
    return _graphiql_files_in(modules or webfiles.graphiql_modules())


@functools.cache
def _graphiql_files_in(modules: Path) -> GraphiQLFiles:
    """Checked once per process (versions and hashes); warns when falling back to the CDN."""
    files: dict[str, Path] = {}
    for asset in ASSETS:
        found = _check(asset, modules)
        if isinstance(found, str):
            log.warning(
                "GraphiQL's files are not installed (%s): the GraphiQL page at /graphql "
                "loads them from %s, which needs internet access. In a checkout, run `make "
                "install` with npm present (it runs `npm ci` in web/graphiql) and restart; "
                "a wheel has them when it was built after `make web`.",
                found,
                CDN,
            )
            return GraphiQLFiles(problem=found)
        files[asset.spec] = found
    return GraphiQLFiles(files=files)


@functools.cache
def graphiql_html(local: bool) -> str:
    base = ASSETS_PATH if local else CDN
    page = PAGE_TEMPLATE.read_text(encoding="utf-8")
    return (
        page.replace("<!-- GRAPHIQL_HEAD -->", "\n    ".join(a.tag(base) for a in STYLESHEETS))
        .replace("<!-- GRAPHIQL_SCRIPTS -->", "\n    ".join(a.tag(base) for a in SCRIPTS))
        .replace("<!-- GRAPHIQL_SOURCE -->", "local" if local else "cdn")
    )


@functools.cache
def graphiql_policy(local: bool) -> str:
    """The page's CSP, with NONCE_MARK for the response's nonce. GraphiQL's stylesheet
    carries its fonts and icons as data: URLs, and the page's icon is one. The nonce
    admits the <style> elements the page's scripts make (api/graphiql.html says why).
    From the CDN: exactly the files the page names (each also pinned by its integrity
    hash), nothing else from that host."""
    cdn = () if local else tuple(CDN + asset.spec for asset in ASSETS)
    return page_policy(
        graphiql_html(local),
        scripts=[url for url in cdn if not url.endswith(".css")],
        styles=[f"'nonce-{NONCE_MARK}'", *(url for url in cdn if url.endswith(".css"))],
        images=["data:"],
        fonts=["data:"],
    )


def graphiql_page(local: bool | None = None) -> HTMLResponse:
    """Our GraphiQL page (GET /graphql from a browser): sign-in form, example query; its
    files from here when they are installed (`local`), else from the CDN. A fresh nonce
    per response, in the page and in its CSP."""
    if local is None:
        local = graphiql_files().local
    nonce = secrets.token_urlsafe(18)
    policy = graphiql_policy(local).replace(NONCE_MARK, nonce)
    return HTMLResponse(
        graphiql_html(local).replace(NONCE_MARK, nonce), headers={**NO_CACHE, CSP: policy}
    )


async def graphiql_asset(request: Request) -> Response:
    path = graphiql_files().files.get(request.path_params["spec"])
    if path is None:
        return PlainTextResponse("Not Found", status_code=404)
    return FileResponse(path, headers=IMMUTABLE)


APP_NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Example app not built</title>
<style>body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto }</style>
</head>
<body>
<h1>The example pair app is not built</h1>
<p>This server serves <code>web/dist</code> at <code>/app/</code>, and it is not there.
Build it with Node.js 20.19+ and npm:</p>
<pre>make install        # runs npm ci and the build when npm is present
# or by hand:
cd web &amp;&amp; npm ci &amp;&amp; npm run build</pre>
<p>Then reload this page (no restart needed). GraphiQL is at <a href="/graphql">/graphql</a>.</p>
<p>Installed from a wheel? It carries the app when it was built after <code>make web</code>:
build it again in a checkout where npm is present.</p>
</body></html>
"""


APP_NOT_BUILT_HEADERS = {**NO_CACHE, CSP: page_policy(APP_NOT_BUILT)}


@functools.lru_cache(maxsize=4)
def _app_policy(index: Path, mtime_ns: int, size: int) -> str:
    """The built index.html's CSP, computed again when a build replaces the file."""
    return page_policy(index.read_text(encoding="utf-8"))


def _index_response(index: Path) -> Response:
    """The app's page with its CSP, or how to build it."""
    try:
        stat = index.stat()
    except OSError:
        return HTMLResponse(APP_NOT_BUILT, status_code=404, headers=APP_NOT_BUILT_HEADERS)
    policy = _app_policy(index, stat.st_mtime_ns, stat.st_size)
    return FileResponse(index, headers={**NO_CACHE, CSP: policy})


def app_endpoint(dist: Path):
    """Files of the built app, and index.html for every other path (client-side routes)."""
    root = dist.resolve()
    index = root / "index.html"

    async def serve_app(request: Request) -> Response:
        if not index.is_file():
            return HTMLResponse(APP_NOT_BUILT, status_code=404, headers=APP_NOT_BUILT_HEADERS)
        relative = request.path_params.get("path", "")
        if relative:
            candidate = (root / relative).resolve()
            if candidate != index and candidate.is_relative_to(root) and candidate.is_file():
                # Vite puts content-hashed names under assets/: they never change.
                cached = relative.startswith("assets/")
                return FileResponse(candidate, headers=IMMUTABLE if cached else NO_CACHE)
            if candidate != index and "." in PurePosixPath(relative).name:
                return PlainTextResponse("Not Found", status_code=404)
        return _index_response(index)

    return serve_app


async def _to_app(request: Request) -> RedirectResponse:
    return RedirectResponse("/app/")


def routes(dist: Path | None = None) -> list[BaseRoute]:
    """GraphiQL's files under /graphql/assets/ and the app under /app/ (`dist`: by default
    the installed package's copy, else web/dist). Checks GraphiQL's files now, so that a
    fallback to the CDN is logged at startup."""
    graphiql_files()
    serve_app = app_endpoint(dist or webfiles.app_dist())
    return [
        Route(ASSETS_PATH + "{spec:path}", graphiql_asset, methods=["GET", "HEAD"]),
        Route("/app", _to_app, methods=["GET", "HEAD"]),
        Route("/app/{path:path}", serve_app, methods=["GET", "HEAD"]),
    ]


__all__ = [
    "ASSETS",
    "Asset",
    "graphiql_files",
    "graphiql_html",
    "graphiql_page",
    "graphiql_policy",
    "routes",
]

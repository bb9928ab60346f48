"""The security headers (api/security.py) on every kind of response of the real app, and
the Content-Security-Policy of its pages: strict, and covering every inline script.

The policies are read as a browser reads them, by a parser of this file's own, and the
pages' inline code is hashed here again: what api/security.py computes is checked, not
reused. tests/test_browser.py runs both pages in Chromium under these policies.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from api import static, webfiles
from api.app import create_app
from api.settings import Settings

NOSNIFF = ("x-content-type-options", "nosniff")
NO_REFERRER = ("referrer-policy", "no-referrer")
# Sources that would let injected markup or a foreign host run code.
LAX_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:", "data:", "blob:"}  # fmt: skip
INLINE = re.compile(r"<(script|style)\b([^>]*)>(.*?)</\1>", re.DOTALL | re.IGNORECASE)
ATTRIBUTE = re.compile(r"""\s([a-z-]+)(?:=("[^"]*"|'[^']*'|[^\s>]+))?""", re.IGNORECASE)
TAG = re.compile(r"<[a-z][^>]*>", re.IGNORECASE)


def policy(response) -> dict[str, list[str]]:
    """The response's one CSP, as directive -> sources."""
    headers = response.headers  # httpx's (a response) or Starlette's (a Response)
    pairs = headers.multi_items() if hasattr(headers, "multi_items") else headers.items()
    values = [value for name, value in pairs if name.lower() == "content-security-policy"]
    assert len(values) == 1, values
    directives: dict[str, list[str]] = {}
    for part in values[0].split(";"):
        if part.strip():
            name, *sources = part.split()
            assert name not in directives, f"{name} twice"
            directives[name] = sources
    return directives


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def inline_elements(page: str) -> list[tuple[str, dict[str, str], str]]:
    """(tag, attributes, text) of every <script> and <style> element."""
    found = []
    for tag, attributes, text in INLINE.findall(page):
        attrs = {name.lower(): (value or "").strip("\"'") for name, value in ATTRIBUTE.findall(attributes)}  # fmt: skip
        found.append((tag.lower(), attrs, text))
    return found


def assert_strict_page_policy(response) -> dict[str, list[str]]:
    """A page's CSP: nothing by default, no lax source for code or styles, no framing,
    and every inline <script> and <style> of the page covered by a hash or a nonce."""
    csp = policy(response)
    assert csp["default-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["connect-src"] == ["'self'"]  # fetch and the same host's websocket
    for directive in ("script-src", "style-src"):
        assert "'self'" in csp[directive]
        assert not LAX_SOURCES & set(csp[directive]), csp[directive]
    assert not any(d.startswith(("script-src-", "style-src-")) for d in csp), csp
    page = response.text
    scripts = 0
    for tag, attrs, text in inline_elements(page):
        if tag == "script" and "src" in attrs:
            continue
        allowed = csp["script-src" if tag == "script" else "style-src"]
        covered = sha256_source(text) in allowed or (
            "nonce" in attrs and f"'nonce-{attrs['nonce']}'" in allowed
        )
        assert covered, f"an inline <{tag}> not covered by {allowed}: {text[:80]!r}"
        scripts += tag == "script"
    # Attributes no hash can cover without 'unsafe-hashes': none in our pages.
    for element in TAG.findall(page):
        names = {name.lower() for name, _ in ATTRIBUTE.findall(element)}
        assert "style" not in names, element
        assert not any(name.startswith("on") for name in names), element
    return csp


def assert_every_response_header(response, *, hsts: bool = False) -> None:
    headers = response.headers
    assert (NOSNIFF[0], headers.get(NOSNIFF[0])) == NOSNIFF, response.url
    assert (NO_REFERRER[0], headers.get(NO_REFERRER[0])) == NO_REFERRER, response.url
    assert policy(response)["frame-ancestors"] == ["'none'"], response.url
    if hsts:
        assert headers["strict-transport-security"] == "max-age=31536000", response.url
    else:
        assert "strict-transport-security" not in headers, response.url


def not_a_page(response) -> None:
    """JSON, files, errors: a policy that loads and runs nothing."""
    assert policy(response) == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}


async def boom(request: Request) -> Response:
    raise RuntimeError("a fault, to see the 500 Starlette's error middleware answers")


@pytest.fixture
def every_client(settings: Settings) -> Iterator[TestClient]:
    """The real app, plus one route that raises (an unexpected fault)."""
    app = create_app(dataclasses.replace(settings, allowed_origins=("https://app.example",)))
    app.router.routes.append(Route("/boom", boom))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def every_kind_of_response(client: TestClient) -> dict[str, object]:
    """One response of each kind the server gives, by name."""
    typename = {"query": "{ __typename }"}
    responses = {
        "graphiql page": client.get("/graphql", headers={"accept": "text/html"}),
        "graphql json (POST)": client.post("/graphql", json=typename),
        "graphql json (GET)": client.get("/graphql", params=typename),
        "graphql error (400)": client.post("/graphql", json={"query": "{ nope }"}),
        "graphql refusal (405)": client.get("/graphql", params={"query": "mutation { x }"}),
        "graphql refusal (415)": client.post(
            "/graphql", content=b"x", headers={"content-type": "text/plain"}
        ),  # fmt: skip
        "graphql refusal (413)": client.post(
            "/graphql", content=b"x" * 1_000_001, headers={"content-type": "application/json"}
        ),  # fmt: skip
        "cors preflight": client.options(
            "/graphql",
            headers={"origin": "https://app.example", "access-control-request-method": "POST"},
        ),  # fmt: skip
        "healthz": client.get("/healthz"),
        "readyz": client.get("/readyz"),
        "metrics": client.get("/metrics"),
        "redirect": client.get("/", follow_redirects=False),
        "not found": client.get("/no/such/path"),
        "method not allowed": client.put("/healthz"),
        "app page": client.get("/app/"),
        "app client route": client.get("/app/pairs/UGFpcjox"),
        "app file not found": client.get("/app/assets/missing.js"),
        "server error (500)": client.get("/boom"),
        "head": client.head("/healthz"),
    }
    files = static.graphiql_files()
    if files.local:
        spec = static.ASSETS[-1].spec
        responses["graphiql file"] = client.get(f"/graphql/assets/{spec}")
    app_assets = sorted((webfiles.app_dist() / "assets").glob("*.js"))
    if app_assets:
        responses["app file"] = client.get(f"/app/assets/{app_assets[0].name}")
    return responses


def test_every_response_carries_the_security_headers(every_client: TestClient) -> None:
    responses = every_kind_of_response(every_client)
    statuses = {name: r.status_code for name, r in responses.items()}
    assert statuses["server error (500)"] == 500
    assert statuses["not found"] == 404
    assert statuses["graphql refusal (413)"] == 413
    assert statuses["cors preflight"] == 200
    for name, response in responses.items():
        assert_every_response_header(response)
        if name not in ("graphiql page", "app page", "app client route"):
            not_a_page(response)
        elif webfiles.app_dist().joinpath("index.html").is_file() or name == "graphiql page":
            assert_strict_page_policy(response)


def test_behind_tls_every_response_asks_for_https_from_now_on(settings: Settings) -> None:
    """BEHIND_TLS: Strict-Transport-Security on every response, errors included."""
    app = create_app(dataclasses.replace(settings, behind_tls=True))
    app.router.routes.append(Route("/boom", boom))
    with TestClient(app, raise_server_exceptions=False) as client:
        for response in every_kind_of_response(client).values():
            assert_every_response_header(response, hsts=True)


def test_the_graphiql_page_runs_only_its_own_code(api) -> None:
    """Our files, and the page's inline script by its hash; a fresh nonce per response
    for the <style> elements GraphiQL's dialogs add (api/graphiql.html says why)."""
    first = api.client.get("/graphql", headers={"accept": "text/html"})
    assert first.status_code == 200 and 'id="login-form"' in first.text
    csp = assert_strict_page_policy(first)
    inline_scripts = [e for e in inline_elements(first.text) if e[0] == "script" and "src" not in e[1]]  # fmt: skip
    assert len(inline_scripts) == 1
    assert sha256_source(inline_scripts[0][2]) in csp["script-src"]
    # GraphiQL's stylesheet has its fonts as data: URLs, the page its icon.
    assert csp["font-src"] == ["'self'", "data:"]
    assert csp["img-src"] == ["'self'", "data:"]
    nonces = [s for s in csp["style-src"] if s.startswith("'nonce-")]
    assert len(nonces) == 1 and len(nonces[0]) >= len("'nonce-'") + 22
    assert f'nonce="{nonces[0][7:-1]}"' in first.text
    second = api.client.get("/graphql", headers={"accept": "text/html"})
    assert policy(second)["style-src"] != csp["style-src"], "the nonce is used once"
    if static.graphiql_files().local:
        assert "unpkg.com" not in first.headers["content-security-policy"]
        for tag, attrs, _ in inline_elements(first.text):
            assert tag != "script" or attrs.get("src", "/").startswith("/")


def test_the_cdn_fallback_allows_exactly_its_files() -> None:
    """Without web/graphiql installed the page loads from unpkg.com: the policy names
    each file it loads there (each pinned by its integrity hash too), not the host."""
    response = static.graphiql_page(local=False)
    csp = policy(response)
    cdn = {f"https://unpkg.com/{asset.spec}" for asset in static.ASSETS}
    outside = {s for d in csp.values() for s in d if s.startswith("https:")}
    assert outside == cdn
    assert {s for s in csp["script-src"] if s.startswith("https:")} == {
        f"https://unpkg.com/{a.spec}" for a in static.SCRIPTS
    }
    assert {s for s in csp["style-src"] if s.startswith("https:")} == {
        f"https://unpkg.com/{a.spec}" for a in static.STYLESHEETS
    }
    local = policy(static.graphiql_page(local=True))
    assert not any("unpkg" in s for d in local.values() for s in d)


def test_the_app_page_policy_follows_its_build(tmp_path: Path) -> None:
    """The built index.html's own inline code, if a build adds some, is hashed; a new
    build is picked up without a restart. Not built: the how-to page, also strict."""
    dist = tmp_path / "dist"
    with TestClient(Starlette(routes=static.routes(dist=dist))) as client:
        missing = client.get("/app/")
        assert missing.status_code == 404 and "npm run build" in missing.text
        assert_strict_page_policy(missing)

        (dist / "assets").mkdir(parents=True)
        (dist / "index.html").write_text(
            '<!doctype html><html><head><script type="module" src="/app/assets/a.js"></script>'
            "</head><body><div id=root></div></body></html>"
        )
        page = client.get("/app/")
        csp = assert_strict_page_policy(page)
        assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
        assert csp["img-src"] == ["'self'"] and csp["font-src"] == ["'self'"]

        (dist / "index.html").write_text(
            "<!doctype html><html><head><script>window.started = 1</script></head>"
            "<body><div id=root></div></body></html>"
        )
        rebuilt = client.get("/app/pairs/UGFpcjox")
        assert sha256_source("window.started = 1") in assert_strict_page_policy(rebuilt)["script-src"]  # fmt: skip
        # Asked by its name, index.html is still the page, with its policy.
        assert policy(client.get("/app/index.html")) == policy(rebuilt)

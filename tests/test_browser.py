"""The example app (/app/) and GraphiQL (/graphql) in a real browser.

A real `python -m api serve` runs on its own SQLite file with `make run`'s demo data
(`seed-demo`: a mentor and a mentee in an active pair). Node scripts in web/e2e drive
Debian's headless Chromium with playwright-core, with every request to a host other
than the server aborted, print one JSON report, and save screenshots to ARTIFACTS_DIR
(default test-artifacts/). These tests assert on that report.

Without Chromium, Node.js, web/node_modules or the built app (`make install` builds it
when npm is present) the browser tests skip and say why; with REQUIRE_BROWSER=1 (CI)
they fail instead.

Each page runs under the Content-Security-Policy the server sends (api/security.py): a
script fails on any `securitypolicyviolation` event, and shows that a script and a style
injected through the DOM are refused. The CDN fallback's page is tried too, its files
answered from the server's copies.

The tests above the browser ones need no browser: the page's CDN fallback and the
/app/ answers when the app is not built.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from api import static
from tests import servers

ROOT = servers.ROOT
WEB = ROOT / "web"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR") or ROOT / "test-artifacts").resolve()
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
SCRIPT_TIMEOUT = 150  # seconds for one node script; each also stops itself after 90


# --- no browser needed ------------------------------------------------------------------


def test_without_local_files_the_page_loads_graphiql_from_the_cdn_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="api.static"):
        files = static.graphiql_files(tmp_path / "node_modules")
    assert not files.local
    assert "not installed" in (files.problem or "")
    assert any(
        "unpkg.com" in r.getMessage() and "make install" in r.getMessage() for r in caplog.records
    )

    page = static.graphiql_html(local=False)
    assert 'data-assets="cdn"' in page
    for asset in static.ASSETS:
        assert f'"https://unpkg.com/{asset.spec}" integrity="{asset.integrity}"' in page


def test_local_page_names_no_outside_host() -> None:
    page = static.graphiql_html(local=True)
    assert 'data-assets="local"' in page
    assert "unpkg.com" not in page
    for asset in static.ASSETS:
        assert f'"/graphql/assets/{asset.spec}" integrity="{asset.integrity}"' in page


def test_a_file_of_another_version_is_not_served(tmp_path: Path) -> None:
    modules = tmp_path / "node_modules"
    (modules / "graphiql").mkdir(parents=True)
    (modules / "graphiql" / "package.json").write_text('{"version": "3.8.2"}')
    files = static.graphiql_files(modules)
    assert not files.local
    assert "3.8.2, not 3.8.3" in (files.problem or "")


def test_app_not_built_answers_how_to_build_it(tmp_path: Path) -> None:
    with TestClient(Starlette(routes=static.routes(dist=tmp_path / "dist"))) as client:
        response = client.get("/app/")
        assert response.status_code == 404
        assert "npm run build" in response.text and "make install" in response.text
        assert client.get("/app", follow_redirects=False).headers["location"] == "/app/"


def test_app_serves_files_and_index_for_client_routes(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html>app</html>")
    (dist / "assets" / "index-abc.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("outside")
    with TestClient(Starlette(routes=static.routes(dist=dist))) as client:
        asset = client.get("/app/assets/index-abc.js")
        assert asset.text == "console.log(1)"
        assert "immutable" in asset.headers["cache-control"]
        for route in ("/app/", "/app/pairs/UGFpcjox"):
            page = client.get(route)
            assert (page.status_code, page.text) == (200, "<html>app</html>")
            assert page.headers["cache-control"] == "no-cache"
        assert client.get("/app/assets/missing.js").status_code == 404
        assert client.get("/app/%2e%2e/secret.txt").status_code == 404


def test_graphql_serves_our_graphiql_page(api) -> None:
    response = api.client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "Mentorship API" in response.text and 'id="login-form"' in response.text
    expected = "local" if static.graphiql_files().local else "cdn"
    assert f'data-assets="{expected}"' in response.text


def test_graphiql_files_are_served_with_their_integrity(api) -> None:
    files = static.graphiql_files()
    if not files.local:
        _unavailable(f"GraphiQL's files are not installed: {files.problem}")
    for asset in static.ASSETS:
        response = api.client.get(f"/graphql/assets/{asset.spec}")
        assert response.status_code == 200
        path = files.files[asset.spec]
        assert response.content == path.read_bytes()
        assert static.sri_hash(path) == asset.integrity
    assert api.client.get("/graphql/assets/graphiql@3.8.3/package.json").status_code == 404


# --- in the browser ---------------------------------------------------------------------


def _unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def _missing() -> list[str]:
    missing = []
    if shutil.which("node") is None:
        missing.append("Node.js is not installed")
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    if not (WEB / "node_modules" / "playwright-core").is_dir():
        missing.append("web/node_modules is missing (make install runs npm ci)")
    if not (WEB / "dist" / "index.html").is_file():
        missing.append("the example app is not built (make install, or npm run build in web/)")
    return missing


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server on make run's demo data; its base URL."""
    if os.environ.get("TEST_DATABASE_URL"):
        # Its server is SQLite whatever the suite runs on: `make test` ran these already.
        pytest.skip("the browser tests run once, in `make test`")
    if missing := _missing():
        _unavailable("; ".join(missing))
    directory = tmp_path_factory.mktemp("browser")
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite://{directory / 'demo.db'}",
        BROADCAST_URL="memory://",
        PASSWORD_HASH_TIME_COST="1",
        PASSWORD_HASH_MEMORY_KIB="64",
    )
    for name in ("TEST_DATABASE_URL", "TEST_BROADCAST_URL"):
        env.pop(name, None)
    seeded = subprocess.run(
        [sys.executable, "-m", "api", "seed-demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    with servers.serving(env, directory / "server.log") as (port, _):
        yield f"http://127.0.0.1:{port}"


def _run_script(name: str, base_url: str, **extra_env: str) -> dict[str, Any]:
    """Run web/e2e/<name>.mjs against the server; its JSON report (last stdout line),
    checked for what every script must show: nothing asked of another host, no error in
    a page, and every document under a strict Content-Security-Policy (api/security.py)
    that nothing the page did ran into."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, BASE_URL=base_url, ARTIFACTS_DIR=str(ARTIFACTS), **extra_env)
    env["CHROMIUM_PATH"] = str(CHROMIUM)
    try:
        done = subprocess.run(
            ["node", f"e2e/{name}.mjs"],
            cwd=WEB,
            env=env,
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"{name}.mjs did not finish within {SCRIPT_TIMEOUT} s: {error.stdout}")
    lines = done.stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1])
    except (IndexError, ValueError):
        pytest.fail(
            f"{name}.mjs printed no report (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    assert report["ok"], (
        f"{name}.mjs failed: {report.get('error')}\n"
        f"CSP violations: {report.get('cspViolations')}\n{done.stderr}"
    )
    assert done.returncode == 0
    for path in report["screenshots"]:
        assert Path(path).stat().st_size > 0
        print(f"screenshot: {path}")
    assert report["blocked"] == [], f"{name}.mjs: the page asked for something outside the server"
    assert report["errors"] == []
    assert report["cspViolations"] == [], "the Content-Security-Policy refused what a page needs"
    assert report["documentPolicies"], "no document was loaded"
    for document in report["documentPolicies"]:
        policy = document["policy"] or ""
        assert "default-src 'none'" in policy and "script-src 'self'" in policy, document
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, document
        assert "frame-ancestors 'none'" in policy, document
    return report


def _assert_foreign_code_refused(report: dict[str, Any]) -> None:
    """The page's probe: a script and a <style> added through the DOM did not apply."""
    assert report["probe"]["ran"] == {"script": False, "style": False}
    assert report["probe"]["refused"] == ["script-src-elem", "style-src-elem"]


@pytest.mark.timeout(SCRIPT_TIMEOUT + 120)  # with the server start and the seed
@pytest.mark.one_python  # Chromium: once per CI run (.ci/run, on the default Python)
def test_mentee_sees_the_mentors_milestone_and_check_in_live(demo_server: str) -> None:
    report = _run_script("live-pair", demo_server)
    print(f"live update latency (ms): {report['latencyMs']}")

    # The mentor's milestone and check-in reached the mentee's open page...
    assert report["completed"]["after"] == report["completed"]["before"] + 1
    assert report["checkIns"]["after"] == report["checkIns"]["before"] + 1
    # ...with no reload and no navigation.
    page = report["menteePage"]
    assert page["documentLoads"] == 0
    assert page["windowStateKept"]
    assert page["urlAfter"] == page["urlBefore"]
    assert page["urlBefore"].endswith(f"/app/pairs/{report['pairId']}")
    # The milestone and the check-in each went out with a key of their own.
    keys = report["mutationKeys"]
    assert len(keys) == 2 and all(keys) and len(set(keys)) == 2, keys


@pytest.mark.timeout(SCRIPT_TIMEOUT + 120)  # with the server start and the seed
@pytest.mark.one_python
def test_a_newcomer_signs_up_for_a_program_in_the_app(demo_server: str) -> None:
    """Create an account, find and join the demo group, sign up as a mentee with choice
    answers (an empty form first names what is missing), see it waiting, withdraw; sign
    up again, get paired by the admin (over the API), and see the pair arrive live."""
    report = _run_script("sign-up", demo_server)

    _assert_foreign_code_refused(report)
    # The token is in sessionStorage (docs/client-guide.md), nothing in localStorage.
    assert report["storage"] == {"local": [], "session": ["mentorship.token"]}
    assert report["programTitle"] == "Career Advancement Mentorship"
    assert report["missingBefore"] >= 3  # every required question of a mentee
    assert report["chosen"] == 3  # topics, ways to meet, times: the choice questions
    assert report["counter"].endswith("/ 2000")
    assert "signed up as a mentee" in report["confirmation"]
    assert "PENDING" in report["confirmation"]
    assert report["withdrawn"]
    # Signed up again and paired by the admin: the open page showed the pair live.
    assert report["pairedWith"] and report["pairedLive"]
    assert report["badPair"] == "This pair doesn't exist, or isn't yours."
    assert "Page not found" in report["notFound"]
    # What the browser did is in the database: a withdrawn sign-up, then a matched one.
    with httpx.Client(base_url=demo_server, timeout=10) as http:
        login = {
            "query": LOGIN_AS,
            "variables": {"input": {"email": report["email"], "password": "a long passphrase"}},
        }
        token = http.post("/graphql", json=login).json()["data"]["login"]["token"]
        mine = http.post(
            "/graphql",
            json={"query": "{ viewer { signUps(first: 5) { edges { node { role status } } } } }"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["data"]["viewer"]["signUps"]["edges"]
    assert sorted(edge["node"]["status"] for edge in mine) == ["MATCHED", "WITHDRAWN"]
    assert {edge["node"]["role"] for edge in mine} == {"MENTEE"}


LOGIN_AS = "mutation($input: LoginInput!) { login(input: $input) { token } }"


@pytest.mark.timeout(SCRIPT_TIMEOUT + 120)  # with the server start and the seed
@pytest.mark.one_python
def test_graphiql_runs_a_query_with_a_token_offline(demo_server: str) -> None:
    if problem := static.graphiql_files().problem:
        _unavailable(f"GraphiQL's files are not installed: {problem}")
    report = _run_script("graphiql", demo_server)

    assert report["assets"] == "local"
    assert report["cdnRequests"] == []
    _assert_graphiql_works(report)
    # Its subscription went over the websocket to the same host, which connect-src allows.
    socket = report["websocket"]
    assert socket["url"] == demo_server.replace("http", "ws", 1) + "/graphql"
    assert socket["sent"] == ["connection_init", "subscribe"]
    assert socket["received"] == ["connection_ack"]


@pytest.mark.timeout(SCRIPT_TIMEOUT + 120)  # with the server start and the seed
@pytest.mark.one_python
def test_graphiql_from_the_cdn_runs_under_its_own_policy(demo_server: str, tmp_path: Path) -> None:
    """The page as the server sends it when GraphiQL's files are not installed: the CDN's
    files (answered from the server's copies, the internet being closed) load under the
    policy that names them, and GraphiQL works."""
    if problem := static.graphiql_files().problem:
        _unavailable(f"GraphiQL's files are not installed (the CDN's are served from them): {problem}")  # fmt: skip
    page = static.graphiql_page(local=False)
    cdn_page = tmp_path / "cdn-page.json"
    cdn_page.write_text(
        json.dumps(
            {"html": bytes(page.body).decode(), "policy": page.headers["content-security-policy"]}
        )
    )
    report = _run_script("graphiql", demo_server, GRAPHIQL_CDN_PAGE=str(cdn_page))

    assert report["assets"] == "cdn"
    assert sorted(report["cdnRequests"]) == sorted(
        f"https://unpkg.com/{asset.spec}" for asset in static.ASSETS
    )
    _assert_graphiql_works(report)


def _assert_graphiql_works(report: dict[str, Any]) -> None:
    """Signed in, ran the example query, opened a dialog and the Explorer, under the CSP."""
    _assert_foreign_code_refused(report)
    # The settings dialog's scroll lock, a <style> GraphiQL adds, applied (by nonce).
    assert report["dialogScrollLocked"]
    # The token, with GraphiQL's tabs and history, is in this tab's sessionStorage only,
    # which a reload keeps.
    assert report["storage"]["local"] == []
    assert "graphiql:headers" in report["storage"]["session"]
    assert report["statusAfterReload"].startswith("Signed in as Ada Admin")
    assert report["status"].startswith("Signed in as Ada Admin")
    assert json.loads(report["headers"])["Authorization"].startswith("Bearer ")
    assert "query Explore" in report["exampleQuery"]
    result = report["result"]
    assert "errors" not in result, result
    viewer = result["data"]["viewer"]
    assert viewer["name"] == "Ada Admin"
    group = viewer["groups"]["edges"][0]["node"]
    assert group["viewerRole"] == "ADMIN"
    program = group["programs"]["edges"][0]["node"]
    assert program["pairs"]["totalCount"] >= 1
    assert report["explorer"]

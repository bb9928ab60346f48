"""What a wheel carries of web/ (api/webfiles.py, which setup.py uses at build time), and
that an installed server prefers that copy to the checkout's. .ci/wheel builds a real
wheel, installs it and fetches from it; these check the choices without building one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from api import static, webfiles


def _checkout(root: Path, *, graphiql: bool = True, app: bool = True) -> None:
    """A checkout after `make web`: GraphiQL's packages in full, and the built app."""
    modules = root / "web" / "graphiql" / "node_modules"
    if graphiql:
        for asset in webfiles.ASSETS:
            package = modules / asset.package
            (package / asset.file).parent.mkdir(parents=True, exist_ok=True)
            (package / asset.file).write_text(asset.spec)
            (package / "package.json").write_text(json.dumps({"version": asset.version}))
            (package / "README.md").write_text("not served")
            (package / "cjs").mkdir(exist_ok=True)
            (package / "cjs" / "index.js").write_text("not served")
    if app:
        (root / "web" / "dist" / "assets").mkdir(parents=True)
        (root / "web" / "dist" / "index.html").write_text("<div id=root></div>")
        (root / "web" / "dist" / "assets" / "index-abc.js").write_text("app")


def test_a_wheel_carries_only_the_files_served(tmp_path: Path) -> None:
    _checkout(tmp_path)
    files, missing = webfiles.package_files(tmp_path)
    assert missing == []
    expected = {"app/index.html", "app/assets/index-abc.js"}
    for asset in webfiles.ASSETS:
        expected |= {f"graphiql/{asset.package}/{asset.file}"}
        expected |= {f"graphiql/{asset.package}/package.json"}
    assert set(files) == expected
    assert not any("README" in name or "cjs/" in name for name in files)


def test_without_make_web_the_wheel_names_what_it_lacks(tmp_path: Path) -> None:
    _checkout(tmp_path, graphiql=False, app=False)
    files, missing = webfiles.package_files(tmp_path)
    assert files == {}
    assert "web/dist/index.html" in missing
    assert "web/graphiql/node_modules/graphiql/graphiql.min.js" in missing


def test_a_wheel_built_from_an_sdist_takes_the_sdists_copy(tmp_path: Path) -> None:
    copy = tmp_path / "api" / "web" / "app"
    copy.mkdir(parents=True)
    (copy / "index.html").write_text("app")
    files, missing = webfiles.package_files(tmp_path)
    assert (files, missing) == ({"app/index.html": copy / "index.html"}, [])


def test_a_checkout_serves_from_web(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(webfiles, "PACKAGED_GRAPHIQL", tmp_path / "api" / "web" / "graphiql")
    monkeypatch.setattr(webfiles, "PACKAGED_APP", tmp_path / "api" / "web" / "app")
    assert webfiles.graphiql_modules() == webfiles.SOURCE_GRAPHIQL
    assert webfiles.app_dist() == webfiles.SOURCE_APP


def test_an_installed_wheel_serves_its_own_copy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _checkout(tmp_path)
    files, _ = webfiles.package_files(tmp_path)
    packaged = tmp_path / "installed" / "api" / "web"
    for name, source in files.items():
        (packaged / name).parent.mkdir(parents=True, exist_ok=True)
        (packaged / name).write_bytes(source.read_bytes())
    monkeypatch.setattr(webfiles, "PACKAGED_GRAPHIQL", packaged / "graphiql")
    monkeypatch.setattr(webfiles, "PACKAGED_APP", packaged / "app")
    assert webfiles.graphiql_modules() == packaged / "graphiql"
    assert webfiles.app_dist() == packaged / "app"
    # The copy is checked as node_modules is (versions, then hashes: these are fakes).
    checked = static.graphiql_files(webfiles.graphiql_modules())
    assert "does not match its integrity hash" in (checked.problem or "")
    with TestClient(Starlette(routes=static.routes())) as client:
        assert client.get("/app/pairs/UGFpcjox").text == "<div id=root></div>"
        assert client.get("/app/assets/index-abc.js").text == "app"

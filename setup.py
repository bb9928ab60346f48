"""Build hook: a wheel carries the browser files the server serves, so that `pip install`
of it gives GraphiQL offline and the example app at /app/ (pyproject.toml holds the rest
of the packaging).

`make web` (npm) makes those files: GraphiQL's in web/graphiql/node_modules, the app in
web/dist. The wheel gets a copy of just the files served (api/webfiles.py lists them) as
api/web/; an sdist carries the same copy, so a wheel built from it has them too. Without
them the build still succeeds, with a warning, and the installed server falls back as a
checkout without npm does: GraphiQL from the CDN (logged at startup) and a page at /app/
saying how to build. Editable installs get no copy: the server reads web/ itself.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent


def _webfiles() -> ModuleType:
    """api/webfiles.py, loaded by path: the package's imports are not installed here."""
    spec = importlib.util.spec_from_file_location("_webfiles", HERE / "api" / "webfiles.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def copy_web_files(target: Path) -> None:
    """Replace `target` (api/web/ in the build) with the files the server serves."""
    files, missing = _webfiles().package_files(HERE)
    if missing:
        print(
            f"warning: built without {', '.join(missing)} (run `make web` with npm first): "
            "the installed server loads GraphiQL from a CDN and does not serve the app",
            file=sys.stderr,
        )
    shutil.rmtree(target, ignore_errors=True)  # nothing left from an earlier build
    for name, source in files.items():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)


class BuildPyWithWebFiles(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            copy_web_files(Path(self.build_lib) / "api" / "web")


class SdistWithWebFiles(sdist):
    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        copy_web_files(Path(base_dir) / "api" / "web")


setup(cmdclass={"build_py": BuildPyWithWebFiles, "sdist": SdistWithWebFiles})

"""The browser files the server serves besides its own page: GraphiQL's pinned npm files
and the built example app, and where they are found.

In a checkout (and an editable install) they are in web/: `make web` runs `npm ci` in
web/graphiql and builds the app into web/dist. A wheel carries copies of exactly the
files served, in the package as api/web/ (setup.py copies them there at build time with
`package_files`), so `pip install` of a wheel gives a server that works offline; it is
looked at first. Standard library only: setup.py loads this file before anything else
is installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
# In a checkout: npm's install of GraphiQL's files, and Vite's build of the app.
SOURCE_GRAPHIQL = ROOT / "web" / "graphiql" / "node_modules"
SOURCE_APP = ROOT / "web" / "dist"
# In an installed wheel: the same files, GraphiQL's laid out as in node_modules.
PACKAGED = PACKAGE / "web"
PACKAGED_GRAPHIQL = PACKAGED / "graphiql"
PACKAGED_APP = PACKAGED / "app"


@dataclass(frozen=True)
class Asset:
    """One file of an npm package, as unpkg.com names it: `package@version/file`."""

    package: str
    version: str
    file: str
    integrity: str

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}/{self.file}"

    def tag(self, base: str) -> str:
        url = base + self.spec
        if self.file.endswith(".css"):
            return (
                f'<link rel="stylesheet" crossorigin href="{url}" integrity="{self.integrity}" />'
            )
        return f'<script crossorigin src="{url}" integrity="{self.integrity}"></script>'


# Strawberry 0.341's static/graphiql.html, minus js-cookie (Django's CSRF cookie; unused).
STYLESHEETS = (
    Asset(
        "graphiql",
        "3.8.3",
        "graphiql.min.css",
        "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    ),
    Asset(
        "@graphiql/plugin-explorer",
        "1.0.2",
        "dist/style.css",
        "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi",
    ),
)
SCRIPTS = (
    Asset(
        "react",
        "18.2.0",
        "umd/react.production.min.js",
        "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
    ),
    Asset(
        "react-dom",
        "18.2.0",
        "umd/react-dom.production.min.js",
        "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
    ),
    Asset(
        "graphiql",
        "3.8.3",
        "graphiql.min.js",
        "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    ),
    Asset(
        "@graphiql/plugin-explorer",
        "1.0.2",
        "dist/index.umd.js",
        "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9",
    ),
)
ASSETS = STYLESHEETS + SCRIPTS


def graphiql_modules() -> Path:
    """Where GraphiQL's files are: the installed package's copy, else the checkout's."""
    return PACKAGED_GRAPHIQL if PACKAGED_GRAPHIQL.is_dir() else SOURCE_GRAPHIQL


def app_dist() -> Path:
    """Where the built example app is: the installed package's copy, else web/dist."""
    return PACKAGED_APP if (PACKAGED_APP / "index.html").is_file() else SOURCE_APP


def package_files(root: Path) -> tuple[dict[str, Path], list[str]]:
    """What a wheel built from `root` carries under api/web/, as {path in api/web/:
    source file}, and what is missing. Only the files served: each asset with its
    package.json (the server checks the version), and web/dist. From an unpacked sdist,
    which has them in api/web/ already, that copy."""
    packaged = root / "api" / "web"
    if packaged.is_dir():
        files = {p.relative_to(packaged).as_posix(): p for p in packaged.rglob("*") if p.is_file()}
        return files, []
    files: dict[str, Path] = {}
    missing: list[str] = []
    modules = root / SOURCE_GRAPHIQL.relative_to(ROOT)
    for asset in ASSETS:
        for name in ("package.json", asset.file):
            source = modules / asset.package / name
            if source.is_file():
                files[f"graphiql/{asset.package}/{name}"] = source
            else:
                missing.append(str(source.relative_to(root)))
    dist = root / SOURCE_APP.relative_to(ROOT)
    if (dist / "index.html").is_file():
        for source in sorted(p for p in dist.rglob("*") if p.is_file()):
            files[f"app/{source.relative_to(dist).as_posix()}"] = source
    else:
        missing.append(str((dist / "index.html").relative_to(root)))
    return files, missing

"""The results: one row per figure, printed as a table and written as Markdown with the
machine's details (the figures mean little without them)."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = (
    "strawberry-graphql",
    "graphql-core",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "websockets",
    "orjson",
    "tortoise-orm",
    "aiosqlite",
    "asyncpg",
    "broadcaster",
)


@dataclass
class Row:
    """One figure: ours, the reference's, their ratio, and the target it is held to."""

    key: str  # stable name, e.g. "a.p50"
    name: str
    ours: str
    reference: str = ""
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None  # None: no target

    def cells(self) -> list[str]:
        ratio = f"{self.ratio:.2f}×" if self.ratio is not None else ""
        verdict = {True: "yes", False: "NO", None: ""}[self.ok]
        return [self.name, self.ours, self.reference, ratio, self.target, verdict]


HEADER = ["figure", "ours", "reference", "ratio", "target", "met"]


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)  # raw numbers per section, for the JSON

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def markdown_table(self) -> str:
        lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(row.cells()) + " |" for row in self.rows]
        return "\n".join(lines)

    def text_table(self) -> str:
        table = [HEADER] + [row.cells() for row in self.rows]
        widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
        return "\n".join(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
            for line in table
        )

    def write(self, path: Path, config: object, command: str) -> None:
        machine = machine_details()
        parts = [
            "# Benchmark results",
            "",
            f"`{command}`, {machine['date']}. Ratios are the figures to read: this machine is "
            "shared and noisy, so absolute times move between runs.",
            "",
            self.markdown_table(),
            "",
        ]
        if self.notes:
            parts += ["Notes:", ""] + [f"- {note}" for note in self.notes] + [""]
        parts += ["## Machine", ""]
        parts += [f"- {key}: {value}" for key, value in machine.items()]
        parts += ["", "## Configuration", "", "```"]
        parts += [f"{k} = {v!r}" for k, v in dataclasses.asdict(config).items()]
        parts += ["```", ""]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(parts), encoding="utf-8")

    def write_json(self, path: Path) -> None:
        payload = {
            "rows": [dataclasses.asdict(row) for row in self.rows],
            "notes": self.notes,
            "details": self.details,
            "machine": machine_details(),
        }
        path.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        import psutil

        return f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except ImportError:
        return "unknown"


def _git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return f"{commit}{' (with uncommitted changes)' if dirty else ''}" or "unknown"
    except OSError:
        return "unknown"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _wrk_version() -> str:
    try:
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        return (out.stdout or out.stderr).split("\n")[0].strip() or "unknown"
    except OSError:
        return "not installed"


def machine_details() -> dict[str, str]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "git commit": _git_commit(),
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "RAM": _memory(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": sys.version.split()[0],
        "wrk": _wrk_version(),
        "libraries": ", ".join(f"{name} {_version(name)}" for name in LIBRARIES),
    }

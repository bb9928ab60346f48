"""Our top-level packages have generic names (`api`, `schema`, `models`): make sure
they are ours, not an installed distribution of the same name (PyPI has `schema`)."""

from __future__ import annotations

import importlib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def ensure_own_packages() -> None:
    for name in ("api", "schema", "models"):
        module = importlib.import_module(name)
        location = Path(getattr(module, "__file__", "") or "").resolve()
        if PROJECT_ROOT not in location.parents:
            raise RuntimeError(
                f"The package {name!r} is imported from {location}, not from {PROJECT_ROOT}: "
                f"uninstall the distribution that ships a top-level {name!r} module."
            )

"""Test harness: a real SQLite file per test (copied from one migrated template),
the real ASGI app with its lifespan, and helpers that speak GraphQL to it."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.db import migrate
from api.settings import Settings
from tests.helpers import Api


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once per session; each test gets a copy of the result."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(migrate(f"sqlite://{path}"))
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "test.db"
    shutil.copy(template_db, path)
    return path


@pytest.fixture
def settings(db_path: Path) -> Settings:
    # Still argon2, at its lowest cost: the suite registers hundreds of people.
    return Settings(
        database_url=f"sqlite://{db_path}",
        broadcast_url="memory://",
        password_hash_time_cost=1,
        password_hash_memory_kib=64,
    )


@pytest.fixture
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, app) -> Api:
    return Api(client, app)

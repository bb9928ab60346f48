"""Test harness: the real ASGI app with its lifespan, and helpers that speak GraphQL to it.

The database is a real SQLite file per test (copied from one migrated template), or,
with `TEST_DATABASE_URL` set, one PostgreSQL database migrated once per session and
emptied before every test. The event bus is memory:// unless `TEST_BROADCAST_URL` is set.
See tests/backends.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from api.db import migrate
from api.settings import Settings
from tests.backends import (
    TEST_BROADCAST_URL,
    TEST_DATABASE_URL,
    empty_postgres,
    prepare_postgres,
    run_sync,
)
from tests.helpers import Api


def pytest_report_header(config: pytest.Config) -> str:
    database = "PostgreSQL" if TEST_DATABASE_URL else "SQLite file per test"
    return f"backends: database={database}, broadcast={TEST_BROADCAST_URL.split('://')[0]}"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SQLite: migrate once per session; each test gets a copy of the result."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    run_sync(lambda: migrate(f"sqlite://{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_db() -> str:
    """PostgreSQL: create the database if missing, rebuild its schema, migrate, once."""
    assert TEST_DATABASE_URL is not None
    run_sync(lambda: prepare_postgres(TEST_DATABASE_URL))
    return TEST_DATABASE_URL


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database holding only the migrated schema, for this test alone."""
    if TEST_DATABASE_URL is not None:
        url = request.getfixturevalue("postgres_db")
        run_sync(lambda: empty_postgres(url))
        return url
    path = tmp_path / "test.db"
    shutil.copy(request.getfixturevalue("template_db"), path)
    return f"sqlite://{path}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Still argon2, at its lowest cost: the suite registers hundreds of people.
    return Settings(
        database_url=database_url,
        broadcast_url=TEST_BROADCAST_URL,
        password_hash_time_cost=1,
        password_hash_memory_kib=64,
        # Off: the suite mutates a lot from one client address; tests/test_rate_limits.py
        # turns them on.
        rate_limit_user_per_minute=0,
        rate_limit_ip_per_minute=0,
        # Off: it would freeze the test runner's own heap; tests/test_runtime.py and every
        # test that starts `serve` run it.
        gc_policy=False,
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

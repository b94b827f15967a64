"""Shared fixtures. The state store runs every test on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from sync_engine.store import Store

# Registered here, once, so every test module shares the session's one SuiteCRM server.
pytest_plugins = ["tests.suitecrm.fixtures"]

PG_URL_ENV = "SYNCHUB_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def pg_url() -> str:
    """URL of the test PostgreSQL server; the test is skipped (with the reason) if it is unreachable."""
    url = os.environ.get(PG_URL_ENV, DEFAULT_PG_URL)
    engine = create_engine(url)
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        pytest.skip(
            f"PostgreSQL not reachable at {shown} ({exc.orig}); start it or point {PG_URL_ENV} at a server"
        )
    finally:
        engine.dispose()
    return url


@dataclass(frozen=True)
class StoreTarget:
    """Where a test's state database lives; ``open()`` gives a new Store on it (e.g. a second process)."""

    url: str
    schema: str | None = None

    def open(self) -> Store:
        return Store(self.url, schema=self.schema)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreTarget]:
    """An empty state database: a SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield StoreTarget(f"sqlite:///{tmp_path / 'state.db'}")
        return
    url = request.getfixturevalue("pg_url")
    schema = f"synchub_test_{secrets.token_hex(6)}"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield StoreTarget(url, schema)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        engine.dispose()


@pytest.fixture
def blank_store(store_target: StoreTarget) -> Iterator[Store]:
    """A Store on an empty, unmigrated database."""
    store = store_target.open()
    yield store
    store.close()


@pytest.fixture
def store(blank_store: Store) -> Store:
    """A Store on a freshly migrated database."""
    blank_store.upgrade()
    return blank_store

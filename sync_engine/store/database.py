"""Engine construction: SQLite tuned for a local state file, PostgreSQL pinned to SyncHub's schema."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from sync_engine.store.errors import StoreError

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_CHECKPOINT_PAGES = 40_000


def _plain(value: Any) -> Any:
    """JSON for the native types connectors hand over (dead-letter payloads): exact, readable text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _dumps(value: Any) -> str:
    # orjson: the same compact text as json.dumps(ensure_ascii=False) at a fraction of the cost (CJK,
    # Arabic and Hebrew stay readable in the database); json for what orjson refuses (huge ints)
    try:
        return orjson.dumps(value, default=_plain).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_plain)


def _loads(text: str | bytes) -> Any:
    return orjson.loads(text)


def check_schema_name(schema: str) -> str:
    if not _SCHEMA_NAME.match(schema):
        raise StoreError(
            f"invalid schema name {schema!r}: use letters, digits and underscores, starting with a letter"
        )
    return schema


def is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def make_engine(url: str | URL, schema: str | None = None) -> Engine:
    """An engine for the state database at ``url``; ``schema`` (PostgreSQL) holds SyncHub's tables."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if schema is not None:
            raise StoreError("the schema option applies to PostgreSQL only; leave it unset for SQLite")
        return _sqlite_engine(parsed)
    if backend != "postgresql":
        raise StoreError(
            f"unsupported state database {parsed.render_as_string(hide_password=True)!r}: "
            "use sqlite:///path/to/file.db or postgresql+psycopg://user@host/db"
        )
    kwargs: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": _loads, "pool_pre_ping": True}
    if schema is not None:
        # every unqualified name (tables, Alembic's version table, reflection) resolves in our schema;
        # the URL's own ?options=... are kept (connect_args would replace them)
        given = parsed.query.get("options")
        options = [given] if isinstance(given, str) else list(given or ())
        options.append(f"-csearch_path={check_schema_name(schema)}")
        kwargs["connect_args"] = {"options": " ".join(options)}
    return create_engine(parsed, **kwargs)


def _sqlite_engine(url: URL) -> Engine:
    kwargs: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": _loads}
    if is_memory_sqlite(url):
        # one shared connection, or every checkout would see a different empty database
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # let SQLAlchemy, not pysqlite, decide when transactions begin (see the "begin" hook below)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages: link lookups stay in memory
        cursor.execute("PRAGMA temp_store=MEMORY")
        # copy the WAL back every 40,000 pages (160 MiB), not 1,000: a random-key index page written by
        # several commits in between is copied (and synced) once. 1,000 -> 10,000: 30% cheaper inserts at
        # 60k links; 10,000 -> 40,000: commit 73 -> 65 µs per link in an initial sync of 1M
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_CHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA journal_size_limit={SQLITE_CHECKPOINT_PAGES * 4096}")  # kept after one
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine

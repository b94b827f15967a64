"""The :class:`Store`: SyncHub's state database, one object for the engine, the CLI and Airflow."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.engine import make_url

from sync_engine.store import migrate
from sync_engine.store.base import PlannerStatistics
from sync_engine.store.conflicts import ConflictStore
from sync_engine.store.cursors import CursorStore
from sync_engine.store.database import check_schema_name, make_engine
from sync_engine.store.dead_letters import DeadLetterStore
from sync_engine.store.errors import StoreError
from sync_engine.store.links import LinkStore
from sync_engine.store.locks import LockStore
from sync_engine.store.runs import RunStore
from sync_engine.store.status import StatusStore

DEFAULT_URL = "sqlite:///synchub-state.db"


class Store(LinkStore, CursorStore, RunStore, ConflictStore, DeadLetterStore, LockStore, StatusStore):
    """SyncHub's state: links, cursors, runs, conflicts, dead letters, audit log and flow locks.

    ``url`` is a SQLAlchemy URL (SQLite file by default, PostgreSQL in production); ``schema`` is the
    PostgreSQL schema holding SyncHub's tables, e.g. when it shares the Airflow database server.
    Call :meth:`upgrade` once to create or migrate the tables.
    """

    def __init__(self, url: str = DEFAULT_URL, *, schema: str | None = None) -> None:
        self.url = make_url(url).render_as_string(hide_password=True)
        self.schema = check_schema_name(schema) if schema is not None else None
        self._engine = make_engine(url, self.schema)
        self._statistics = PlannerStatistics()

    def __repr__(self) -> str:
        schema = f", schema={self.schema!r}" if self.schema else ""
        return f"Store({self.url!r}{schema})"

    __str__ = __repr__

    # -- schema migrations

    def upgrade(self, revision: str = "head") -> None:
        """Create or migrate the tables up to ``revision`` (creating the PostgreSQL schema if needed)."""
        with self._engine.begin() as conn:
            if self.schema is not None:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
            migrate.upgrade(conn, self.schema, revision)

    def downgrade(self, revision: str = "base") -> None:
        """Migrate down to ``revision``; the default, base, drops every SyncHub table."""
        with self._engine.begin() as conn:
            migrate.downgrade(conn, self.schema, revision)

    def current_revision(self) -> str | None:
        with self._engine.connect() as conn:
            return migrate.current_revision(conn)

    def ensure_current(self) -> None:
        """Raise :class:`StoreError` unless the database is migrated to this SyncHub's latest revision."""
        current, head = self.current_revision(), migrate.head_revision()
        if current == head:
            return
        if current is None or _is_older(current, head):
            raise StoreError("state database is not migrated; run `synchub db upgrade`")
        raise StoreError(
            f"state database is at revision {current!r}, which this SyncHub does not know "
            f"(latest: {head!r}); upgrade SyncHub to the version that migrated it"
        )

    def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log back into the database file now, as far as no reader still
        needs it, so the run that wrote it pays for it and the next run starts with a short log
        (checkpoints are rare during a run: every 40,000 pages). Nothing to do on PostgreSQL."""
        if self._engine.dialect.name != "sqlite":
            return
        raw = self._engine.raw_connection()
        try:  # outside any transaction: a checkpoint cannot pass a reader, including ourselves
            raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").close()
        finally:
            raw.close()

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()


def _is_older(current: str, head: str | None) -> bool:
    """Whether ``current`` is a known revision below ``head``."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    try:
        return any(rev.revision == current for rev in script.iterate_revisions(head, "base"))
    except CommandError:  # an id this SyncHub has no migration for
        return False

"""What every part of the store shares: the engine, transactions, and the ``tx=`` convention."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine


def utcnow() -> datetime:
    return datetime.now(UTC)


class StoreBase:
    """Holds the engine; concept mixins (links, conflicts, ...) build on it."""

    _engine: Engine
    schema: str | None

    @contextmanager
    def transaction(self, *, wait_for_disk: bool = True) -> Iterator[Connection]:
        """One database transaction: committed on exit, rolled back on an exception.

        Pass the connection as ``tx=`` to the write methods to make them part of it.

        ``wait_for_disk=False`` (a run's batches): on PostgreSQL the commit returns before the server's
        log reaches the disk, as every SQLite commit does with ``synchronous=NORMAL``. A server crash
        may then roll back the last such commits, whole and in order, as if the run had stopped before
        them, which the next run repairs; the next commit that waits makes them durable with it.
        """
        with self._engine.begin() as conn:
            if not wait_for_disk and conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO off")
            yield conn

    @contextmanager
    def _use(self, tx: Connection | None) -> Iterator[Connection]:
        """The caller's transaction if given, else a transaction of our own."""
        if tx is not None:
            yield tx
        else:
            with self.transaction() as conn:
                yield conn


class PlannerStatistics:
    """Keeps PostgreSQL's planner statistics of the link tables in step with bulk loads.

    Until a table is analyzed, PostgreSQL plans an ``IN (...)`` lookup as if the table were tiny and
    scans the whole (flow, system) range per batch: a first sync of many links turns quadratic.
    Autovacuum analyzes only after about a minute and cannot see rows of an open transaction, so the
    store runs ``ANALYZE`` itself each time the rows it wrote reach the table's known size (doubling:
    a handful of runs per load, none on a large table with fresh statistics).
    """

    FIRST_AFTER = 1000

    def __init__(self) -> None:
        self._written = 0
        self._next: int | None = None

    def wrote(self, conn: Connection, rows: int) -> None:
        if conn.dialect.name != "postgresql" or rows == 0:
            return
        self._written += rows
        if self._next is None:
            known = conn.exec_driver_sql("SELECT reltuples FROM pg_class WHERE oid = to_regclass('links')")
            self._next = max(self.FIRST_AFTER, int(known.scalar() or 0))
        if self._written >= self._next:
            # only the columns lookups filter and join on: sampling the JSON snapshots cost a third more
            conn.exec_driver_sql("ANALYZE links (flow, canonical_id), link_ids")
            self._next = 2 * max(self._written, self._next)

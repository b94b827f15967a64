"""The flow lock: at most one run of a flow at a time, across processes and machines."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError

from sync_engine.store.base import StoreBase, utcnow
from sync_engine.store.errors import FlowLocked
from sync_engine.store.sql import upsert
from sync_engine.store.tables import FLOW_LOCKS

log = logging.getLogger(__name__)


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def advisory_key(schema: str | None, flow: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock; the schema keeps two installations apart."""
    digest = hashlib.blake2b(f"synchub:{schema or ''}:{flow}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _current_holder(conn: Connection, flow: str) -> tuple[str | None, datetime | None]:
    row = conn.execute(select(FLOW_LOCKS).where(FLOW_LOCKS.c.flow == flow)).one_or_none()
    return (row.holder, row.acquired_at) if row is not None else (None, None)


def _release_row(conn: Connection, flow: str, holder: str, acquired_at: datetime) -> None:
    # only our own row: after a stale takeover the row belongs to someone else
    conn.execute(
        delete(FLOW_LOCKS).where(
            FLOW_LOCKS.c.flow == flow, FLOW_LOCKS.c.holder == holder, FLOW_LOCKS.c.acquired_at == acquired_at
        )
    )


class LockStore(StoreBase):
    @contextmanager
    def lock_flow(
        self, flow: str, *, holder: str | None = None, stale_after: timedelta = timedelta(hours=6)
    ) -> Iterator[None]:
        """Hold the lock of ``flow`` for the ``with`` block, or raise :class:`FlowLocked` at once.

        PostgreSQL: a session advisory lock on a connection kept for the block (released by the server
        even if this process dies), plus a flow_locks row saying who holds it. SQLite: the flow_locks row
        is the lock; one older than ``stale_after`` is presumed left by a crashed run and taken over.
        """
        holder = holder or default_holder()
        if self._engine.dialect.name == "postgresql":
            with self._advisory_lock(flow, holder):
                yield
        else:
            with self._row_lock(flow, holder, stale_after):
                yield

    @contextmanager
    def _advisory_lock(self, flow: str, holder: str) -> Iterator[None]:
        key = advisory_key(self.schema, flow)
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            if not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one():
                raise FlowLocked(flow, *_current_holder(conn, flow))
            acquired_at = utcnow()
            try:
                upsert(
                    conn,
                    FLOW_LOCKS,
                    [{"flow": flow, "holder": holder, "acquired_at": acquired_at}],
                    keys=("flow",),
                    update=("holder", "acquired_at"),
                )
                yield
            finally:
                try:
                    _release_row(conn, flow, holder, acquired_at)
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                except DBAPIError:
                    # connection broken: discarding it ends the session, which frees the lock
                    conn.invalidate()
        finally:
            conn.close()

    @contextmanager
    def _row_lock(self, flow: str, holder: str, stale_after: timedelta) -> Iterator[None]:
        acquired_at = utcnow()
        with self.transaction() as conn:
            inserted = conn.execute(
                sqlite.insert(FLOW_LOCKS)
                .values(flow=flow, holder=holder, acquired_at=acquired_at)
                .on_conflict_do_nothing(index_elements=["flow"])
            ).rowcount
            if not inserted:
                other, since = _current_holder(conn, flow)
                if since is None or since > acquired_at - stale_after:
                    raise FlowLocked(flow, other, since)
                # compare-and-set, so two processes cannot both take over the same stale row
                taken = conn.execute(
                    update(FLOW_LOCKS)
                    .where(
                        FLOW_LOCKS.c.flow == flow,
                        FLOW_LOCKS.c.holder == other,
                        FLOW_LOCKS.c.acquired_at == since,
                    )
                    .values(holder=holder, acquired_at=acquired_at)
                ).rowcount
                if not taken:
                    raise FlowLocked(flow, *_current_holder(conn, flow))
                log.warning(
                    "took over the lock of flow %r from %s, held since %s (older than %s; presumed crashed)",
                    flow,
                    other,
                    since.isoformat(),
                    stale_after,
                )
        try:
            yield
        finally:
            with self.transaction() as conn:
                _release_row(conn, flow, holder, acquired_at)

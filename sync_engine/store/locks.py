"""The flow lock: at most one run of a flow at a time, across processes and machines."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, delete, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError

from sync_engine.store.base import StoreBase, utcnow
from sync_engine.store.errors import FlowLocked
from sync_engine.store.sql import upsert
from sync_engine.store.tables import FLOW_LOCKS

log = logging.getLogger(__name__)


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, Linux ``/proc``); None if unknown or gone.

    Kept in the holder so a pid reused by another process after a crash is not taken for the holder.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: count fields after its last ")"
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def default_holder() -> str:
    """``host:pid:start`` of this process (``host:pid`` where the start time is unknown)."""
    pid = os.getpid()
    start = _process_start(pid)
    return f"{socket.gethostname()}:{pid}" + (f":{start}" if start else "")


def holder_is_dead(holder: str | None) -> bool:
    """True when ``holder`` names a process of this host that no longer runs (crashed, killed -9).

    Holders on other hosts, or in a format we did not write, are never presumed dead here: only
    their age (or a person, with ``synchub locks break``) frees them.
    """
    if not holder:
        return False
    host, _, rest = holder.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, owned by someone else
    now_start = _process_start(pid)
    return bool(start and now_start and start != now_start)  # the pid was reused by another process


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


@dataclass(frozen=True)
class LockInfo:
    """Who holds a flow's lock, since when, and whether that process is known to be gone."""

    flow: str
    holder: str
    since: datetime
    dead: bool


class LockStore(StoreBase):
    def list_locks(self) -> list[LockInfo]:
        """Every flow lock held now (or left behind by a run that crashed)."""
        with self.transaction() as conn:
            rows = conn.execute(select(FLOW_LOCKS).order_by(FLOW_LOCKS.c.flow)).all()
        return [LockInfo(r.flow, r.holder, r.acquired_at, holder_is_dead(r.holder)) for r in rows]

    def break_lock(self, flow: str) -> LockInfo | None:
        """Remove the lock row of ``flow`` (a person knows its run is dead); the row removed, or None.

        On PostgreSQL the row only says who holds the advisory lock: a live session keeps the lock
        whatever happens to the row, so a lock still held by a session is refused here.
        """
        with self.transaction() as conn:
            row = conn.execute(select(FLOW_LOCKS).where(FLOW_LOCKS.c.flow == flow)).one_or_none()
            if self._engine.dialect.name == "postgresql" and self._advisory_held(conn, flow):
                raise FlowLocked(
                    flow,
                    row.holder if row is not None else None,
                    row.acquired_at if row is not None else None,
                    hint="a live PostgreSQL session holds this lock: stop that run (its database session "
                    "ends and frees the lock); SyncHub cannot break it",
                )
            if row is None:
                return None
            conn.execute(delete(FLOW_LOCKS).where(FLOW_LOCKS.c.flow == flow))
        log.warning(
            "lock of flow %r held by %s since %s was broken by hand", flow, row.holder, row.acquired_at
        )
        return LockInfo(row.flow, row.holder, row.acquired_at, holder_is_dead(row.holder))

    def _advisory_held(self, conn: Connection, flow: str) -> bool:
        key = advisory_key(self.schema, flow)
        # pg_locks splits a bigint advisory key into two 32-bit halves
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND classid = ((:key >> 32) & 4294967295)::oid AND objid = (:key & 4294967295)::oid"
                ),
                {"key": key},
            ).scalar_one()
        )

    @contextmanager
    def lock_flow(
        self, flow: str, *, holder: str | None = None, stale_after: timedelta = timedelta(hours=6)
    ) -> Iterator[None]:
        """Hold the lock of ``flow`` for the ``with`` block, or raise :class:`FlowLocked` at once.

        PostgreSQL: a session advisory lock on a connection kept for the block (released by the server
        even if this process dies), plus a flow_locks row saying who holds it. SQLite: the flow_locks row
        is the lock; one whose holder process on this host is gone (crashed, killed -9) is taken over
        at once, and one older than ``stale_after`` is presumed left by a crashed run elsewhere.
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
                dead = holder_is_dead(other)
                if since is None or (since > acquired_at - stale_after and not dead):
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
                    "took over the lock of flow %r from %s, held since %s (%s)",
                    flow,
                    other,
                    since.isoformat(),
                    "its process is gone" if dead else f"older than {stale_after}; presumed crashed",
                )
        try:
            yield
        finally:
            with self.transaction() as conn:
                _release_row(conn, flow, holder, acquired_at)

"""Cursors: per (flow, system) high-water mark of incremental reads, and when ids were reconciled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, select

from sync_engine.store.base import StoreBase, utcnow
from sync_engine.store.records import CursorState
from sync_engine.store.sql import upsert
from sync_engine.store.tables import CURSORS, RECONCILIATIONS


class CursorStore(StoreBase):
    def get_cursor(self, flow: str, system: str) -> CursorState | None:
        with self.transaction() as conn:
            row = conn.execute(
                select(CURSORS).where(CURSORS.c.flow == flow, CURSORS.c.system == system)
            ).one_or_none()
        if row is None:
            return None
        return CursorState(row.flow, row.system, row.modified, row.record_id, row.updated_at, row.read_at)

    def set_cursor(
        self,
        flow: str,
        system: str,
        modified: datetime,
        record_id: str,
        *,
        read_at: datetime | None = None,
        tx: Connection | None = None,
    ) -> None:
        """Move the cursor; ``modified`` must be timezone-aware (it comes back in UTC).

        ``read_at``: when the read that reached this mark began; the next read re-reads an overlap
        window before it only while that window reaches back before the mark.
        """
        row = {
            "flow": flow,
            "system": system,
            "modified": modified,
            "record_id": record_id,
            "updated_at": utcnow(),
            "read_at": read_at,
        }
        with self._use(tx) as conn:
            upsert(
                conn,
                CURSORS,
                [row],
                keys=("flow", "system"),
                update=("modified", "record_id", "updated_at", "read_at"),
            )

    def reconciled_at(self, flow: str, system: str) -> datetime | None:
        """When every id of ``system`` was last compared with the links of ``flow`` (None: never)."""
        with self.transaction() as conn:
            return conn.execute(
                select(RECONCILIATIONS.c.reconciled_at).where(
                    RECONCILIATIONS.c.flow == flow, RECONCILIATIONS.c.system == system
                )
            ).scalar_one_or_none()

    def set_reconciled(self, flow: str, system: str, at: datetime, *, tx: Connection | None = None) -> None:
        """Remember that every id of ``system`` was compared with the links of ``flow`` at ``at``."""
        with self._use(tx) as conn:
            upsert(
                conn,
                RECONCILIATIONS,
                [{"flow": flow, "system": system, "reconciled_at": at}],
                keys=("flow", "system"),
                update=("reconciled_at",),
            )

    def reset_cursors(self, flow: str) -> None:
        """Forget where reads of ``flow`` stopped: the next run reads everything again."""
        with self.transaction() as conn:
            conn.execute(delete(CURSORS).where(CURSORS.c.flow == flow))
            conn.execute(delete(RECONCILIATIONS).where(RECONCILIATIONS.c.flow == flow))

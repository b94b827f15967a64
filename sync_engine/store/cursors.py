"""Cursors: per (flow, system) high-water mark of incremental reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, select

from sync_engine.store.base import StoreBase, utcnow
from sync_engine.store.records import CursorState
from sync_engine.store.sql import upsert
from sync_engine.store.tables import CURSORS


class CursorStore(StoreBase):
    def get_cursor(self, flow: str, system: str) -> CursorState | None:
        with self.transaction() as conn:
            row = conn.execute(
                select(CURSORS).where(CURSORS.c.flow == flow, CURSORS.c.system == system)
            ).one_or_none()
        if row is None:
            return None
        return CursorState(row.flow, row.system, row.modified, row.record_id, row.updated_at)

    def set_cursor(
        self, flow: str, system: str, modified: datetime, record_id: str, *, tx: Connection | None = None
    ) -> None:
        """Move the cursor; ``modified`` must be timezone-aware (it comes back in UTC)."""
        row = {
            "flow": flow,
            "system": system,
            "modified": modified,
            "record_id": record_id,
            "updated_at": utcnow(),
        }
        with self._use(tx) as conn:
            upsert(
                conn, CURSORS, [row], keys=("flow", "system"), update=("modified", "record_id", "updated_at")
            )

    def reset_cursors(self, flow: str) -> None:
        """Forget where reads of ``flow`` stopped: the next run reads everything again."""
        with self.transaction() as conn:
            conn.execute(delete(CURSORS).where(CURSORS.c.flow == flow))

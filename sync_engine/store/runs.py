"""Runs of flows, and the audit log of every write they made."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Row, select, update

from sync_engine.store.base import StoreBase, utcnow
from sync_engine.store.errors import StoreError
from sync_engine.store.records import AuditEntry, RunRecord
from sync_engine.store.sql import chunked, insert_many, require
from sync_engine.store.tables import AUDIT_LOG, RUNS

RUN_OUTCOMES = ("success", "partial", "failed")
AUDIT_OPS = ("create", "update", "delete")


def _run(row: Row[Any]) -> RunRecord:
    return RunRecord(
        id=row.id,
        flow=row.flow,
        started_at=row.started_at,
        finished_at=row.finished_at,
        status=row.status,
        dry_run=row.dry_run,
        counts=row.counts or {},
        error=row.error,
    )


class RunStore(StoreBase):
    def start_run(self, flow: str, *, dry_run: bool = False) -> int:
        with self.transaction() as conn:
            result = conn.execute(
                RUNS.insert().values(
                    flow=flow, started_at=utcnow(), status="running", dry_run=dry_run, counts={}
                )
            )
            return int(result.inserted_primary_key[0])

    def finish_run(
        self, run_id: int, *, status: str, counts: dict[str, Any], error: str | None = None
    ) -> None:
        require(status, RUN_OUTCOMES, "run status")
        with self.transaction() as conn:
            result = conn.execute(
                update(RUNS)
                .where(RUNS.c.id == run_id)
                .values(status=status, counts=counts, error=error, finished_at=utcnow())
            )
            if result.rowcount == 0:
                raise StoreError(f"run {run_id} does not exist; finish the id start_run returned")

    def get_run(self, run_id: int) -> RunRecord | None:
        with self.transaction() as conn:
            row = conn.execute(select(RUNS).where(RUNS.c.id == run_id)).one_or_none()
        return None if row is None else _run(row)

    def list_runs(self, *, flow: str | None = None, limit: int = 20) -> list[RunRecord]:
        """Newest first."""
        query = select(RUNS).order_by(RUNS.c.id.desc()).limit(limit)
        if flow is not None:
            query = query.where(RUNS.c.flow == flow)
        with self.transaction() as conn:
            return [_run(row) for row in conn.execute(query)]

    def record_audit(self, entries: Iterable[AuditEntry], *, tx: Connection | None = None) -> None:
        """Append audit entries in bulk; an entry without ``at`` is stamped now."""
        with self._use(tx) as conn:
            for batch in chunked(entries):
                now = utcnow()
                rows = [
                    {
                        "run_id": e.run_id,
                        "flow": e.flow,
                        "system": e.system,
                        "entity": e.entity,
                        "external_id": e.external_id,
                        "op": require(e.op, AUDIT_OPS, "audit op"),
                        "before": e.before,
                        "after": e.after,
                        "at": e.at or now,
                    }
                    for e in batch
                ]
                insert_many(conn, AUDIT_LOG, rows)

    def list_audit(
        self, *, run_id: int | None = None, flow: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """Newest first."""
        query = select(AUDIT_LOG).order_by(AUDIT_LOG.c.id.desc()).limit(limit)
        if run_id is not None:
            query = query.where(AUDIT_LOG.c.run_id == run_id)
        if flow is not None:
            query = query.where(AUDIT_LOG.c.flow == flow)
        with self.transaction() as conn:
            return [
                AuditEntry(
                    run_id=r.run_id,
                    flow=r.flow,
                    system=r.system,
                    entity=r.entity,
                    external_id=r.external_id,
                    op=r.op,
                    before=r.before,
                    after=r.after,
                    at=r.at,
                )
                for r in conn.execute(query)
            ]

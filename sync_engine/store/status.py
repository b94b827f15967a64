"""One overview of every flow the store knows: links, last run, open conflicts and dead letters, cursors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, union

from sync_engine.store.base import StoreBase
from sync_engine.store.tables import CONFLICTS, CURSORS, DEAD_LETTERS, LINKS, RUNS


class StatusStore(StoreBase):
    def status_summary(self) -> list[dict[str, Any]]:
        """Per flow, sorted by name: ``flow``, ``links``, ``last_run`` (dict or None),
        ``open_conflicts``, ``open_dead_letters`` and ``cursors`` (system -> modified, record_id, updated_at).
        """
        with self.transaction() as conn:
            flows = (
                conn.execute(
                    union(
                        select(LINKS.c.flow).distinct(),
                        select(RUNS.c.flow).distinct(),
                        select(CURSORS.c.flow).distinct(),
                        select(CONFLICTS.c.flow).distinct(),
                        select(DEAD_LETTERS.c.flow).distinct(),
                    )
                )
                .scalars()
                .all()
            )
            links = dict(conn.execute(select(LINKS.c.flow, func.count()).group_by(LINKS.c.flow)).all())
            conflicts = dict(
                conn.execute(
                    select(CONFLICTS.c.flow, func.count())
                    .where(CONFLICTS.c.status == "open")
                    .group_by(CONFLICTS.c.flow)
                ).all()
            )
            dead_letters = dict(
                conn.execute(
                    select(DEAD_LETTERS.c.flow, func.count())
                    .where(DEAD_LETTERS.c.status == "open")
                    .group_by(DEAD_LETTERS.c.flow)
                ).all()
            )
            latest = select(func.max(RUNS.c.id)).group_by(RUNS.c.flow).scalar_subquery()
            last_runs = {row.flow: row for row in conn.execute(select(RUNS).where(RUNS.c.id.in_(latest)))}
            cursors: dict[str, dict[str, dict[str, Any]]] = {}
            for row in conn.execute(select(CURSORS).order_by(CURSORS.c.flow, CURSORS.c.system)):
                cursors.setdefault(row.flow, {})[row.system] = {
                    "modified": row.modified,
                    "record_id": row.record_id,
                    "updated_at": row.updated_at,
                }
        summary = []
        for flow in sorted(flows):
            run = last_runs.get(flow)
            summary.append(
                {
                    "flow": flow,
                    "links": links.get(flow, 0),
                    "last_run": None
                    if run is None
                    else {
                        "id": run.id,
                        "status": run.status,
                        "dry_run": run.dry_run,
                        "started_at": run.started_at,
                        "finished_at": run.finished_at,
                        "counts": run.counts or {},
                        "error": run.error,
                    },
                    "open_conflicts": conflicts.get(flow, 0),
                    "open_dead_letters": dead_letters.get(flow, 0),
                    "cursors": cursors.get(flow, {}),
                }
            )
        return summary

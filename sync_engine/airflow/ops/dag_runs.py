"""Which Airflow DAG run made a SyncHub run: the link from a run row to its DAG run and its logs.

A flow's DAG runs one DAG run at a time (``max_active_runs=1``, and the store's flow lock), so the
SyncHub run of flow F that started while a DAG run of ``synchub_F`` was running belongs to it: the
dry run to its ``plan`` task, the real run to ``sync``. Runs started from the command line fall in
no DAG run and get no link.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

from sync_engine.airflow.dag_factory import dag_id
from sync_engine.store import RunRecord
from sync_engine.store.base import utcnow

__all__ = ["AirflowDagRuns", "DagRunLink", "DagRunSource", "link_runs"]


@dataclass(frozen=True)
class DagRunLink:
    dag_id: str
    run_id: str
    task_id: str

    def as_dict(self) -> dict[str, str]:
        run = f"dags/{quote(self.dag_id, safe='')}/runs/{quote(self.run_id, safe='')}"
        # paths inside the Airflow UI (its router prepends the UI's base)
        return {
            "dag_id": self.dag_id,
            "run_id": self.run_id,
            "path": run,
            "logs_path": f"{run}/tasks/{self.task_id}",
        }


class DagRunSource(Protocol):
    def dag_runs(
        self, dag: str, start: datetime, end: datetime
    ) -> list[tuple[str, datetime, datetime | None]]:
        """``(run_id, start_date, end_date)`` of the DAG's runs that overlap ``[start, end]``."""
        ...


class AirflowDagRuns:
    """Reads DAG runs from the Airflow metadata database (the api-server may read it)."""

    def dag_runs(
        self, dag: str, start: datetime, end: datetime
    ) -> list[tuple[str, datetime, datetime | None]]:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import or_, select

        with create_session() as session:
            rows = session.execute(
                select(DagRun.run_id, DagRun.start_date, DagRun.end_date).where(
                    DagRun.dag_id == dag,
                    DagRun.start_date.is_not(None),
                    DagRun.start_date <= end,
                    or_(DagRun.end_date.is_(None), DagRun.end_date >= start),
                )
            ).all()
        return [(str(run_id), started, ended) for run_id, started, ended in rows]


def link_runs(source: DagRunSource | None, runs: list[RunRecord]) -> dict[int, dict[str, Any]]:
    """Run id -> its DAG run link, for the runs that ran inside one."""
    if source is None or not runs:
        return {}
    by_dag: dict[str, list[RunRecord]] = defaultdict(list)
    for run in runs:
        by_dag[dag_id(run.flow)].append(run)
    now = utcnow()
    links: dict[int, dict[str, Any]] = {}
    for dag, found in by_dag.items():
        start = min(r.started_at for r in found)
        end = max(r.started_at for r in found)
        candidates = source.dag_runs(dag, start, end)
        for run in found:
            for run_id, started, ended in candidates:
                if started <= run.started_at <= (ended or now):
                    task = "plan" if run.dry_run else "sync"
                    links[run.id] = DagRunLink(dag, run_id, task).as_dict()
                    break
    return links

"""Time series for the ops page's charts, per flow, from the state store (no metrics service).

Per hour (the last 48 hours) or per day (the last 30 days): records synced (created, updated and
deleted in both systems by real runs), conflicts opened and resolved, new dead letters; and every
run's duration. Buckets are UTC and contiguous (empty ones count 0), so charts need no gap logic.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select

from sync_engine.store import Store
from sync_engine.store.base import utcnow
from sync_engine.store.tables import CONFLICTS, DEAD_LETTERS, RUNS

__all__ = ["BUCKETS", "Bucket", "ChartData", "chart_data"]

Bucket = Literal["hour", "day"]
BUCKETS: dict[str, tuple[timedelta, int]] = {"hour": (timedelta(hours=1), 48), "day": (timedelta(days=1), 30)}
SERIES = ("synced", "conflicts_opened", "conflicts_resolved", "dead_letters")


@dataclass
class ChartData:
    bucket: str
    starts: list[datetime]
    series: dict[str, dict[str, list[int]]]
    """flow -> series name -> one count per bucket."""
    durations: dict[str, list[dict[str, Any]]]
    """flow -> runs in the window: id, started_at, seconds, status, dry_run."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "starts": [_iso(s) for s in self.starts],
            "series": self.series,
            "durations": {
                flow: [{**run, "started_at": _iso(run["started_at"])} for run in runs]
                for flow, runs in self.durations.items()
            },
        }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _floor(moment: datetime, bucket: str) -> datetime:
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if bucket == "day" else moment


def _synced(counts: dict[str, Any]) -> int:
    systems = counts.get("systems") or {}
    return sum(
        int(side.get(op) or 0)
        for side in systems.values()
        if isinstance(side, dict)
        for op in ("created", "updated", "deleted")
    )


def chart_data(
    store: Store, flows: list[str], bucket: str = "hour", *, now: datetime | None = None
) -> ChartData:
    """Counts per bucket and run durations of ``flows`` over the bucket's window, ending now."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket {bucket!r} is not one of {', '.join(BUCKETS)}")
    step, count = BUCKETS[bucket]
    last = _floor(now or utcnow(), bucket)
    first = last - step * (count - 1)
    starts = [first + step * i for i in range(count)]
    index = {start: i for i, start in enumerate(starts)}
    series = {flow: {name: [0] * count for name in SERIES} for flow in flows}
    durations: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add(flow: str, name: str, moment: datetime | None, amount: int = 1) -> None:
        if moment is not None and flow in series:
            slot = index.get(_floor(moment, bucket))
            if slot is not None:
                series[flow][name][slot] += amount

    with store.transaction() as conn:
        runs = conn.execute(
            select(
                RUNS.c.id,
                RUNS.c.flow,
                RUNS.c.started_at,
                RUNS.c.finished_at,
                RUNS.c.status,
                RUNS.c.dry_run,
                RUNS.c.counts,
            )
            .where(RUNS.c.started_at >= first, RUNS.c.flow.in_(flows))
            .order_by(RUNS.c.id)
        ).all()
        opened = conn.execute(
            select(CONFLICTS.c.flow, CONFLICTS.c.created_at).where(
                CONFLICTS.c.created_at >= first, CONFLICTS.c.flow.in_(flows)
            )
        ).all()
        resolved = conn.execute(
            select(CONFLICTS.c.flow, CONFLICTS.c.resolved_at).where(
                CONFLICTS.c.resolved_at >= first, CONFLICTS.c.flow.in_(flows)
            )
        ).all()
        dead = conn.execute(
            select(DEAD_LETTERS.c.flow, DEAD_LETTERS.c.created_at).where(
                DEAD_LETTERS.c.created_at >= first, DEAD_LETTERS.c.flow.in_(flows)
            )
        ).all()
    for run in runs:
        if not run.dry_run:
            add(run.flow, "synced", run.started_at, _synced(run.counts or {}))
        if run.finished_at is not None:
            durations[run.flow].append(
                {
                    "id": run.id,
                    "started_at": run.started_at,
                    "seconds": round((run.finished_at - run.started_at).total_seconds(), 3),
                    "status": run.status,
                    "dry_run": bool(run.dry_run),
                }
            )
    for flow, moment in opened:
        add(flow, "conflicts_opened", moment)
    for flow, moment in resolved:
        add(flow, "conflicts_resolved", moment)
    for flow, moment in dead:
        add(flow, "dead_letters", moment)
    return ChartData(bucket, starts, series, {flow: durations.get(flow, []) for flow in flows})

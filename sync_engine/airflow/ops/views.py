"""What the ops page's JSON says about a conflict, a dead letter or a run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sync_engine.airflow.ops.records import RecordRef
from sync_engine.store import ConflictRecord, DeadLetterRecord, RunRecord
from sync_engine.store.base import utcnow

__all__ = ["conflict_view", "dead_letter_view", "iso", "run_view"]


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _changed_at(c: ConflictRecord, role: str) -> dict[str, Any]:
    """When a side changed the field: its change marker, else when SyncHub first saw the change.

    A side without a change marker (a snapshot system such as BottleCRM) changed it after the last
    sync and before the run that opened the conflict (an earlier run would have synced the change).
    """
    marked = (c.changed_at or {}).get(role)
    if marked:
        return {"at": marked, "source": "system"}
    return {"at": iso(c.created_at), "source": "first_seen"}


def conflict_view(c: ConflictRecord, record: RecordRef | None, *, can_resolve: bool) -> dict[str, Any]:
    values = dict(c.values or {})
    candidates = values.pop("candidates", None)
    return {
        "id": c.id,
        "flow": c.flow,
        "entity": c.entity,
        "field": c.field,
        "kind": c.kind,
        "status": c.status,
        "record": record.as_dict() if record else None,
        "base": c.base,
        "values": values,
        "candidates": candidates,
        "changed_at": {role: _changed_at(c, role) for role in ("erp", "crm") if role in values},
        "opened_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "age_seconds": int((utcnow() - c.created_at).total_seconds()),
        "run_id": c.run_id,
        "resolution": c.resolution,
        "resolved_value": c.resolved_value,
        "resolved_by": c.resolved_by,
        "resolved_at": iso(c.resolved_at),
        "applied_at": iso(c.applied_at),
        "can_resolve": can_resolve and c.status == "open",
    }


def dead_letter_view(d: DeadLetterRecord, record: RecordRef | None, *, can_retry: bool) -> dict[str, Any]:
    return {
        "id": d.id,
        "flow": d.flow,
        "entity": d.entity,
        "system": d.system,
        "external_id": None if (d.external_id or "").startswith("canonical:") else d.external_id,
        "record": record.as_dict() if record else None,
        "stage": d.stage,
        "field": d.field,
        "reason": d.reason,
        "status": d.status,
        "attempts": d.attempts,
        "created_at": iso(d.created_at),
        "updated_at": iso(d.updated_at),
        "run_id": d.run_id,
        "can_retry": can_retry and d.status == "open",
    }


def _systems(counts: dict[str, Any]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for system, side in (counts.get("systems") or {}).items():
        if isinstance(side, dict):
            out[str(system)] = {
                k: int(side.get(k) or 0) for k in ("read", "created", "updated", "deleted", "failed")
            }
    return out


def run_view(r: RunRecord, airflow: dict[str, Any] | None) -> dict[str, Any]:
    counts = r.counts or {}
    seconds = (r.finished_at - r.started_at).total_seconds() if r.finished_at else None
    return {
        "id": r.id,
        "flow": r.flow,
        "status": r.status,
        "dry_run": r.dry_run,
        "started_at": iso(r.started_at),
        "finished_at": iso(r.finished_at),
        "seconds": None if seconds is None else round(seconds, 3),
        "systems": _systems(counts),
        "conflicts": int(counts.get("conflicts") or 0),
        "dead_letters": int(counts.get("dead_letters") or 0),
        "deferred": int(counts.get("deferred") or 0),
        "error": r.error,
        "airflow": airflow,
    }

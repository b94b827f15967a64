"""Conflicts: fields both sides changed differently, held until a person picks the value."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from sync_engine.store.base import StoreBase, utcnow
from sync_engine.store.errors import StoreError
from sync_engine.store.records import ConflictRecord
from sync_engine.store.sql import chunked, require, unique
from sync_engine.store.tables import CONFLICTS

CONFLICT_KINDS = ("field", "delete", "duplicate")
CONFLICT_STATUSES = ("open", "resolved", "applied", "superseded")
CHOICES = ("erp", "crm", "value")


def _conflict(row: Row[Any]) -> ConflictRecord:
    return ConflictRecord(**row._asdict())


class ConflictStore(StoreBase):
    def report_conflict(
        self,
        *,
        flow: str,
        entity: str,
        canonical_id: str,
        field: str,
        base: Any,
        values: dict[str, Any],
        systems: dict[str, str],
        changed_at: dict[str, str | None],
        kind: str = "field",
        run_id: int | None = None,
        tx: Connection | None = None,
    ) -> tuple[int, bool]:
        """Record a conflict: its id, and True when it is new (False: it was open already).

        Idempotent: while a conflict on the same (flow, canonical id, field) is open, a new report
        refreshes it (values, changed_at) instead of opening a second one.
        """
        require(kind, CONFLICT_KINDS, "conflict kind")
        now = utcnow()
        with self._use(tx) as conn:
            existing = conn.execute(
                select(CONFLICTS.c.id).where(
                    CONFLICTS.c.flow == flow,
                    CONFLICTS.c.canonical_id == canonical_id,
                    CONFLICTS.c.field == field,
                    CONFLICTS.c.status == "open",
                )
            ).scalar()
            if existing is not None:
                conn.execute(
                    update(CONFLICTS)
                    .where(CONFLICTS.c.id == existing)
                    .values(values=values, changed_at=changed_at, systems=systems, updated_at=now)
                )
                return int(existing), False
            result = conn.execute(
                CONFLICTS.insert().values(
                    flow=flow,
                    entity=entity,
                    canonical_id=canonical_id,
                    field=field,
                    kind=kind,
                    base=base,
                    values=values,
                    systems=systems,
                    changed_at=changed_at,
                    status="open",
                    created_at=now,
                    updated_at=now,
                    run_id=run_id,
                )
            )
            return int(result.inserted_primary_key[0]), True

    def list_conflicts(
        self,
        *,
        status: str | None = "open",
        flow: str | None = None,
        entity: str | None = None,
        older_than: timedelta | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ConflictRecord]:
        """Oldest first; ``older_than`` keeps those opened at least that long ago."""
        query = select(CONFLICTS).order_by(CONFLICTS.c.id).limit(limit).offset(offset)
        if status is not None:
            query = query.where(CONFLICTS.c.status == require(status, CONFLICT_STATUSES, "conflict status"))
        if flow is not None:
            query = query.where(CONFLICTS.c.flow == flow)
        if entity is not None:
            query = query.where(CONFLICTS.c.entity == entity)
        if older_than is not None:
            query = query.where(CONFLICTS.c.created_at <= utcnow() - older_than)
        with self.transaction() as conn:
            return [_conflict(row) for row in conn.execute(query)]

    def count_conflicts(self, *, status: str = "open", flow: str | None = None) -> int:
        query = select(func.count()).select_from(CONFLICTS).where(CONFLICTS.c.status == status)
        if flow is not None:
            query = query.where(CONFLICTS.c.flow == flow)
        with self.transaction() as conn:
            return int(conn.execute(query).scalar_one())

    def get_conflict(self, conflict_id: int) -> ConflictRecord | None:
        with self.transaction() as conn:
            row = conn.execute(select(CONFLICTS).where(CONFLICTS.c.id == conflict_id)).one_or_none()
        return None if row is None else _conflict(row)

    def resolve_conflict(
        self, conflict_id: int, *, choice: str, value: Any = None, user: str | None = None
    ) -> ConflictRecord:
        """Decide an open conflict: keep the ERP's value, the CRM's, or a given ``value``.

        The next run of the flow applies it (see :meth:`pending_resolutions`).
        """
        require(choice, CHOICES, "choice")
        now = utcnow()
        with self.transaction() as conn:
            row = conn.execute(select(CONFLICTS).where(CONFLICTS.c.id == conflict_id)).one_or_none()
            if row is None:
                raise StoreError(
                    f"conflict {conflict_id} does not exist; list open ones with `synchub conflicts`"
                )
            if row.status != "open":
                raise StoreError(
                    f"conflict {conflict_id} ({row.flow} {row.canonical_id} field {row.field!r}) is "
                    f"{row.status}, not open; only an open conflict can be resolved"
                )
            if choice == "value":
                chosen = value
            elif choice in (row.values or {}):
                chosen = row.values[choice]
            else:
                raise StoreError(
                    f"conflict {conflict_id} has no {choice} value (it has: {', '.join(row.values or {})}); "
                    "choose one of those or give a value"
                )
            conn.execute(
                update(CONFLICTS)
                .where(CONFLICTS.c.id == conflict_id)
                .values(
                    status="resolved",
                    resolution=choice,
                    resolved_value=chosen,
                    resolved_by=user,
                    resolved_at=now,
                    updated_at=now,
                )
            )
            resolved = conn.execute(select(CONFLICTS).where(CONFLICTS.c.id == conflict_id)).one()
        return _conflict(resolved)

    def pending_resolutions(self, flow: str, *, tx: Connection | None = None) -> list[ConflictRecord]:
        """Resolved conflicts of ``flow`` not yet applied, oldest first."""
        with self._use(tx) as conn:
            rows = conn.execute(
                select(CONFLICTS)
                .where(CONFLICTS.c.flow == flow, CONFLICTS.c.status == "resolved")
                .order_by(CONFLICTS.c.id)
            )
            return [_conflict(row) for row in rows]

    def mark_conflicts(
        self, ids: Iterable[int], status: str, *, run_id: int | None = None, tx: Connection | None = None
    ) -> None:
        """Set the status of conflicts: 'applied' (stamps applied_at), 'superseded', ... ."""
        require(status, CONFLICT_STATUSES, "conflict status")
        now = utcnow()
        values: dict[str, Any] = {"status": status, "updated_at": now}
        if status == "applied":
            values["applied_at"] = now
        if run_id is not None:
            values["run_id"] = run_id
        with self._use(tx) as conn:
            for batch in chunked(unique(ids)):
                conn.execute(update(CONFLICTS).where(CONFLICTS.c.id.in_(batch)).values(**values))

    def open_conflicts_for(
        self, flow: str, canonical_ids: Iterable[str], *, tx: Connection | None = None
    ) -> dict[str, list[ConflictRecord]]:
        """Open conflicts of these records, keyed by canonical id (records without any are absent)."""
        found: dict[str, list[ConflictRecord]] = {}
        with self._use(tx) as conn:
            for batch in chunked(unique(canonical_ids)):
                rows = conn.execute(
                    select(CONFLICTS)
                    .where(
                        CONFLICTS.c.flow == flow,
                        CONFLICTS.c.status == "open",
                        CONFLICTS.c.canonical_id.in_(batch),
                    )
                    .order_by(CONFLICTS.c.id)
                )
                for row in rows:
                    found.setdefault(row.canonical_id, []).append(_conflict(row))
        return found

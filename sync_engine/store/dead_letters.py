"""Dead letters: records that failed a stage, kept with the reason until fixed. Never dropped."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from sync_engine.store.base import StoreBase, utcnow
from sync_engine.store.records import DeadLetterRecord
from sync_engine.store.sql import chunked, require, unique
from sync_engine.store.tables import DEAD_LETTERS

STAGES = ("read", "map", "validate", "identify", "write", "reference")
DEAD_LETTER_STATUSES = ("open", "retrying", "resolved")
# statuses in which a dead letter is still unsolved, so a new failure of the same record joins it
_UNSOLVED = ("open", "retrying")


def _dead_letter(row: Row[Any]) -> DeadLetterRecord:
    return DeadLetterRecord(**row._asdict())


class DeadLetterStore(StoreBase):
    def add_dead_letter(
        self,
        *,
        flow: str,
        entity: str,
        system: str,
        external_id: str | None,
        stage: str,
        reason: str,
        field: str | None = None,
        payload: Any = None,
        run_id: int | None = None,
        tx: Connection | None = None,
    ) -> int:
        """Keep a failed record and return the dead letter's id.

        A record already dead-lettered at the same stage (open, or being retried) is updated with the
        latest reason and payload, its attempts counted up and status back to open; not duplicated.
        """
        require(stage, STAGES, "dead-letter stage")
        now = utcnow()
        latest = {"reason": reason, "field": field, "payload": payload, "run_id": run_id, "updated_at": now}
        with self._use(tx) as conn:
            same_record = (
                DEAD_LETTERS.c.external_id.is_(None)
                if external_id is None
                else (DEAD_LETTERS.c.external_id == external_id)
            )
            existing = conn.execute(
                select(DEAD_LETTERS.c.id)
                .where(
                    DEAD_LETTERS.c.flow == flow,
                    DEAD_LETTERS.c.system == system,
                    same_record,
                    DEAD_LETTERS.c.stage == stage,
                    DEAD_LETTERS.c.status.in_(_UNSOLVED),
                )
                .order_by(DEAD_LETTERS.c.id)
            ).scalar()
            if existing is not None:
                conn.execute(
                    update(DEAD_LETTERS)
                    .where(DEAD_LETTERS.c.id == existing)
                    .values(status="open", attempts=DEAD_LETTERS.c.attempts + 1, **latest)
                )
                return int(existing)
            result = conn.execute(
                DEAD_LETTERS.insert().values(
                    flow=flow,
                    entity=entity,
                    system=system,
                    external_id=external_id,
                    stage=stage,
                    status="open",
                    attempts=1,
                    created_at=now,
                    **latest,
                )
            )
            return int(result.inserted_primary_key[0])

    def list_dead_letters(
        self, *, status: str | None = "open", flow: str | None = None, limit: int = 100
    ) -> list[DeadLetterRecord]:
        """Oldest first."""
        query = select(DEAD_LETTERS).order_by(DEAD_LETTERS.c.id).limit(limit)
        if status is not None:
            query = query.where(
                DEAD_LETTERS.c.status == require(status, DEAD_LETTER_STATUSES, "dead-letter status")
            )
        if flow is not None:
            query = query.where(DEAD_LETTERS.c.flow == flow)
        with self.transaction() as conn:
            return [_dead_letter(row) for row in conn.execute(query)]

    def get_dead_letter(self, dead_letter_id: int) -> DeadLetterRecord | None:
        with self.transaction() as conn:
            row = conn.execute(select(DEAD_LETTERS).where(DEAD_LETTERS.c.id == dead_letter_id)).one_or_none()
        return None if row is None else _dead_letter(row)

    def set_dead_letter_status(
        self, ids: Iterable[int], status: str, *, tx: Connection | None = None
    ) -> None:
        require(status, DEAD_LETTER_STATUSES, "dead-letter status")
        now = utcnow()
        with self._use(tx) as conn:
            for batch in chunked(unique(ids)):
                conn.execute(
                    update(DEAD_LETTERS)
                    .where(DEAD_LETTERS.c.id.in_(batch))
                    .values(status=status, updated_at=now)
                )

    def count_dead_letters(self, *, status: str = "open", flow: str | None = None) -> int:
        query = select(func.count()).select_from(DEAD_LETTERS).where(DEAD_LETTERS.c.status == status)
        if flow is not None:
            query = query.where(DEAD_LETTERS.c.flow == flow)
        with self.transaction() as conn:
            return int(conn.execute(query).scalar_one())

"""A toy connector on the SDK, correct by default, that breaks one rule of the suite when asked.

It shows the conformance suite can fail: each check is run against the toy with the rule it pins
broken (it must fail) and against the sound toy (it must pass).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from connectors.base import (
    ConnectionSettings,
    Connector,
    ConnectorError,
    Cursor,
    Entity,
    NativeRecord,
    PermanentError,
    RecordError,
    WriteRequest,
    WriteResult,
)
from tests.connectors.conformance.harness import Subject

BREAKS = ("order", "resume", "results", "refusal", "upsert", "delete", "saved", "outage")


class Outage(Exception):
    """What the toy's 'client library' raises during an outage (an HTTP 503, a timeout)."""


class Notes(Entity):
    name = "customer"
    native = "note"
    modified_field = "modified"
    upsert_by_ref = True

    connector: ToyConnector

    def _rows(self) -> list[tuple[tuple[datetime, int], dict[str, Any]]]:
        self.connector.check_outage()
        return sorted(((row["modified"], int(key)), row) for key, row in self.connector.rows.items())

    def id_order(self, record_id: str) -> Any:
        return int(record_id)

    def read_after(self, after: Cursor | None, limit: int) -> Sequence[NativeRecord]:
        breaks = self.connector.breaks
        mark = (after.modified, int(after.id or 0)) if after is not None else None
        picked = [
            self._native(key[1], row)
            for key, row in self._rows()
            if mark is None or key > mark or ("resume" in breaks and key == mark)
        ][:limit]
        return list(reversed(picked)) if "order" in breaks and len(picked) > 1 else picked

    def fetch(self, ids: Sequence[str]) -> list[NativeRecord]:
        self.connector.check_outage()
        rows = self.connector.rows
        return [self._native(int(i), rows[i]) for i in ids if i in rows]

    def _native(self, number: int, row: dict[str, Any]) -> NativeRecord:
        data = {"text": row["text"]}
        return NativeRecord(str(number), data, modified=row["modified"], ref=row.get("ref"))

    def create(self, data: dict[str, Any], ref: str) -> NativeRecord:
        self.connector.check_outage()
        text = self._valid(data)
        rows = self.connector.rows
        existing = next((k for k, r in rows.items() if r.get("ref") == ref), None)
        if existing is not None and "upsert" not in self.connector.breaks:
            rows[existing].update(text=text, modified=self.connector.tick())
            return self._native(int(existing), rows[existing])
        key = str(next(self.connector.numbers))
        stored = text.replace("\\", "") if "saved" in self.connector.breaks else text
        rows[key] = {"text": stored, "ref": ref, "modified": self.connector.tick()}
        if "saved" in self.connector.breaks:  # claims to have saved what it was sent
            return NativeRecord(key, {"text": text}, modified=rows[key]["modified"], ref=ref)
        return self._native(int(key), rows[key])

    def update(self, record_id: str, data: dict[str, Any]) -> NativeRecord:
        self.connector.check_outage()
        row = self.connector.rows.get(record_id)
        if row is None:
            raise RecordError(f"no note {record_id}")
        row.update(text=self._valid(data), modified=self.connector.tick())
        return self._native(int(record_id), row)

    def delete(self, record_id: str) -> None:
        self.connector.check_outage()
        if self.connector.rows.pop(record_id, None) is None and "delete" in self.connector.breaks:
            raise RecordError(f"no note {record_id}")

    def _valid(self, data: dict[str, Any]) -> str:
        text = data.get("text")
        if not isinstance(text, str) or len(text) > 80:
            if "refusal" in self.connector.breaks:
                raise Outage("bad input")  # a refusal passed off as an outage, naming nothing
            raise RecordError("field 'text' must be text of at most 80 characters", field="text")
        return text

    def write_many(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        results = super().write_many(requests)
        return list(reversed(results)) if "results" in self.connector.breaks else results


class ToyConnector(Connector):
    name = "toy"
    entity_types: ClassVar[Sequence[type[Entity]]] = (Notes,)

    def __init__(self, breaks: frozenset[str] = frozenset()) -> None:
        super().__init__(ConnectionSettings("toy"))
        self.breaks = breaks
        self.rows: dict[str, dict[str, Any]] = {}
        self.numbers = itertools.count(1)
        self.now = datetime(2026, 1, 1, tzinfo=UTC)
        self.down = False

    def tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def check_outage(self) -> None:
        if self.down:
            raise Outage("503 Service Unavailable")

    def classify(self, exc: Exception) -> ConnectorError:
        if isinstance(exc, Outage) and "outage" not in self.breaks and "refusal" not in self.breaks:
            from connectors.base import TransientError

            return TransientError(f"toy unavailable: {exc}")
        return PermanentError(str(exc)) if "refusal" not in self.breaks else super().classify(exc)


def toy_subject(breaks: frozenset[str] = frozenset()) -> Subject:
    connector = ToyConnector(breaks)

    @contextmanager
    def faults(kind: str) -> Iterator[None]:
        connector.down = True
        try:
            yield
        finally:
            connector.down = False

    def same_time(n: int) -> list[str]:
        frozen = connector.now + timedelta(seconds=1)
        ids = []
        for i in range(n):
            key = str(next(connector.numbers))
            connector.rows[key] = {"text": f"tie {i}", "modified": frozen}
            ids.append(key)
        connector.now = frozen
        return ids

    return Subject(
        name=f"toy broken at {','.join(sorted(breaks)) or 'nothing'}",
        connector=connector,
        entity="customer",
        make=lambda text: {"text": text},
        edit=lambda text: {"text": text},
        text_of=lambda data: data.get("text"),
        invalid={"text": "x" * 81},
        invalid_field="text",
        faults=faults,
        same_time=same_time,
    )

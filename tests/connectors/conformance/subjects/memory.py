"""The in-memory connector as a conformance subject: cursor mode with tombstones, and snapshot mode."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from connectors.base import ConnectionSettings, WriteRequest
from connectors.memory import ManualClock, MemoryConnector, MemoryDatabase
from connectors.memory.faults import RecordFault
from tests.connectors.conformance.harness import Subject

_systems = itertools.count()
RULES = {"customer": {"required": ["company"], "max_length": {"vat_number": 20}}}


def customer(text: str) -> dict[str, Any]:
    return {"company": {"name": text, "legal_form": None}, "vat_number": None, "status": "A"}


def memory_subject(tracking: str) -> Iterator[Subject]:
    host = f"conformance-{tracking}-{next(_systems)}"
    connector = MemoryConnector(
        ConnectionSettings("memory", host=host), {"change_tracking": tracking, "rules": RULES}
    )
    db = connector.db

    @contextmanager
    def faults(kind: str) -> Iterator[None]:
        # The memory system fails whole calls as a 5xx or a timeout would: TransientError.
        db.faults.next_calls = [RecordFault(True, f"injected {kind}") for _ in range(50)]
        try:
            yield
        finally:
            db.faults.next_calls = []

    def same_time(n: int) -> list[str]:
        # one transaction's worth of records: the clock stands still while they are written
        previous, db.clock = db.clock, ManualClock(db.now())
        try:
            requests = [WriteRequest("create", f"tie-{i}-{host}", customer(f"tie {i}")) for i in range(n)]
            results = connector.write_batch("customer", requests)
        finally:
            db.clock = previous
        return [r.id for r in results if r.id]

    subject = Subject(
        name=f"memory ({tracking})",
        connector=connector,
        entity="customer",
        make=customer,
        edit=lambda text: {"company": {"name": text, "legal_form": None}},
        text_of=lambda data: (data.get("company") or {}).get("name"),
        invalid={"company": {"name": "Too long VAT"}, "vat_number": "X" * 30},
        invalid_field="vat_number",
        faults=faults,
        same_time=same_time if tracking == "cursor" else None,
    )
    yield subject
    MemoryDatabase.forget(host)


@pytest.fixture
def subject_memory_cursor() -> Iterator[Subject]:
    yield from memory_subject("cursor")


@pytest.fixture
def subject_memory_snapshot() -> Iterator[Subject]:
    yield from memory_subject("none")

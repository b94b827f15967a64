"""How fast the pure merge and the in-memory connector run.

Run: .venv/bin/python bench/merge.py [records]   (default 100000)
Prints merges/s for a typical customer (3 contacts, 2 addresses) in three cases (unchanged, one
side changed, a held conflict), then the memory connector's write and read throughput for that
many records (batches of 200, pages of 500) and one incremental read after 1% of them changed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from connectors.base import ConnectionSettings, WriteRequest
from connectors.memory import ManualClock, MemoryConnector, MemoryDatabase
from sync_engine.identity import record_hash
from sync_engine.merge import MergePolicy, SideState, merge

CUSTOMER: dict[str, Any] = {
    "name": "Müller Maschinenbau",
    "legal_form": "GmbH",
    "tax_id": "DE811907980",
    "addresses": [
        {"kind": "invoice", "street": "Industriestr. 12", "street2": None, "postal_code": "70173",
         "city": "Stuttgart", "region": None, "country": "DE"},
        {"kind": "delivery", "street": "Lagerweg 4", "street2": None, "postal_code": "70174",
         "city": "Stuttgart", "region": None, "country": "DE"},
    ],
    "contacts": [
        {"name": "山田 花子", "email": "hanako@example.jp", "phone": None, "role": "buyer"},
        {"name": "محمد علي", "email": "m.ali@example.com", "phone": "+971 4 000", "role": None},
        {"name": "Jana Novak", "email": "jana@example.cz", "phone": "+420 1", "role": "finance"},
    ],
    "currency": "EUR",
    "credit_limit": {"amount": "25000.00", "currency": "EUR"},
    "payment_terms": "NET30",
    "active": True,
}  # fmt: skip


def rate(label: str, count: int, work: Callable[[], None]) -> None:
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    print(f"{label:<48} {count / seconds:>12,.0f} /s   ({seconds:.2f} s for {count:,})")


def bench_merge(count: int) -> None:
    policy = MergePolicy(field_owners={"credit_limit": "erp", "contacts": "crm"})
    base = CUSTOMER
    changed = {**CUSTOMER, "payment_terms": "NET60"}
    contact_edit = {
        **CUSTOMER,
        "contacts": [{**CUSTOMER["contacts"][0], "phone": "+81 3"}, *CUSTOMER["contacts"][1:]],
    }
    cases = {
        "merge: unchanged": (SideState(base), SideState(base)),
        "merge: one side changed (scalar + list item)": (SideState(changed), SideState(contact_edit)),
        "merge: conflict held (manual)": (SideState(changed), SideState({**CUSTOMER, "payment_terms": "X"})),
    }
    for label, (erp, crm) in cases.items():
        rate(label, count, lambda erp=erp, crm=crm: [merge(base, erp, crm, policy) for _ in range(count)])
    rate("record_hash", count, lambda: [record_hash(CUSTOMER) for _ in range(count)])


def bench_memory(count: int) -> None:
    MemoryDatabase.forget("bench")
    conn = MemoryConnector(ConnectionSettings("memory", host="bench"))
    clock = conn.db.clock = ManualClock(step=timedelta(microseconds=1))
    flat = {k: v for k, v in CUSTOMER.items() if not isinstance(v, list | dict)}

    def write() -> None:
        for start in range(0, count, 200):
            conn.write_batch(
                "customer",
                [WriteRequest("create", f"c{i}", flat) for i in range(start, min(start + 200, count))],
            )

    def read_all() -> None:
        seen = sum(len(page.records) for page in conn.read_changes("customer", None))
        assert seen == count, seen

    rate("memory: create (batches of 200)", count, write)
    rate("memory: cursor read of everything (first read sorts)", count, read_all)
    rate("memory: cursor read of everything again", count, read_all)
    clock.advance(timedelta(hours=1))
    since = clock.now
    step = 100
    ids = [f"C{n:06d}" for n in range(1, count + 1, step)]

    def update() -> None:
        for start in range(0, len(ids), 200):
            conn.write_batch(
                "customer",
                [
                    WriteRequest("update", i, {"payment_terms": "NET60"}, id=i)
                    for i in ids[start : start + 200]
                ],
            )

    rate(f"memory: update 1% ({len(ids):,} records)", len(ids), update)
    from connectors.base import Cursor

    def read_changed() -> None:
        changed = sum(len(p.records) for p in conn.read_changes("customer", Cursor(since)))
        assert changed == len(ids), changed

    rate("memory: incremental read of the 1% changed (+ sort)", len(ids), read_changed)
    snapshot = MemoryConnector(ConnectionSettings("memory", host="bench"), {"change_tracking": "none"})
    rate(
        "memory: snapshot read (change_tracking none)",
        count,
        lambda: sum(1 for p in snapshot.read_changes("customer", None) for _ in p.records),
    )
    MemoryDatabase.forget("bench")


if __name__ == "__main__":
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    bench_merge(min(records, 50_000))
    bench_memory(records)

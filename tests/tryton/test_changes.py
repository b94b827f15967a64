"""Incremental reads: exactly the records changed since a cursor, and deletes by reconciliation."""

from __future__ import annotations

from connectors.base import Cursor, WriteRequest
from connectors.tryton import TrytonConnector

from .helpers import party


def create_many(erp: TrytonConnector, names: list[str]) -> list[str]:
    results = erp.write_batch("customer", [WriteRequest("create", n, party(n)) for n in names])
    assert all(r.ok for r in results), [r.error for r in results]
    return [r.id for r in results if r.id]


def read_all(erp: TrytonConnector, since: Cursor | None, page_size: int) -> list[tuple[str, str]]:
    pages = list(erp.read_changes("customer", since, page_size=page_size))
    return [(r.id, r.data["name"]) for p in pages for r in p.records]


def test_records_sharing_one_timestamp_are_paged_exactly_once(erp: TrytonConnector) -> None:
    (before,) = create_many(erp, ["Before"])
    batch = create_many(erp, [f"Same {i}" for i in range(7)])  # one call, one transaction
    stamps = {r.modified for r in erp.read_by_ids("customer", batch)}
    assert len(stamps) == 1, "one transaction gives one last_modified_at"
    (stamp,) = stamps
    pages = list(erp.read_changes("customer", Cursor(stamp, ""), page_size=3))
    ids = [r.id for p in pages for r in p.records]
    assert ids == sorted(batch, key=int)  # each once, in id order, across 3 pages
    assert [len(p.records) for p in pages] == [3, 3, 1]
    assert before not in ids


def test_a_cursor_inside_a_timestamp_resumes_at_its_id(erp: TrytonConnector) -> None:
    batch = create_many(erp, [f"Same {i}" for i in range(5)])
    (first_page, *_) = erp.read_changes("customer", None, page_size=3)
    cursor = first_page.cursor
    assert cursor is not None
    rest = [r.id for p in erp.read_changes("customer", cursor, page_size=3) for r in p.records]
    everything = [r.id for p in erp.read_changes("customer", None, page_size=100) for r in p.records]
    # strictly after the cursor (the SDK's keyset rule): the rest follow, the cursor's own record not again
    assert rest == everything[everything.index(cursor.id) + 1 :]
    assert set(batch) <= {r.id for r in first_page.records} | set(rest)


def test_only_records_changed_since_the_cursor_come_back(erp: TrytonConnector) -> None:
    old = create_many(erp, ["Old A", "Old B"])
    pages = list(erp.read_changes("customer", None, page_size=100))
    cursor = pages[-1].cursor
    assert cursor is not None
    new = create_many(erp, ["New"])
    (changed,) = erp.write_batch(
        "customer", [WriteRequest("update", "u", {"city": "x", "name": "Old B2"}, old[1])]
    )
    assert changed.ok
    names = dict(read_all(erp, Cursor(cursor.modified, str(int(cursor.id) + 1)), 100))
    assert names == {old[1]: "Old B2", new[0]: "New"}


def test_deleted_records_are_missing_from_list_ids(erp: TrytonConnector) -> None:
    ids = create_many(erp, ["Keep", "Drop"])
    (deleted,) = erp.write_batch("customer", [WriteRequest("delete", "d", {}, ids[1])])
    assert deleted.ok
    listed = set(erp.list_ids("customer"))
    assert ids[0] in listed and ids[1] not in listed
    (again,) = erp.write_batch("customer", [WriteRequest("delete", "d", {}, ids[1])])
    assert again.ok, "deleting what is gone is safe to retry"

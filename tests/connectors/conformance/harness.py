"""The checks every connector passes, whatever product it speaks (like singer-sdk's standard tap tests).

Each check takes a :class:`Subject` (a connector serving one entity, against its real server or its
strict emulator, plus how to make records for it) and raises ``AssertionError`` naming what broke.
``test_conformance.py`` runs every check on every subject; ``test_broken_connector.py`` shows each
check fails on a connector that breaks its rule.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from connectors.base import Connector, Cursor, NativeRecord, TransientError, WriteRequest, WriteResult

ODD_TEXT = '株式会社 "O\'Brien" \\ 100% _x_ مرحبا שלום 😀'
"""CJK, Arabic and Hebrew (right to left), quotes, a backslash, LIKE wildcards, an emoji."""

_tags = itertools.count(1)


def tag(label: str = "") -> str:
    """A unique text with every odd character a connector must carry unharmed."""
    return f"{ODD_TEXT} {label}#{next(_tags)}".strip()


@dataclass
class Subject:
    """One connector serving one entity, and what the checks need to exercise it."""

    name: str
    connector: Connector
    entity: str
    make: Callable[[str], dict[str, Any]]
    """A valid native record to create, carrying ``text`` in its free-text field."""
    edit: Callable[[str], dict[str, Any]]
    """Native fields of an update that sets the free-text field to ``text``."""
    text_of: Callable[[dict[str, Any]], Any]
    """The free-text value in a record's native data, as read."""
    invalid: dict[str, Any] | None = None
    """A record the system refuses as invalid, and the native field it blames."""
    invalid_field: str | None = None
    faults: Callable[[str], AbstractContextManager[None]] | None = None
    """``faults("5xx")`` / ``faults("timeout")``: calls inside the block meet that failure."""
    same_time: Callable[[int], list[str]] | None = None
    """Create ``n`` records sharing one change mark; their ids (cursor entities)."""
    seed: Callable[[str], str] | None = None
    """For an entity the connector only reads (can_create false): put a record carrying ``text`` into
    the system another way (its own API, as a user would); its id."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def capabilities(self):
        return self.connector.capabilities_for(self.entity)


def create(s: Subject, *texts: str) -> list[WriteResult]:
    if not s.capabilities.can_create:  # a read-only entity: its records come from the system itself
        if s.seed is None:
            raise AssertionError(f"{s.name}: a read-only entity's subject must say how to seed records")
        return [WriteResult(f"seed-{next(_tags)}", True, s.seed(text)) for text in texts]
    requests = [WriteRequest("create", f"conf-{next(_tags)}", s.make(t)) for t in texts]
    results = s.connector.write_batch(s.entity, requests)
    assert len(results) == len(requests), f"{len(results)} results for {len(requests)} requests"
    for result, request in zip(results, requests, strict=True):
        assert result.ok, f"create of {request.data!r} failed: {result.error}"
    return results


def read_all(s: Subject, since: Cursor | None = None, page_size: int = 500) -> list[list[NativeRecord]]:
    return [page.records for page in _pages(s, since, page_size)]


def _pages(s: Subject, since: Cursor | None, page_size: int) -> Iterator[Any]:
    return iter(s.connector.read_changes(s.entity, since, page_size=page_size))


def _order_key(s: Subject, record: NativeRecord) -> tuple:
    handler = s.connector.entity(s.entity) if s.connector.entity_types else None
    key = handler.id_order(record.id) if handler is not None else record.id
    return (record.modified, key)


# -- the checks ------------------------------------------------------------------------------------


def check_records_come_in_modified_id_order(s: Subject) -> None:
    """Cursor entities: pages in (modified, id) order, each page's cursor its last record."""
    create(s, tag("a"), tag("b"), tag("c"))
    pages = [page for page in _pages(s, None, 2)]
    records = [r for page in pages for r in page.records]
    assert records, "nothing read after three creates"
    if s.capabilities.change_tracking == "none":
        assert all(page.cursor is None for page in pages), "a snapshot read must not claim a cursor"
        assert len({r.id for r in records}) == len(records), "a full scan returned a record twice"
        return
    keys = [_order_key(s, r) for r in records]
    assert all(k is not None and k[0] is not None for k in keys), (
        "a cursor entity's record has no change mark"
    )
    assert keys == sorted(keys), f"records out of (modified, id) order: {[(str(m), i) for m, i in keys]}"
    for page in pages:
        last = page.records[-1]
        assert page.cursor == Cursor(last.modified, last.id), (
            f"page cursor {page.cursor} is not its last record"
        )


def check_a_cursor_resumes_exactly_after_the_last_record(s: Subject) -> None:
    """Resuming from any page's cursor gives exactly the records after it, also inside one timestamp."""
    if s.capabilities.change_tracking == "none":
        return
    if s.same_time is not None:
        s.same_time(5)
    else:
        create(s, *(tag("tie") for _ in range(5)))
    pages = [page for page in _pages(s, None, 2)]
    everything = [r.id for page in pages for r in page.records]
    repeated = sorted({i for i in everything if everything.count(i) > 1})
    assert not repeated, f"one read returned records twice across its pages: {repeated}"
    seen = 0
    for page in pages[:-1]:
        seen += len(page.records)
        assert page.cursor is not None
        rest = [r.id for records in read_all(s, page.cursor, 2) for r in records]
        expected = everything[seen:]
        assert rest == expected, (
            f"resuming after {page.cursor} gave {len(rest)} records, expected {len(expected)}: "
            f"missing {sorted(set(expected) - set(rest))}, repeated {sorted(set(rest) - set(expected))}"
        )


def check_one_result_per_request_and_a_bad_record_fails_alone(s: Subject) -> None:
    if s.invalid is None:
        return
    good = [WriteRequest("create", f"conf-{next(_tags)}", s.make(tag("good"))) for _ in range(2)]
    bad = WriteRequest("create", f"conf-{next(_tags)}", s.invalid)
    requests = [good[0], bad, good[1]]
    results = s.connector.write_batch(s.entity, requests)
    assert [r.ref for r in results] == [r.ref for r in requests], "results are not one per request, in order"
    assert [r.ok for r in results] == [True, False, True], [r.error for r in results]
    found = s.connector.read_by_ids(s.entity, [r.id for r in results if r.ok and r.id])
    assert len(found) == 2, "the good records of the batch were not all written"


def check_a_refusal_is_permanent_and_names_record_and_field(s: Subject) -> None:
    if s.invalid is None:
        return
    request = WriteRequest("create", f"conf-{next(_tags)}", s.invalid)
    [result] = s.connector.write_batch(s.entity, [request])
    assert not result.ok and not result.transient, "a validation refusal must be a permanent failure"
    assert result.error and request.ref in result.error, f"the error does not name the record: {result.error}"
    if s.invalid_field:
        assert result.field == s.invalid_field or s.invalid_field in result.error, (
            f"the error does not name field {s.invalid_field!r}: field={result.field!r} {result.error}"
        )


def check_create_with_the_same_ref_is_idempotent(s: Subject) -> None:
    if not s.capabilities.upsert_by_external_id:
        return
    ref = f"conf-upsert-{next(_tags)}"
    first = s.connector.write_batch(s.entity, [WriteRequest("create", ref, s.make(tag("first")))])[0]
    again = s.connector.write_batch(s.entity, [WriteRequest("create", ref, s.make(tag("again")))])[0]
    assert first.ok and again.ok, f"a create under ref {ref} failed: {first.error or again.error}"
    assert first.id == again.id, (
        f"a create retried with its ref made a second record ({first.id} then {again.id})"
    )
    [record] = s.connector.read_by_ids(s.entity, [first.id])
    assert record.ref == ref, "reads must return the ref the record was created under"


def check_delete_is_idempotent_and_visible(s: Subject) -> None:
    [created] = create(s, tag("doomed"))
    before = _last_cursor(s)
    delete = WriteRequest("delete", f"conf-{next(_tags)}", {}, created.id)
    first, again = (s.connector.write_batch(s.entity, [delete])[0] for _ in range(2))
    if not s.capabilities.can_delete:
        hint = first.error or ""
        assert not first.ok and ("deletes: archive" in hint or "deletes: ignore" in hint), (
            f"a forbidden delete must say so and name the flow setting that avoids it: {hint}"
        )
        return
    assert first.ok and again.ok, f"delete, then delete again: {first.error} / {again.error}"
    assert s.connector.read_by_ids(s.entity, [created.id]) == [], "a deleted record is still read by id"
    if s.capabilities.delete_detection:
        since = before if s.capabilities.change_tracking == "cursor" else None
        tombstones = [r for records in read_all(s, since) for r in records if r.id == created.id]
        assert tombstones and tombstones[-1].deleted, "the deletion is neither reported nor a tombstone"
    else:
        assert created.id not in set(s.connector.list_ids(s.entity)), "list_ids still lists a deleted record"


def check_a_read_after_a_write_returns_what_the_system_saved(s: Subject) -> None:
    text = tag("saved")
    [created] = create(s, text)
    [read] = s.connector.read_by_ids(s.entity, [created.id])
    assert s.text_of(read.data) == text, f"text did not round-trip: {s.text_of(read.data)!r} != {text!r}"
    if created.record is not None:
        assert created.record.id == read.id and created.record.data == read.data, (
            "create's record is not what was saved"
        )
    other = tag("edited")
    [updated] = s.connector.write_batch(
        s.entity, [WriteRequest("update", "conf-u", s.edit(other), created.id)]
    )
    if not s.capabilities.can_update:
        assert not updated.ok and not updated.transient, "an update of a read-only entity must be refused"
        return
    assert updated.ok, updated.error
    [again] = s.connector.read_by_ids(s.entity, [created.id])
    assert s.text_of(again.data) == other, f"updated text did not round-trip: {s.text_of(again.data)!r}"
    if updated.record is not None:
        assert updated.record.data == again.data, "update's record is not what was saved"


def check_an_outage_is_a_transient_error(s: Subject) -> None:
    if s.faults is None:
        raise AssertionError(f"{s.name}: the subject offers no way to inject a 5xx or a timeout")
    request = WriteRequest("create", f"conf-{next(_tags)}", s.make(tag("outage")))
    for kind in ("5xx", "timeout"):
        with s.faults(kind):
            try:
                for _ in s.connector.read_changes(s.entity, None, page_size=50):
                    pass
            except TransientError:
                pass
            except Exception as exc:
                raise AssertionError(
                    f"a read during a {kind} raised {type(exc).__name__}, not TransientError"
                ) from exc
            else:
                raise AssertionError(f"a read during a {kind} did not raise TransientError")
            if not s.capabilities.can_create:
                continue  # a read-only entity: reads are all there is to fail
            try:
                results = s.connector.write_batch(s.entity, [request])
            except TransientError:
                continue
            except Exception as exc:
                raise AssertionError(f"a write during a {kind} raised {type(exc).__name__}: {exc}") from exc
            assert len(results) == 1 and not results[0].ok and results[0].transient, (
                f"a write during a {kind} must fail as transient: {results}"
            )


def _last_cursor(s: Subject) -> Cursor | None:
    if s.capabilities.change_tracking == "none":
        return None
    last = None
    for records in read_all(s):
        if records:
            last = records[-1]
    return Cursor(last.modified, last.id) if last is not None and last.modified else None


CHECKS: list[Callable[[Subject], None]] = [
    check_records_come_in_modified_id_order,
    check_a_cursor_resumes_exactly_after_the_last_record,
    check_one_result_per_request_and_a_bad_record_fails_alone,
    check_a_refusal_is_permanent_and_names_record_and_field,
    check_create_with_the_same_ref_is_idempotent,
    check_delete_is_idempotent_and_visible,
    check_a_read_after_a_write_returns_what_the_system_saved,
    check_an_outage_is_a_transient_error,
]

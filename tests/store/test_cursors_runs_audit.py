from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sync_engine.store import AuditEntry, Store, StoreError


def test_cursor_keeps_microseconds_and_comes_back_in_utc(store: Store) -> None:
    berlin_winter = timezone(timedelta(hours=1))
    modified = datetime(2026, 1, 31, 23, 59, 59, 999999, tzinfo=berlin_winter)
    store.set_cursor("customers", "erp", modified, "P-42")

    cursor = store.get_cursor("customers", "erp")
    assert cursor is not None
    assert cursor.modified == modified
    assert cursor.modified.tzinfo == UTC
    assert cursor.modified.isoformat() == "2026-01-31T22:59:59.999999+00:00"
    assert cursor.record_id == "P-42"
    assert cursor.updated_at.tzinfo == UTC


def test_setting_a_cursor_again_moves_it_and_reset_forgets_the_flow(store: Store) -> None:
    first = datetime(2026, 1, 1, tzinfo=UTC)
    store.set_cursor("customers", "erp", first, "1")
    store.set_cursor("customers", "erp", first + timedelta(microseconds=1), "2")
    store.set_cursor("customers", "crm", first, "c")
    store.set_cursor("products", "erp", first, "p")

    assert store.get_cursor("customers", "erp").record_id == "2"  # type: ignore[union-attr]
    store.reset_cursors("customers")
    assert store.get_cursor("customers", "erp") is None
    assert store.get_cursor("customers", "crm") is None
    assert store.get_cursor("products", "erp") is not None


def test_cursor_write_joins_the_callers_transaction(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        store.set_cursor("customers", "erp", datetime(2026, 1, 1, tzinfo=UTC), "1", tx=tx)
        raise RuntimeError("crash before commit")
    assert store.get_cursor("customers", "erp") is None


def test_run_lifecycle_and_newest_first_listing(store: Store) -> None:
    first = store.start_run("customers")
    second = store.start_run("products", dry_run=True)
    run = store.get_run(first)
    assert run is not None and run.status == "running" and run.finished_at is None and not run.dry_run

    store.finish_run(
        first, status="partial", counts={"created": 3, "dead_letters": 1}, error="1 record failed"
    )
    run = store.get_run(first)
    assert run is not None
    assert (run.status, run.counts, run.error) == (
        "partial",
        {"created": 3, "dead_letters": 1},
        "1 record failed",
    )
    assert run.finished_at is not None and run.finished_at >= run.started_at
    assert run.started_at.tzinfo == UTC

    assert [r.id for r in store.list_runs()] == [second, first]
    assert [r.id for r in store.list_runs(flow="customers")] == [first]
    assert store.get_run(second).dry_run  # type: ignore[union-attr]
    assert store.get_run(999_999) is None


def test_finish_run_refuses_unknown_status_and_unknown_run(store: Store) -> None:
    run_id = store.start_run("customers")
    with pytest.raises(StoreError, match="unknown run status 'done'; use one of: success, partial, failed"):
        store.finish_run(run_id, status="done", counts={})
    with pytest.raises(StoreError, match="run 424242 does not exist"):
        store.finish_run(424242, status="success", counts={})


def test_audit_entries_are_recorded_in_bulk_and_listed_newest_first(store: Store) -> None:
    run_id = store.start_run("customers")
    at = datetime(2026, 2, 1, 8, 0, 0, 123, tzinfo=UTC)
    entries = [
        AuditEntry(
            run_id, "customers", "crm", "customer", f"C{i}", "update", {"name": "old"}, {"name": f"新{i}"}
        )
        for i in range(1200)
    ]
    entries.append(
        AuditEntry(run_id, "customers", "erp", "customer", None, "create", None, {"name": "x"}, at=at)
    )
    store.record_audit(entries)
    store.record_audit([AuditEntry(None, "products", "crm", "product", "P1", "delete", {"sku": "A"}, None)])

    listed = store.list_audit(run_id=run_id, limit=2000)
    assert len(listed) == 1201
    assert listed[0].op == "create" and listed[0].at == at and listed[0].external_id is None
    assert listed[-1].after == {"name": "新0"} and listed[-1].at is not None and listed[-1].at.tzinfo == UTC
    assert [e.flow for e in store.list_audit(flow="products")] == ["products"]
    assert len(store.list_audit(limit=5)) == 5


def test_audit_refuses_an_unknown_operation(store: Store) -> None:
    with pytest.raises(StoreError, match="unknown audit op 'upsert'"):
        store.record_audit([AuditEntry(None, "customers", "crm", "customer", "C1", "upsert", None, None)])

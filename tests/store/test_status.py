from __future__ import annotations

from datetime import UTC, datetime

from sync_engine.store import LinkRecord, Store


def test_status_summary_reports_each_known_flow(store: Store) -> None:
    assert store.status_summary() == []

    store.save_links(
        LinkRecord("customers", "customer", f"c-{i}", {"erp": f"E{i}"}, snapshot={"name": "x"})
        for i in range(3)
    )
    first = store.start_run("customers")
    store.finish_run(first, status="failed", counts={}, error="CRM unreachable")
    latest = store.start_run("customers")
    store.finish_run(latest, status="success", counts={"updated": 2})
    store.report_conflict(
        flow="customers",
        entity="customer",
        canonical_id="c-1",
        field="name",
        base="a",
        values={"erp": "b", "crm": "c"},
        systems={"erp": "tryton", "crm": "salesforce"},
        changed_at={"erp": None, "crm": None},
    )
    modified = datetime(2026, 1, 31, 8, 0, 0, 5, tzinfo=UTC)
    store.set_cursor("customers", "erp", modified, "E2")
    store.add_dead_letter(
        flow="complaints",
        entity="complaint",
        system="crm",
        external_id="500x",
        stage="map",
        reason="bad status",
    )

    summary = {row["flow"]: row for row in store.status_summary()}
    assert list(summary) == ["complaints", "customers"]

    customers = summary["customers"]
    assert customers["links"] == 3
    assert customers["open_conflicts"] == 1
    assert customers["open_dead_letters"] == 0
    assert customers["last_run"]["id"] == latest
    assert customers["last_run"]["status"] == "success"
    assert customers["last_run"]["counts"] == {"updated": 2}
    assert customers["last_run"]["finished_at"] is not None
    assert customers["cursors"]["erp"]["modified"] == modified
    assert customers["cursors"]["erp"]["record_id"] == "E2"

    complaints = summary["complaints"]
    assert (complaints["links"], complaints["last_run"], complaints["open_dead_letters"]) == (0, None, 1)
    assert complaints["cursors"] == {}

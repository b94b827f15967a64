"""One run of a flow between two in-memory systems: creation, updates, matching, conflicts, deletes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.base import ConnectionSettings
from connectors.memory import MemoryConnector
from sync_engine.store import FlowLocked
from tests.engine.conftest import Hub
from tests.memory_samples import native_customer as customer


def test_initial_sync_creates_each_record_once_on_the_other_side(hub: Hub) -> None:
    hub.erp.put("customer", None, customer("Acme", "DE1"))
    hub.erp.put("customer", None, customer("北京贸易有限公司", "CN9"))
    hub.crm.put("customer", None, customer("شركة الأمل", "AE7"))

    report = hub.run()

    assert report.status == "success"
    assert (report.sides["crm"].created, report.sides["erp"].created) == (2, 1)
    assert hub.by_name("erp") == hub.by_name("crm")
    assert set(hub.by_name("crm")) == {"Acme", "北京贸易有限公司", "شركة الأمل"}
    assert hub.store.count_links("customers") == 3


def test_a_second_run_without_changes_writes_nothing(hub: Hub) -> None:
    hub.erp.put("customer", None, customer("Acme", "DE1"))
    hub.crm.put("customer", None, customer("Beta", "DE2"))
    hub.run()

    again = hub.run()

    assert again.writes == 0
    assert again.conflicts == 0
    assert hub.erp.count("customer") == hub.crm.count("customer") == 2


def test_records_with_the_same_natural_key_are_linked_not_duplicated(hub: Hub) -> None:
    hub.erp.put("customer", None, customer("ACME GmbH", "de 123"))
    hub.crm.put("customer", None, customer("Acme GmbH", "DE 123"))

    report = hub.run()

    assert hub.erp.count("customer") == hub.crm.count("customer") == 1
    assert report.sides["erp"].created == report.sides["crm"].created == 0
    assert hub.store.count_links("customers") == 1


def test_several_candidates_for_one_key_open_a_duplicate_conflict_and_create_nothing(hub: Hub) -> None:
    hub.crm.put("customer", None, customer("Acme", None))
    hub.crm.put("customer", None, customer("ACME", None))
    hub.erp.put("customer", None, customer("acme", None))

    report = hub.run()

    assert report.duplicates == 1
    [conflict] = hub.store.list_conflicts(flow="customers")
    assert conflict.kind == "duplicate"
    assert len(conflict.values["candidates"]) == 2
    # the ERP record was not matched by a guess nor copied to the CRM a third time
    assert hub.crm.count("customer") == 2


def test_a_change_on_one_side_reaches_the_other_and_only_that_field_is_written(hub: Hub) -> None:
    erp_id = hub.erp.put("customer", None, customer("Acme", "DE1"))
    hub.run()
    crm_id = hub.id_of("crm", "Acme")

    hub.erp.patch("customer", erp_id, {"addresses": [{**customer("x")["addresses"][0], "city": "Köln"}]})
    report = hub.run()

    assert report.sides["crm"].updated == 1
    assert hub.canonical("crm")[crm_id]["addresses"][0]["city"] == "Köln"
    [entry] = [a for a in hub.store.list_audit(flow="customers") if a.op == "update"]
    assert set(entry.after) == {"addresses"}
    assert entry.before["addresses"][0]["city"] == "Berlin"


def test_both_sides_changing_different_fields_merge_without_conflict(hub: Hub) -> None:
    erp_id = hub.erp.put("customer", None, customer("Acme", "DE1"))
    hub.run()
    crm_id = hub.id_of("crm", "Acme")

    hub.erp.patch(
        "customer",
        erp_id,
        {"finance": {"credit_limit": "9000.00", "credit_currency": "EUR", "payment_terms": "NET30"}},
    )
    hub.crm.patch("customer", crm_id, {"company": {"name": "Acme Holding", "legal_form": "GmbH"}})
    report = hub.run()

    assert report.conflicts == 0
    erp, crm = hub.canonical("erp")[erp_id], hub.canonical("crm")[crm_id]
    assert erp == crm
    assert erp["name"] == "Acme Holding"
    assert erp["credit_limit"] == {"amount": "9000", "currency": "EUR"}  # canonical form of 9000.00


def test_a_field_owner_wins_a_concurrent_change(hub: Hub) -> None:
    erp_id = hub.erp.put("customer", None, customer("Acme", "DE1"))
    hub.run()
    crm_id = hub.id_of("crm", "Acme")

    hub.erp.patch(
        "customer",
        erp_id,
        {"finance": {"credit_limit": "100.00", "credit_currency": "EUR", "payment_terms": "NET30"}},
    )
    hub.crm.patch(
        "customer",
        crm_id,
        {"finance": {"credit_limit": "999.00", "credit_currency": "EUR", "payment_terms": "NET30"}},
    )
    report = hub.run()

    assert report.conflicts == 0
    assert hub.canonical("crm")[crm_id]["credit_limit"]["amount"] == "100"  # canonical form of 100.00


def test_manual_policy_holds_the_field_opens_one_conflict_and_applies_the_resolution_once(hub: Hub) -> None:
    erp_id = hub.erp.put("customer", None, customer("Acme", "DE1"))
    hub.run()
    crm_id = hub.id_of("crm", "Acme")
    hub.erp.patch("customer", erp_id, {"company": {"name": "Acme ERP", "legal_form": "GmbH"}})
    hub.crm.patch("customer", crm_id, {"company": {"name": "Acme CRM", "legal_form": "GmbH"}})

    report = hub.run()
    again = hub.run()

    assert report.conflicts == 1
    [conflict] = hub.store.list_conflicts(flow="customers")
    assert (conflict.field, conflict.values) == ("name", {"erp": "Acme ERP", "crm": "Acme CRM"})
    assert conflict.base == "Acme"
    # held: neither side was overwritten, and rerunning does not open a second conflict
    assert hub.canonical("erp")[erp_id]["name"] == "Acme ERP"
    assert hub.canonical("crm")[crm_id]["name"] == "Acme CRM"
    assert again.writes == 0
    assert hub.store.count_conflicts(flow="customers") == 1

    hub.store.resolve_conflict(conflict.id, choice="value", value="Acme AG", user="ops")
    applied = hub.run()
    after = hub.run()

    assert applied.resolutions_applied == 1
    assert hub.canonical("erp")[erp_id]["name"] == hub.canonical("crm")[crm_id]["name"] == "Acme AG"
    assert hub.store.get_conflict(conflict.id).status == "applied"
    assert after.writes == 0 and after.resolutions_applied == 0


def test_newest_policy_takes_the_later_change(make_hub) -> None:
    hub = make_hub(conflict_policy="newest", field_owners={})
    erp_id = hub.erp.put("customer", None, customer("Acme", "DE1"))
    hub.run()
    crm_id = hub.id_of("crm", "Acme")
    t = hub.erp.modified_at("customer", erp_id)
    hub.crm.patch(
        "customer",
        crm_id,
        {"company": {"name": "Later CRM", "legal_form": "GmbH"}},
        modified=t + timedelta(seconds=20),
    )
    hub.erp.patch(
        "customer",
        erp_id,
        {"company": {"name": "Earlier ERP", "legal_form": "GmbH"}},
        modified=t + timedelta(seconds=10),
    )

    report = hub.run()

    assert report.conflicts == 0
    assert hub.canonical("erp")[erp_id]["name"] == "Later CRM"


def test_a_delete_propagates_and_a_delete_against_an_update_is_a_conflict(hub: Hub) -> None:
    a = hub.erp.put("customer", None, customer("Acme", "DE1"))
    b = hub.erp.put("customer", None, customer("Beta", "DE2"))
    hub.run()
    beta_crm = hub.id_of("crm", "Beta")

    hub.erp.delete("customer", a)
    hub.erp.delete("customer", b)
    hub.crm.patch("customer", beta_crm, {"company": {"name": "Beta renamed", "legal_form": "GmbH"}})
    report = hub.run()

    assert report.sides["crm"].deleted == 1
    assert set(hub.by_name("crm")) == {"Beta renamed"}
    [conflict] = hub.store.list_conflicts(flow="customers")
    assert conflict.kind == "delete"


def test_deletes_ignore_leaves_the_other_side_alone_and_does_not_recreate(make_hub) -> None:
    hub = make_hub(deletes="ignore")
    a = hub.erp.put("customer", None, customer("Acme", "DE1"))
    hub.run()

    hub.erp.delete("customer", a)
    hub.run()
    again = hub.run()

    assert hub.crm.count("customer") == 1
    assert hub.erp.count("customer") == 0
    assert again.writes == 0


def test_a_one_way_flow_never_writes_to_its_source_and_reverts_target_edits(make_hub) -> None:
    hub = make_hub(direction="erp_to_crm", conflict_policy="erp", field_owners={})
    erp_id = hub.erp.put("customer", None, customer("Acme", "DE1"))
    hub.crm.put("customer", None, customer("Only in CRM", "XX1"))
    hub.run()
    crm_id = hub.id_of("crm", "Acme")

    hub.crm.patch("customer", crm_id, {"company": {"name": "Edited in CRM", "legal_form": "GmbH"}})
    report = hub.run()

    assert report.sides["erp"].created == report.sides["erp"].updated == 0
    assert set(hub.by_name("erp")) == {"Acme"}
    assert hub.canonical("crm")[crm_id]["name"] == "Acme"
    assert hub.canonical("erp")[erp_id]["name"] == "Acme"


def test_incremental_reads_return_only_changes_including_records_sharing_one_timestamp(make_hub) -> None:
    hub = make_hub(page_size=7, overlap_seconds=0)
    stamp = hub.erp.clock()
    ids = [
        hub.erp.put("customer", None, customer(f"Kunde {i}", f"DE{i:03d}"), modified=stamp) for i in range(30)
    ]
    first = hub.run()
    assert first.sides["crm"].created == 30

    later = stamp + timedelta(seconds=5)
    for i in (3, 4, 5, 6, 7, 8):  # six records, one timestamp, across a page boundary of 7
        hub.erp.patch("customer", ids[i], {"status": "I"}, modified=later)
    report = hub.run()

    assert report.sides["crm"].updated == 6
    assert report.sides["erp"].read <= 7  # the records at the cursor's timestamp, not all 30
    assert sum(1 for r in hub.canonical("crm").values() if not r["active"]) == 6


def test_snapshot_connectors_find_changes_and_deletes_by_hash(make_hub) -> None:
    hub = make_hub(crm_options={"change_tracking": "none"})
    hub.erp.put("customer", None, customer("Acme", "DE1"))
    hub.erp.put("customer", None, customer("Beta", "DE2"))
    hub.run()
    crm_beta = hub.id_of("crm", "Beta")
    crm_acme = hub.id_of("crm", "Acme")

    hub.crm.patch("customer", crm_acme, {"company": {"name": "Acme Neu", "legal_form": "GmbH"}})
    hub.crm.delete("customer", crm_beta)
    report = hub.run()

    assert report.sides["erp"].updated == 1
    assert report.sides["erp"].deleted == 1
    assert set(hub.by_name("erp")) == {"Acme Neu"}
    assert hub.run().writes == 0


def test_dry_run_plans_but_writes_nothing(hub: Hub) -> None:
    hub.erp.put("customer", None, customer("Acme", "DE1"))

    report = hub.run(dry_run=True)

    assert report.dry_run and report.run_id is None
    assert [(p.system, p.op) for p in report.plan] == [("crm", "create")]
    assert hub.crm.count("customer") == 0
    assert hub.store.count_links("customers") == 0
    assert hub.store.list_runs(flow="customers") == []


def test_two_runs_of_one_flow_cannot_overlap(hub: Hub) -> None:
    with (
        hub.store.lock_flow("customers", holder="airflow-worker-1"),
        pytest.raises(FlowLocked, match="airflow-worker-1"),
    ):
        hub.run()


class _FeedThatLostDeletions(MemoryConnector):
    """A cursor feed that says its deletions may be gone (like Salesforce past its recycle bin)."""

    def needs_id_reconciliation(self, entity: str) -> bool:
        return True


def test_a_connector_that_may_have_lost_deletions_gets_its_ids_compared(make_hub) -> None:
    hub = make_hub(erp_options={"delete_detection": False})
    gone = hub.erp.put("customer", None, customer("Acme", "DE1"))
    hub.erp.put("customer", None, customer("Beta", "DE2"))
    hub.run()
    hub.erp.delete("customer", gone)

    assert hub.run().sides["crm"].deleted == 0  # the feed does not report it
    connectors = {
        "erp": _FeedThatLostDeletions(ConnectionSettings("memory", host="erp"), {"delete_detection": False}),
        "crm": MemoryConnector(ConnectionSettings("memory", host="crm")),
    }
    report = hub.run(connectors=connectors)

    assert report.sides["crm"].deleted == 1
    assert set(hub.by_name("crm")) == {"Beta"}


def test_a_resolution_reaches_a_side_that_moved_back_to_the_old_value_after_the_conflict(hub: Hub) -> None:
    def city(name: str | None) -> dict:
        return {"addresses": [{**customer("x")["addresses"][0], "city": name}]}

    erp_id = hub.erp.put("customer", None, customer("Acme", "DE1", city="Kairo"))
    hub.run()
    crm_id = hub.id_of("crm", "Acme")
    hub.erp.patch("customer", erp_id, city("Siena"))
    hub.crm.patch("customer", crm_id, city(None))
    hub.run()
    [conflict] = hub.store.list_conflicts(flow="customers")
    hub.store.resolve_conflict(conflict.id, choice="crm")  # no city
    hub.erp.patch("customer", erp_id, city(None))
    hub.crm.patch("customer", crm_id, city("Kairo"))  # back to the last synced value

    report = hub.run()

    assert report.resolutions_applied == 1
    assert hub.canonical("crm")[crm_id]["addresses"][0]["city"] is None
    assert hub.canonical("erp")[erp_id]["addresses"][0]["city"] is None

"""The run after convergence writes nothing (issue 12), on two in-memory systems.

- the snapshot is what the target saved: values it fills in reach the other side in the same run,
  or are remembered as that side's own rendering when the other side cannot take them;
- in a quiet system the overlap window does not re-read the last changes on every run;
- a record that failed for good waits for a change (or ``deadletters retry``) instead of failing
  again on every run;
- a conflict still open is not counted again as opened;
- deletions of a cursor system without delete tracking are found on the flow's schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.memory.clock import ManualClock
from tests.engine.conftest import Hub
from tests.memory_samples import native_customer as customer


def bare(name: str, vat: str) -> dict:
    """A customer without currency (the ERP fills in its own when it creates one)."""
    return {**customer(name, vat), "currency_code": None}


def test_a_value_the_target_fills_in_on_create_reaches_the_other_side_in_the_same_run(make_hub) -> None:
    hub: Hub = make_hub(erp_options={"fills": {"customer": {"currency_code": "CHF"}}})
    crm_id = hub.crm.put("customer", None, bare("Alpen AG", "CHE-1"))

    first = hub.run()
    second = hub.run()

    erp_id = hub.id_of("erp", "Alpen AG")
    assert hub.canonical("erp")[erp_id]["currency"] == "CHF"
    assert hub.canonical("crm")[crm_id]["currency"] == "CHF", "the CRM learns the ERP's currency"
    assert (first.sides["erp"].created, first.sides["crm"].updated) == (1, 1)
    assert second.writes == 0
    audit = hub.store.list_audit(flow="customers")
    assert [(a.system, a.op, sorted(a.after or {})) for a in audit if a.op == "update"] == [
        ("crm", "update", ["currency"])
    ]


def test_a_value_the_target_fills_in_that_the_source_cannot_take_is_not_a_change_later(make_hub) -> None:
    # one-way CRM -> ERP: the CRM is never written, so the ERP's currency stays the ERP's own
    hub: Hub = make_hub(
        direction="crm_to_erp",
        conflict_policy="crm",
        field_owners={},
        erp_options={"fills": {"customer": {"currency_code": "CHF"}}},
    )
    hub.crm.put("customer", None, bare("Alpen AG", "CHE-1"))
    hub.run()
    erp_id = hub.id_of("erp", "Alpen AG")
    [link] = hub.store.find_links("customers", "erp", [erp_id]).values()
    assert link.meta["as_saved"] == {"erp": {"currency": "CHF"}}

    hub.erp.patch("customer", erp_id, {"people": []})  # the ERP record is read again next run
    again = hub.run()

    assert again.sides["erp"].read == 1 and again.sides["crm"].updated == 0
    assert hub.canonical("erp")[erp_id]["currency"] == "CHF"


def test_a_quiet_system_is_not_read_again_once_the_overlap_window_has_passed(make_hub) -> None:
    clock = ManualClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    hub: Hub = make_hub(overlap_seconds=120)
    hub.erp.clock = hub.crm.clock = clock
    for i in range(5):
        hub.erp.put("customer", None, customer(f"Firma {i}", f"DE{i}"))
    hub.run()

    clock.advance(timedelta(seconds=30))
    inside = hub.run()  # the last read began inside the window: a late commit may still come
    clock.advance(timedelta(minutes=10))
    after = hub.run()  # the last read began 30 s after the changes: read the window once more
    later = [hub.run() for _ in range(3)]  # that read began long after: resume exactly at the cursor

    assert inside.sides["erp"].read == after.sides["erp"].read == 5
    assert [r.sides["erp"].read for r in later] == [0, 0, 0], "nothing up to the cursor is read again"
    assert inside.writes == after.writes == sum(r.writes for r in later) == 0


def test_a_record_that_failed_for_good_waits_for_a_change_instead_of_failing_every_run(make_hub) -> None:
    hub: Hub = make_hub(crm_options={"change_tracking": "none", "rules": {"customer": {"max_length": {}}}})
    hub.crm.put("customer", None, customer("Gute GmbH", "DE1"))
    bad = hub.crm.put("customer", None, {**customer("Kaputt GmbH", "DE2"), "status": "?"})

    first = hub.run()
    second = hub.run()

    assert first.status == "partial" and first.dead_letters == 1
    [letter] = hub.store.list_dead_letters(flow="customers")
    assert second.status == "success" and second.dead_letters == 0
    assert second.sides["crm"].waiting == 1 and second.writes == 0
    assert hub.store.get_dead_letter(letter.id).attempts == 1, "not tried again while unchanged"

    hub.crm.patch("customer", bad, {"status": "A"})  # fixed at the source
    fixed = hub.run()

    assert fixed.status == "success" and fixed.sides["erp"].created == 1
    assert hub.store.get_dead_letter(letter.id).status == "resolved"


def test_a_conflict_still_open_is_not_counted_again_as_opened(hub: Hub) -> None:
    erp_id = hub.erp.put("customer", None, customer("Acme", "DE1"))
    hub.run()
    crm_id = hub.id_of("crm", "Acme")
    hub.erp.patch("customer", erp_id, {"company": {"name": "Acme ERP", "legal_form": "GmbH"}})
    hub.crm.patch("customer", crm_id, {"company": {"name": "Acme CRM", "legal_form": "GmbH"}})

    opened = hub.run()
    again = hub.run()

    assert (opened.conflicts, opened.open_conflicts) == (1, 1)
    assert (again.conflicts, again.open_conflicts) == (0, 1)
    assert again.as_dict()["open_conflicts"] == 1


def test_deletions_without_delete_tracking_are_found_on_the_flows_schedule(make_hub) -> None:
    hub: Hub = make_hub(erp_options={"delete_detection": False}, reconcile_deletes="daily")
    erp_id = hub.erp.put("customer", None, customer("Weg GmbH", "DE9"))
    hub.run()  # the first run compares ids (never done before)
    crm_id = hub.id_of("crm", "Weg GmbH")
    hub.erp.delete("customer", erp_id)

    within_the_day = hub.run()
    assert within_the_day.sides["crm"].deleted == 0 and crm_id in hub.crm.all("customer")

    hub.store.set_reconciled("customers", "erp", datetime.now(UTC) - timedelta(days=1, minutes=1))
    due = hub.run()
    assert due.sides["crm"].deleted == 1 and crm_id not in hub.crm.all("customer")


def test_deletes_archive_deactivates_the_other_side(make_hub) -> None:
    hub: Hub = make_hub(deletes="archive")
    erp_id = hub.erp.put("customer", None, customer("Archiv GmbH", "DE7"))
    hub.run()
    crm_id = hub.id_of("crm", "Archiv GmbH")
    hub.erp.delete("customer", erp_id)

    report = hub.run()
    quiet = hub.run()

    assert (report.sides["crm"].updated, report.sides["crm"].deleted) == (1, 0)
    assert hub.canonical("crm")[crm_id]["active"] is False
    assert quiet.writes == 0

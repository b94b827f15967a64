"""Bad data and failing systems: one bad record never stops the batch, nothing is lost."""

from __future__ import annotations

from collections.abc import Callable

from tests.engine.conftest import Hub
from tests.memory_samples import native_customer as customer


def test_a_record_that_cannot_be_mapped_is_dead_lettered_and_the_rest_synced(hub: Hub) -> None:
    hub.erp.put("customer", None, customer("Good 1", "DE1"))
    bad = hub.erp.put("customer", None, customer("Bad terms", "DE2", terms="NET99"))
    hub.erp.put("customer", None, customer("Good 2", "DE3"))

    report = hub.run()

    assert report.status == "partial"
    assert set(hub.by_name("crm")) == {"Good 1", "Good 2"}
    [letter] = hub.store.list_dead_letters(flow="customers")
    assert (letter.system, letter.external_id, letter.stage) == ("erp", bad, "map")
    assert "NET99" in letter.reason and "payment_terms" in letter.reason
    assert letter.payload["native"]["finance"]["payment_terms"] == "NET99"


def test_a_record_that_fails_validation_names_the_field_and_the_fix(hub: Hub) -> None:
    record = customer("Bad country", "DE9")
    record["addresses"][0]["country_iso"] = "Germany"
    hub.erp.put("customer", None, record)
    hub.erp.put("customer", None, customer("Fine", "DE8"))

    hub.run()

    [letter] = hub.store.list_dead_letters(flow="customers")
    assert letter.stage == "validate"
    assert letter.field == "addresses.0.country"
    assert "Germany" in letter.reason
    assert set(hub.by_name("crm")) == {"Fine"}


def test_a_write_the_target_refuses_is_dead_lettered_then_retried_after_the_fix(
    make_hub: Callable[..., Hub],
) -> None:
    hub = make_hub(crm_options={"rules": {"customer": {"required": ["vat_number"]}}})
    hub.erp.put("customer", None, customer("No VAT", None))
    hub.erp.put("customer", None, customer("With VAT", "DE1"))

    report = hub.run()

    assert report.sides["crm"].created == 1 and report.sides["crm"].failed == 1
    [letter] = hub.store.list_dead_letters(flow="customers")
    assert letter.stage == "write" and letter.system == "crm"
    assert "vat_number" in letter.reason
    # the source record was read once; a plain rerun does not lose it, a retry re-reads it
    erp_id = hub.id_of("erp", "No VAT")
    hub.erp.patch("customer", erp_id, {"vat_number": "DE2"}, modified=hub.erp.modified_at("customer", erp_id))
    hub.store.set_dead_letter_status([letter.id], "retrying")
    retried = hub.run()

    assert retried.sides["crm"].created == 1
    assert set(hub.by_name("crm")) == {"No VAT", "With VAT"}
    assert hub.store.get_dead_letter(letter.id).status == "resolved"


def test_a_transient_failure_of_one_record_is_retried_by_the_next_run(hub: Hub) -> None:
    hub.erp.put("customer", None, customer("Flaky", "DE1"))
    hub.erp.put("customer", None, customer("Steady", "DE2"))
    hub.crm.fail_next(1, transient=True)

    first = hub.run()
    second = hub.run()

    assert first.sides["crm"].failed == 1
    assert second.sides["crm"].created == 1
    assert set(hub.by_name("crm")) == {"Flaky", "Steady"}
    assert hub.store.count_dead_letters(flow="customers", status="open") == 0
    assert hub.run().writes == 0


def test_a_failing_call_is_retried_with_backoff_within_the_run(hub: Hub) -> None:
    hub.erp.put("customer", None, customer("Acme", "DE1"))
    hub.crm.fail_next_call(2, transient=True)

    report = hub.run()

    assert report.status == "success"
    assert set(hub.by_name("crm")) == {"Acme"}


def test_a_record_whose_reference_is_not_linked_waits_for_it(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub(
        extra_flows={
            "quotes": {
                "entity": "quote",
                "erp": "erp",
                "crm": "crm",
                "direction": "crm_to_erp",
                "conflict_policy": "crm",
                "match_keys": [["number"]],
                "depends_on": ["customers"],
            }
        }
    )
    crm_customer = hub.crm.put("customer", None, customer("Acme", "DE1"))
    hub.crm.put(
        "quote",
        None,
        {
            "ref_no": "Q-1",
            "customer_ref": crm_customer,
            "state": "A",
            "currency": "EUR",
            "valid_to": "31.01.2027",
            "items": [],
            "amount_total": "0.00",
        },
    )

    waiting = hub.run("quotes")
    assert waiting.deferred == 1 and hub.erp.count("quote") == 0
    [letter] = hub.store.list_dead_letters(flow="quotes", status="retrying")
    assert letter.stage == "reference"

    hub.run("customers")
    done = hub.run("quotes")

    assert done.sides["erp"].created == 1
    [quote] = hub.erp.all("quote").values()
    assert quote["customer_ref"] == hub.id_of("erp", "Acme")
    assert hub.store.get_dead_letter(letter.id).status == "resolved"

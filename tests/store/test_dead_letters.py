from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from sync_engine.store import Store, StoreError


def dead_letter(store: Store, external_id: str | None = "C1", **overrides: Any) -> int:
    args: dict[str, Any] = {
        "flow": "customers",
        "entity": "customer",
        "system": "crm",
        "external_id": external_id,
        "stage": "validate",
        "reason": "email: value is not a valid email address",
        "field": "email",
        "payload": {"Email": "not-an-email", "Name": "محمد"},
    }
    args.update(overrides)
    return store.add_dead_letter(**args)


def test_a_record_failing_again_at_the_same_stage_is_counted_not_duplicated(store: Store) -> None:
    run_id = store.start_run("customers")
    first = dead_letter(store)
    again = dead_letter(store, reason="email: still invalid", payload={"Email": "x@"}, run_id=run_id)

    assert again == first
    assert store.count_dead_letters(flow="customers") == 1
    letter = store.get_dead_letter(first)
    assert letter is not None
    assert letter.attempts == 2
    assert (letter.reason, letter.payload, letter.run_id) == ("email: still invalid", {"Email": "x@"}, run_id)
    assert letter.updated_at >= letter.created_at


def test_different_records_stages_or_resolved_letters_get_their_own_entry(store: Store) -> None:
    first = dead_letter(store)
    other_record = dead_letter(store, external_id="C2")
    other_stage = dead_letter(store, stage="write", reason="HTTP 400 from Salesforce", field=None)
    page_failure = dead_letter(store, external_id=None, stage="read", reason="timeout")
    assert dead_letter(store, external_id=None, stage="read", reason="timeout again") == page_failure
    assert len({first, other_record, other_stage, page_failure}) == 4

    store.set_dead_letter_status([first], "resolved")
    assert dead_letter(store) not in {first, other_record, other_stage, page_failure}


def test_a_letter_being_retried_that_fails_again_reopens(store: Store) -> None:
    first = dead_letter(store)
    store.set_dead_letter_status([first], "retrying")
    assert store.count_dead_letters() == 0
    assert dead_letter(store) == first
    letter = store.get_dead_letter(first)
    assert letter is not None and letter.status == "open" and letter.attempts == 2


def test_list_and_count_filter_by_status_and_flow(store: Store) -> None:
    ids = [dead_letter(store, external_id=f"C{i}") for i in range(3)]
    product = dead_letter(store, flow="products", entity="product", external_id="P1")
    store.set_dead_letter_status(ids[:2], "resolved")

    assert [d.id for d in store.list_dead_letters()] == [ids[2], product]
    assert [d.id for d in store.list_dead_letters(flow="customers", status="resolved")] == ids[:2]
    assert len(store.list_dead_letters(status=None)) == 4
    assert store.count_dead_letters(status="resolved", flow="customers") == 2
    assert store.list_dead_letters()[0].payload == {"Email": "not-an-email", "Name": "محمد"}
    assert store.get_dead_letter(123456) is None


def test_unknown_stage_or_status_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="unknown dead-letter stage 'merge'"):
        dead_letter(store, stage="merge")
    with pytest.raises(
        StoreError, match="unknown dead-letter status 'closed'; use one of: open, retrying, resolved"
    ):
        store.set_dead_letter_status([1], "closed")


def test_a_native_payload_with_decimals_dates_and_times_is_kept_as_exact_text(store: Store) -> None:
    payload = {
        "amount": Decimal("12.50"),
        "day": date(2026, 1, 31),
        "at": datetime(2026, 1, 31, 8, 0, tzinfo=UTC),
    }
    letter_id = store.add_dead_letter(
        flow="orders",
        entity="sales_order",
        system="erp",
        external_id="7",
        stage="map",
        reason="r",
        payload=payload,
    )
    assert store.get_dead_letter(letter_id).payload == {
        "amount": "12.50",
        "day": "2026-01-31",
        "at": "2026-01-31T08:00:00+00:00",
    }

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sync_engine.store import Store, StoreError


def open_credit_limit_conflict(store: Store, canonical_id: str = "c-1", **overrides: Any) -> int:
    args: dict[str, Any] = {
        "flow": "customers",
        "entity": "customer",
        "canonical_id": canonical_id,
        "field": "credit_limit",
        "base": {"amount": "1000.00", "currency": "EUR"},
        "values": {
            "erp": {"amount": "2000.00", "currency": "EUR"},
            "crm": {"amount": "1500.00", "currency": "EUR"},
        },
        "systems": {"erp": "tryton", "crm": "salesforce"},
        "changed_at": {"erp": "2026-01-31T10:00:00+00:00", "crm": None},
    }
    args.update(overrides)
    return store.report_conflict(**args)[0]


def test_reopening_an_open_conflict_updates_it_instead_of_duplicating(store: Store) -> None:
    first = open_credit_limit_conflict(store)
    again = open_credit_limit_conflict(
        store,
        values={"erp": "3000", "crm": "名古屋"},
        changed_at={"erp": None, "crm": "2026-02-01T00:00:00+00:00"},
    )
    assert again == first
    assert store.count_conflicts(flow="customers") == 1
    conflict = store.get_conflict(first)
    assert conflict is not None
    assert conflict.values == {"erp": "3000", "crm": "名古屋"}
    assert conflict.changed_at == {"erp": None, "crm": "2026-02-01T00:00:00+00:00"}
    assert conflict.base == {"amount": "1000.00", "currency": "EUR"}
    assert conflict.updated_at >= conflict.created_at

    other_field = open_credit_limit_conflict(store, field="payment_terms")
    other_record = open_credit_limit_conflict(store, canonical_id="c-2")
    assert len({first, other_field, other_record}) == 3


def test_resolving_with_a_side_takes_that_sides_value(store: Store) -> None:
    conflict_id = open_credit_limit_conflict(store)
    resolved = store.resolve_conflict(conflict_id, choice="crm", user="maria")
    assert resolved.status == "resolved"
    assert resolved.resolution == "crm"
    assert resolved.resolved_value == {"amount": "1500.00", "currency": "EUR"}
    assert resolved.resolved_by == "maria"
    assert resolved.resolved_at is not None
    assert store.count_conflicts() == 0
    assert store.count_conflicts(status="resolved") == 1


def test_resolving_with_a_value_takes_the_given_value(store: Store) -> None:
    conflict_id = open_credit_limit_conflict(store)
    resolved = store.resolve_conflict(
        conflict_id, choice="value", value={"amount": "1750.00", "currency": "EUR"}
    )
    assert (resolved.resolution, resolved.resolved_value) == (
        "value",
        {"amount": "1750.00", "currency": "EUR"},
    )


def test_only_an_open_conflict_can_be_resolved(store: Store) -> None:
    conflict_id = open_credit_limit_conflict(store)
    store.resolve_conflict(conflict_id, choice="erp")
    with pytest.raises(StoreError, match=f"conflict {conflict_id} .* is resolved, not open"):
        store.resolve_conflict(conflict_id, choice="crm")
    with pytest.raises(StoreError, match="conflict 987654 does not exist"):
        store.resolve_conflict(987654, choice="crm")
    with pytest.raises(StoreError, match="unknown choice 'both'"):
        store.resolve_conflict(open_credit_limit_conflict(store, field="name"), choice="both")


def test_a_new_conflict_opens_once_the_previous_one_is_resolved(store: Store) -> None:
    first = open_credit_limit_conflict(store)
    store.resolve_conflict(first, choice="erp")
    assert open_credit_limit_conflict(store) != first


def test_pending_resolutions_until_marked_applied(store: Store) -> None:
    a = open_credit_limit_conflict(store, canonical_id="c-1")
    b = open_credit_limit_conflict(store, canonical_id="c-2")
    c = open_credit_limit_conflict(store, canonical_id="c-3")
    open_credit_limit_conflict(store, canonical_id="p-1", flow="products", entity="product")
    store.resolve_conflict(a, choice="erp")
    store.resolve_conflict(b, choice="crm")

    assert [r.id for r in store.pending_resolutions("customers")] == [a, b]
    assert store.pending_resolutions("products") == []

    run_id = store.start_run("customers")
    store.mark_conflicts([a], "applied", run_id=run_id)
    store.mark_conflicts([c], "superseded")
    assert [r.id for r in store.pending_resolutions("customers")] == [b]
    applied = store.get_conflict(a)
    assert applied is not None and applied.status == "applied" and applied.applied_at is not None
    assert applied.run_id == run_id
    assert store.get_conflict(c).status == "superseded"  # type: ignore[union-attr]
    with pytest.raises(StoreError, match="unknown conflict status 'done'"):
        store.mark_conflicts([b], "done")


def test_open_conflicts_for_groups_open_ones_by_record(store: Store) -> None:
    a = open_credit_limit_conflict(store, canonical_id="c-1")
    b = open_credit_limit_conflict(store, canonical_id="c-1", field="name", kind="field")
    resolved = open_credit_limit_conflict(store, canonical_id="c-2")
    store.resolve_conflict(resolved, choice="erp")
    d = open_credit_limit_conflict(store, canonical_id="c-3", field="*", kind="delete")

    found = store.open_conflicts_for("customers", ["c-1", "c-2", "c-3", "c-4"])
    assert {k: [c.id for c in v] for k, v in found.items()} == {"c-1": [a, b], "c-3": [d]}
    assert found["c-3"][0].kind == "delete"


def test_list_conflicts_filters_and_pages(store: Store) -> None:
    ids = [open_credit_limit_conflict(store, canonical_id=f"c-{i}") for i in range(5)]
    product = open_credit_limit_conflict(store, canonical_id="p-1", flow="products", entity="product")

    assert [c.id for c in store.list_conflicts()] == [*ids, product]
    assert [c.id for c in store.list_conflicts(flow="customers", limit=2, offset=1)] == ids[1:3]
    assert [c.id for c in store.list_conflicts(entity="product")] == [product]
    assert store.list_conflicts(older_than=timedelta(days=1)) == []
    assert len(store.list_conflicts(older_than=timedelta(0))) == 6
    store.resolve_conflict(ids[0], choice="erp")
    assert [c.id for c in store.list_conflicts(status="resolved")] == [ids[0]]
    assert len(store.list_conflicts(status=None)) == 6


def test_unknown_conflict_kind_is_refused(store: Store) -> None:
    with pytest.raises(
        StoreError, match="unknown conflict kind 'merge'; use one of: field, delete, duplicate"
    ):
        open_credit_limit_conflict(store, kind="merge")

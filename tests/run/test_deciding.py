"""Deciding stage: states from changes or links, held values, refill, and the native writes."""

from __future__ import annotations

import pytest

from sync_engine.run.deciding import Unwritable, decide, requests_for
from sync_engine.run.pairing import Pair
from sync_engine.run.sides import Change
from sync_engine.store import LinkRecord
from tests.run.conftest import World

BASE = {
    "name": "Acme",
    "tax_id": "DE1",
    "active": True,
    "addresses": [],
    "contacts": [],
    "legal_form": None,
    "currency": "EUR",
    "credit_limit": None,
    "payment_terms": None,
}


def test_a_side_that_did_not_change_is_taken_from_the_link(world: World) -> None:
    ctx = world.context()
    link = LinkRecord("customers", "customer", "c1", {"erp": "E1", "crm": "K1"}, snapshot=dict(BASE))
    erp = Change(ctx.sides["erp"], "E1", {**BASE, "name": "Acme AG"}, None, link=link)
    item = decide(
        Pair("c1", link, {"erp": erp}, link), ctx.sides, ctx.policy, None, flow="customers", entity="customer"
    )
    assert (item.result.erp_action, item.result.crm_action) == ("none", "update")
    assert item.result.crm_patch == {"name": "Acme AG"}
    requests_for(item, ctx.sides)
    assert item.requests["crm"].op == "update" and item.requests["crm"].id == "K1"
    assert item.requests["crm"].data == {"company": {"name": "Acme AG"}}


def test_a_field_both_changed_is_held_with_each_sides_value(world: World) -> None:
    ctx = world.context()
    link = LinkRecord("customers", "customer", "c1", {"erp": "E1", "crm": "K1"}, snapshot=dict(BASE))
    pair = Pair(
        "c1",
        link,
        {
            "erp": Change(ctx.sides["erp"], "E1", {**BASE, "name": "ERP name"}, None, link=link),
            "crm": Change(ctx.sides["crm"], "K1", {**BASE, "name": "CRM name"}, None, link=link),
        },
        link,
    )
    item = decide(pair, ctx.sides, ctx.policy, None, flow="customers", entity="customer")
    assert [c.field for c in item.result.conflicts] == ["name"]
    assert item.held == {"erp": {"name": "ERP name"}, "crm": {"name": "CRM name"}}
    assert requests_for(item, ctx.sides).requests == {}


def test_a_resolution_decides_the_held_field(world: World) -> None:
    ctx = world.context()
    link = LinkRecord(
        "customers",
        "customer",
        "c1",
        {"erp": "E1", "crm": "K1"},
        snapshot=dict(BASE),
        meta={"held": {"erp": {"name": "ERP name"}, "crm": {"name": "CRM name"}}},
    )
    item = decide(
        Pair("c1", link, {}, link),
        ctx.sides,
        ctx.policy,
        ({"name": "Chosen"}, [7]),
        flow="customers",
        entity="customer",
    )
    assert item.resolution_ids == [7] and item.result.conflicts == ()
    assert item.result.erp_patch == item.result.crm_patch == {"name": "Chosen"}


def test_a_reference_not_linked_yet_defers_and_a_mapping_error_rejects(world: World) -> None:
    ctx = world.context()
    side = ctx.sides["crm"]

    class Refusing:
        def __init__(self, error: Exception) -> None:
            self.error = error

        def to_native(self, *args: object, **kwargs: object) -> dict:
            raise self.error

    from sync_engine.mapping import MappingError, UnresolvedReference

    for error, stage, deferred in (
        (
            UnresolvedReference(entity="customer", system="crm", canonical_id="c9", field="customer_id"),
            "reference",
            True,
        ),
        (MappingError("bad value", field="name"), "map", False),
    ):
        original, side.mapping = side.mapping, Refusing(error)  # type: ignore[assignment]
        try:
            change = Change(ctx.sides["erp"], "E1", dict(BASE), None)
            item = decide(
                Pair("c1", None, {"erp": change}, None),
                ctx.sides,
                ctx.policy,
                None,
                flow="customers",
                entity="customer",
            )
            with pytest.raises(Unwritable) as caught:
                requests_for(item, ctx.sides)
        finally:
            side.mapping = original
        [rejection] = caught.value.rejections
        assert (rejection.stage, rejection.deferred, rejection.ext_id) == (stage, deferred, "E1")


def test_a_side_asked_to_change_a_field_it_cannot_write_keeps_its_own_value(world: World) -> None:
    ctx = world.context()
    crm = ctx.sides["crm"]

    class ReadOnlyName:
        """The CRM's mapping with ``name`` read only (as a CRM's accepted quote holds its lines)."""

        def __init__(self, inner: object) -> None:
            self.inner = inner
            self.written_fields = inner.written_fields - {"name"}  # type: ignore[attr-defined]

        def to_native(self, record: dict, refs: object = None, *, fields: set[str] | None = None) -> dict:
            return self.inner.to_native(record, refs, fields=(fields or set()) - {"name"})  # type: ignore[attr-defined]

    crm.mapping = ReadOnlyName(crm.mapping)  # type: ignore[assignment]
    link = LinkRecord("customers", "customer", "c1", {"erp": "E1", "crm": "K1"}, snapshot=dict(BASE))
    erp = Change(ctx.sides["erp"], "E1", {**BASE, "name": "Acme AG"}, None, link=link)
    item = decide(
        Pair("c1", link, {"erp": erp}, link), ctx.sides, ctx.policy, None, flow="customers", entity="customer"
    )

    assert item.result.crm_patch == {"name": "Acme AG"}
    assert item.as_saved == {"crm": {"name": "Acme"}}, "the CRM keeps its own name, remembered as such"
    assert requests_for(item, ctx.sides).requests == {}, "nothing it can take: no write, no audit"

"""Settling stage: a value a target fills in goes to the other side, or stays that side's rendering."""

from __future__ import annotations

from sync_engine.run.deciding import decide, requests_for
from sync_engine.run.pairing import Pair
from sync_engine.run.settling import settle
from sync_engine.run.writing import write_items
from tests.memory_samples import native_customer as customer
from tests.run.conftest import FAST, World


def created_in_erp(world: World, **flow: object):
    """A CRM customer without currency, decided and written to an ERP that fills one in."""
    world.erp_options = {"fills": {"customer": {"currency_code": "CHF"}}}
    if flow:
        world.flow = world.flow.model_copy(update=flow)
    crm_id = world.crm.put("customer", None, {**customer("Alpen AG", "CHE-1"), "currency_code": None})
    ctx = world.context()
    [native] = ctx.sides["crm"].connector.read_by_ids("customer", [crm_id])
    [change] = ctx.sides["crm"].prepare([native], {}, ctx.report, lambda rej: None)
    item = decide(
        Pair("c1", None, {"crm": change}, None),
        ctx.sides,
        ctx.policy,
        None,
        flow="customers",
        entity="customer",
    )
    requests_for(item, ctx.sides)
    item.link.external_ids["crm"] = crm_id
    results = write_items(ctx.sides, [item], lambda i: i.requests, FAST)
    return ctx, item, results, crm_id


def test_a_value_the_target_filled_in_is_written_to_the_other_side(world: World) -> None:
    ctx, item, results, crm_id = created_in_erp(world)
    settled = settle(ctx, [item], results)
    assert item.snapshot is not None and item.snapshot["currency"] == "CHF"
    assert item.settle["crm"].data == {"currency_code": "CHF"} and settled[("crm", "c1")].ok
    assert world.crm.all("customer")[crm_id]["currency_code"] == "CHF"
    assert item.as_saved == {}


def test_a_side_that_cannot_take_the_value_keeps_it_as_its_own_rendering(world: World) -> None:
    ctx, item, results, _ = created_in_erp(world, direction="crm_to_erp")
    assert settle(ctx, [item], results) == {}
    assert item.as_saved == {"erp": {"currency": "CHF"}}
    assert item.snapshot is not None and item.snapshot["currency"] is None, "the CRM still holds none"


def test_a_failed_follow_up_write_leaves_the_value_as_the_targets_rendering(world: World) -> None:
    from connectors.memory.faults import RecordFault

    ctx, item, results, crm_id = created_in_erp(world)
    world.crm.faults.by_key[crm_id] = RecordFault(False, "read-only field")
    settled = settle(ctx, [item], results)
    assert not settled[("crm", "c1")].ok
    assert item.as_saved == {"erp": {"currency": "CHF"}} and item.snapshot["currency"] is None

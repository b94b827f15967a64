"""Resolutions stage: a person's choice reaches records nobody touched, read from both sides by id."""

from __future__ import annotations

from sync_engine.run import resolutions
from sync_engine.run.context import RunLedger
from tests.memory_samples import native_customer as customer
from tests.run.conftest import World


def test_resolved_conflicts_come_back_as_pairs_read_from_both_sides(world: World) -> None:
    erp_id = world.erp.put("customer", None, customer("Acme", "DE1"))
    world.run()
    crm_id = next(iter(world.crm.all("customer")))
    world.erp.patch("customer", erp_id, {"company": {"name": "Acme ERP", "legal_form": "GmbH"}})
    world.crm.patch("customer", crm_id, {"company": {"name": "Acme CRM", "legal_form": "GmbH"}})
    world.run()
    [conflict] = world.store.list_conflicts(flow="customers")
    world.store.resolve_conflict(conflict.id, choice="value", value="Acme SE", user="ops")

    ctx = world.context()
    ledger = RunLedger(resolutions=resolutions.load_resolutions(ctx))
    assert ledger.resolutions == {conflict.canonical_id: ({"name": "Acme SE"}, [conflict.id])}
    [pair] = resolutions.untouched(ctx, ledger)
    assert pair.cid == conflict.canonical_id and set(pair.changes) == {"erp", "crm"}

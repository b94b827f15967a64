"""Steady state on real servers: after convergence the next runs write nothing, on every flow.

Real Tryton 8.2 (ERP) and real BottleCRM (CRM) with the demo's five flows: customers both ways,
products and costs ERP -> CRM, an accepted estimate -> one Tryton sale with its status back,
complaints both ways. Then edits on both sides; each time the flows converge and three further runs
of every flow write nothing, open nothing and fail nothing (issue 12).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.base import Connector, WriteRequest
from sync_engine.config import Config
from sync_engine.flows import flow_order, run_flow
from sync_engine.report import RunReport
from sync_engine.store import Store
from synchub_dev.demo import seed
from tests.steady.conftest import RealPeers
from tests.steady.steps import add_crm_contact


def run_all(config: Config, store: Store, connectors: dict[str, Connector]) -> list[RunReport]:
    return [run_flow(config, name, store, connectors=connectors) for name in flow_order(config)]


def converge(config: Config, store: Store, connectors: dict[str, Connector], passes: int = 3) -> None:
    """Run every flow until a pass writes nothing; a flow that keeps writing fails the test."""
    for _ in range(passes):
        reports = run_all(config, store, connectors)
        for report in reports:
            assert report.status == "success", report.as_dict()
        if not any(r.writes for r in reports):
            return
    pytest.fail(f"no convergence after {passes} passes: {[r.as_dict() for r in reports]}")


def assert_quiet(config: Config, store: Store, connectors: dict[str, Connector], runs: int = 3) -> None:
    """Every flow, ``runs`` times: success, nothing written, no conflict opened, no dead letter."""
    for _ in range(runs):
        for report in run_all(config, store, connectors):
            summary = report.as_dict()
            assert report.status == "success", summary
            assert report.writes == 0, summary
            assert (report.conflicts, report.dead_letters, report.deferred) == (0, 0, 0), summary
            assert all(side.waiting == 0 and side.failed == 0 for side in report.sides.values()), summary


def test_five_flows_converge_and_then_stay_quiet_through_edits_on_both_sides(peers: RealPeers) -> None:
    config = peers.config
    store = Store(config.state.url)
    connectors = peers.connectors()
    erp, crm = connectors["erp"], connectors["crm"]
    try:
        seed.seed_masters(erp, crm)
        converge(config, store, connectors)
        seed.seed_sales(crm, peers.crm_server)  # an accepted estimate and a case
        converge(config, store, connectors)
        assert_quiet(config, store, connectors)

        # the accepted estimate is exactly one confirmed Tryton sale, whose status came back
        [order] = [p for page in erp.read_changes("sales_order", None) for p in page.records]
        assert order.data["state"] in ("confirmed", "processing")
        [estimate] = [r for page in crm.read_changes("sales_order", None) for r in page.records]
        assert estimate.data["erp"]["erp_order_number"] == order.data["number"]

        # edits: a price in Tryton, a complaint in Tryton on that sale, a contact in BottleCRM,
        # and the same customer renamed differently on both sides (one conflict, held)
        product_id = seed.find_id(erp, "product", "code", "PMP-100")
        seed.write_all(
            erp, "product", [WriteRequest("update", "p", {"list_price": Decimal("1299.50")}, product_id)]
        )
        customer_id = order.data["party"]
        complaint = {
            "customer": customer_id,
            "reference": "Sensor reading drifts / 传感器漂移",
            "description": "PT100 shows +3 K.",
            "origin": {"model": "sale.sale", "id": order.id},
        }
        seed.write_all(erp, "complaint", [WriteRequest("create", "c", complaint)])
        add_crm_contact(crm)
        seed.edit_both_sides(erp, crm)

        converge(config, store, connectors)
        assert store.count_conflicts(flow="customers") == 1
        assert_quiet(config, store, connectors)

        products = {r.data["sku"]: r.data for p in crm.read_changes("product", None) for r in p.records}
        assert Decimal(str(products["PMP-100"]["price"])) == Decimal("1299.50")
        cases = [r.data for p in crm.read_changes("complaint", None) for r in p.records]
        assert [c["name"] for c in cases].count("Sensor reading drifts / 传感器漂移") == 1
    finally:
        for connector in connectors.values():
            connector.close()
        store.close()

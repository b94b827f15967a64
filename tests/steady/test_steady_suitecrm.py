"""Steady state on real servers, Tryton (ERP) <-> SuiteCRM (CRM): the five flows converge, an accepted
quote becomes exactly one confirmed Tryton sale whose number and status come back onto the quote, a
two-sided edit opens exactly one conflict, and three further runs of every flow write nothing.
"""

from __future__ import annotations

from decimal import Decimal

import tests.steady.test_steady_state as steady
from connectors.base import WriteRequest
from sync_engine.store import Store
from synchub_dev.demo import scenario, seed
from tests.steady.conftest import RealPeers


def test_tryton_and_suitecrm_converge_and_stay_quiet_through_edits_on_both_sides(
    suitecrm_peers: RealPeers,
) -> None:
    config = suitecrm_peers.config
    store = Store(config.state.url)
    connectors = suitecrm_peers.connectors()
    erp, crm = connectors["erp"], connectors["crm"]
    try:
        seed.seed_masters(erp, crm)
        steady.converge(config, store, connectors)
        accounts = {r.data["name"]: r.data for p in crm.read_changes("customer", None) for r in p.records}
        expected = {p["name"] for p in scenario.ERP_PARTIES} | {a["name"] for a in scenario.SUITECRM_ACCOUNTS}
        assert expected <= set(accounts)  # (and Tryton's company party)
        seed.seed_sales(crm, None)  # a quote marked "Closed Accepted" and a case
        steady.converge(config, store, connectors)
        steady.assert_quiet(config, store, connectors)

        # the accepted quote is exactly one confirmed Tryton sale, whose number and status came back
        [order] = [r for page in erp.read_changes("sales_order", None) for r in page.records]
        assert order.data["state"] in ("confirmed", "processing")
        [quote] = [r for page in crm.read_changes("sales_order", None) for r in page.records]
        assert quote.data["synchub_order_number_c"] == order.data["number"]
        assert quote.data["synchub_order_status_c"] in ("confirmed", "processing")
        assert [line["product_qty"] for line in quote.data["lines"]] == ["2", "10"]
        [case] = [r.data for p in erp.read_changes("complaint", None) for r in p.records]
        assert case["reference"] == scenario.SUITECRM_COMPLAINT["name"]

        # edits: a price and a complaint on that sale in Tryton, a contact in SuiteCRM, and one
        # customer renamed differently on both sides (one conflict, held)
        product_id = seed.find_id(erp, "product", "code", "PMP-100")
        seed.write_all(
            erp, "product", [WriteRequest("update", "p", {"list_price": Decimal("1299.50")}, product_id)]
        )
        complaint = {
            "customer": order.data["party"],
            "reference": "Sensor reading drifts / 传感器漂移",
            "description": "PT100 shows +3 K.",
            "origin": {"model": "sale.sale", "id": order.id},
        }
        seed.write_all(erp, "complaint", [WriteRequest("create", "c", complaint)])
        account = seed.find_id(crm, "customer", "name", scenario.QUOTE_CUSTOMER)
        [current] = crm.read_by_ids("customer", [account])
        wang = {"first_name": "美玲", "last_name": "王", "email1": "wang@example.cn",
                "phone_work": "+86 10 1", "title": "采购"}  # fmt: skip
        contacts = [{k: v for k, v in c.items() if k != "id"} for c in current.data["contacts"]]
        seed.write_all(
            crm, "customer", [WriteRequest("update", "a", {"contacts": [*contacts, wang]}, account)]
        )
        seed.edit_both_sides(erp, crm)

        steady.converge(config, store, connectors)
        assert store.count_conflicts(flow="customers") == 1
        steady.assert_quiet(config, store, connectors)

        products = {
            r.data["part_number"]: r.data for p in crm.read_changes("product", None) for r in p.records
        }
        assert Decimal(products["PMP-100"]["price"]) == Decimal("1299.50")
        cases = [r.data for p in crm.read_changes("complaint", None) for r in p.records]
        assert [c["name"] for c in cases].count("Sensor reading drifts / 传感器漂移") == 1
        [party] = [r.data for p in erp.read_changes("customer", None) for r in p.records
                   if r.data["name"] == scenario.QUOTE_CUSTOMER]  # fmt: skip
        assert "wang@example.cn" in [c.get("email") for c in party["contacts"]]
    finally:
        for connector in connectors.values():
            connector.close()
        store.close()

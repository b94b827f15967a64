"""End to end: the Odoo emulator (ERP; JSON-2 on 19, XML-RPC on 17) <-> a real BottleCRM, the five
flows of the demo.

Customers both ways, products and costs Odoo -> CRM, an accepted BottleCRM estimate -> exactly one
confirmed Odoo order whose number and state come back, complaints both ways. Then edits on both
sides; each time the flows converge and three further runs of every flow write nothing. A run
killed with kill -9 in the middle of its writes, rerun, leaves no duplicate.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.base import WriteRequest
from sync_engine.flows import run_flow
from sync_engine.store import Store
from synchub_dev.demo import scenario, seed
from tests.odoo_e2e.conftest import OdooPeers
from tests.odoo_e2e.masters import invoice_in_odoo, seed_masters, sync_masters
from tests.steady.steps import add_crm_contact, killed_customers_run
from tests.steady.test_steady_state import assert_quiet, converge

# CRM-only accounts (BottleCRM shape), in countries Odoo has
CRM_ACCOUNTS: list[dict[str, Any]] = [
    {
        "name": name,
        "currency": "EUR",
        "is_active": True,
        "addresses": [
            {"address_line": street, "postcode": zip_code, "city": city, "state": None, "country": country}
        ],
        "contacts": [
            {"first_name": first, "last_name": last, "email": email, "phone": phone, "title": "Buyer"}
        ],
    }
    for name, street, zip_code, city, country, first, last, email, phone in (
        ("Rheinische Logistik GmbH", "Rheinuferstraße 2", "40213", "Düsseldorf", "DE",
         "Max", "Becker", "max.becker@rh-logistik.de", "+49 211 123456"),
        ("Atelier Géraud & Fils", "8 quai des Chartrons", "33000", "Bordeaux", "FR",
         "Géraud", "Lambert", "geraud@atelier-geraud.fr", "+33 5 56000000"),
        ("Amsterdamse Handel B.V.", "Damrak 1", "1012 LG", "Amsterdam", "NL",
         "Sanne", "de Vries", "sanne@ams-handel.nl", "+31 20 1234567"),
    )
]  # fmt: skip


def test_a_run_killed_mid_write_reruns_without_duplicates_in_odoo(odoo_peers: OdooPeers) -> None:
    """Accounts made in BottleCRM, synced to Odoo by a run that kill -9s itself after its second batch
    (first in the module: the systems hold nothing else yet)."""
    peers = odoo_peers
    connectors = peers.connectors()
    crm = connectors["crm"]
    names = [f"Kill -9 Probe {i:02d} / 试验 {i} 50%_x" for i in range(12)]
    accounts = [{"name": n, "currency": "EUR", "is_active": True} for n in names]
    seed.write_all(
        crm, "customer", [WriteRequest("create", n, a) for n, a in zip(names, accounts, strict=True)]
    )
    try:
        config = killed_customers_run(peers)
        in_odoo = [
            r["name"] for r in peers.odoo.rows("res.partner").values() if str(r["name"]).startswith("Kill -9")
        ]
        assert 0 < len(in_odoo) < len(names), "the run died with part of the accounts written to Odoo"

        store = Store(config.state.url)
        try:
            report = run_flow(config, "customers", store, connectors=connectors)
            assert report.status == "success", report.as_dict()
            again = run_flow(config, "customers", store, connectors=connectors)
            assert again.writes == 0, again.as_dict()
        finally:
            store.close()
        in_odoo = [
            r["name"] for r in peers.odoo.rows("res.partner").values() if str(r["name"]).startswith("Kill -9")
        ]
        assert sorted(in_odoo) == sorted(names), "each account exactly once in Odoo"
        crm_names = [r.data["name"] for p in crm.read_changes("customer", None) for r in p.records]
        assert sorted(n for n in crm_names if n.startswith("Kill -9")) == sorted(names), (
            "and once in BottleCRM"
        )
    finally:
        for connector in connectors.values():
            connector.close()


def test_five_flows_with_odoo_converge_and_stay_quiet_through_edits_on_both_sides(
    odoo_peers: OdooPeers,
) -> None:
    peers = odoo_peers
    config = peers.config
    store = Store(config.state.url)
    seed_masters(peers, CRM_ACCOUNTS)
    connectors = peers.connectors()
    erp, crm = connectors["erp"], connectors["crm"]
    try:
        sync_masters(peers, CRM_ACCOUNTS, store, connectors)

        made = seed.seed_sales(crm, peers.crm_server)  # an accepted estimate and a case
        converge(config, store, connectors)
        assert_quiet(config, store, connectors)

        # the accepted estimate is exactly one confirmed Odoo order, whose number and state came back
        [(order_number, order_row)] = peers.odoo.rows("sale.order").items()
        orders = [order_row]
        assert order_row["state"] == "sale", order_row
        [estimate] = [r for page in crm.read_changes("sales_order", None) for r in page.records]
        assert orders[0]["client_order_ref"] == estimate.data["estimate_number"]
        assert estimate.data["erp"]["erp_order_number"] == orders[0]["name"]
        # the status the estimate's default asked for is written there once Odoo holds it
        assert estimate.data["erp"].get("erp_order_status") == "confirmed", estimate.data["erp"]
        assert estimate.data["erp"].get("erp_invoice_status") == "none", estimate.data["erp"]
        assert [m for _, model, m in peers.odoo.calls if model == "sale.order"].count("action_confirm") == 1
        tasks = [
            r for r in peers.odoo.rows("project.task").values() if r["name"] == scenario.COMPLAINT["name"]
        ]
        assert len(tasks) == 1 and tasks[0]["priority"] == "1", "the CRM case is one Odoo complaint task"

        # edits: a price in Odoo, a complaint in Odoo on that order, a contact in BottleCRM,
        # and the same customer renamed differently on both sides (one conflict, held)
        # the price is changed on Odoo's product form, which writes the template alone
        product_id = seed.find_id(erp, "product", "default_code", "PMP-100")
        template = peers.odoo.row("product.product", int(product_id))["product_tmpl_id"]
        peers.odoo.call("product.template", "write", [template], {"list_price": 1299.50})
        order_id = str(order_number)
        complaint = {
            "name": "Sensor reading drifts / 传感器漂移",
            "description": 'PT100 shows +3 K.\n"Kalibrierung" 100% nötig',
            "partner_id": str(orders[0]["partner_id"]),
            "sale_order_id": order_id,
            "stage": "New",
            "priority": "0",
        }
        seed.write_all(erp, "complaint", [WriteRequest("create", "c", complaint)])
        add_crm_contact(crm)
        seed.edit_both_sides(erp, crm)
        invoice_in_odoo(peers, order_number)

        converge(config, store, connectors)
        assert store.count_conflicts(flow="customers") == 1
        assert_quiet(config, store, connectors)

        products = {r.data["sku"]: r.data for p in crm.read_changes("product", None) for r in p.records}
        assert Decimal(str(products["PMP-100"]["price"])) == Decimal("1299.50")
        [estimate] = [r for page in crm.read_changes("sales_order", None) for r in page.records]
        assert estimate.data["erp"]["erp_invoice_status"] == "invoiced", estimate.data["erp"]
        cases = [r.data for p in crm.read_changes("complaint", None) for r in p.records]
        assert [c["name"] for c in cases].count("Sensor reading drifts / 传感器漂移") == 1
        [task] = [
            r for r in peers.odoo.rows("project.task").values() if r["name"].startswith("Sensor reading")
        ]
        assert task["sale_order_id"] == order_number
        [huaxin] = [
            r
            for p in erp.read_changes("customer", None)
            for r in p.records
            if r.data["name"] == scenario.QUOTE_CUSTOMER
        ]
        assert "美玲 王" in [c["name"] for c in huaxin.data["contacts"]]
        assert len(peers.odoo.rows("sale.order")) == 1, "no second order however often the flows ran"
        assert made["quote"]
    finally:
        for connector in connectors.values():
            connector.close()
        store.close()

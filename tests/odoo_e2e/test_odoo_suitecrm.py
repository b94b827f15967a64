"""End to end: the Odoo emulator (ERP, JSON-2 as Odoo 19) <-> a real SuiteCRM, the five flows of the
demo: customers both ways, products and costs Odoo -> SuiteCRM, a quote marked won in SuiteCRM ->
exactly one confirmed Odoo order whose number and status come back onto the quote, complaints both
ways; then edits on both sides (one held conflict), and three further runs of every flow write nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.base import WriteRequest
from sync_engine.store import Store
from synchub_dev.demo import scenario, seed
from tests.odoo_e2e.conftest import OdooPeers
from tests.odoo_e2e.masters import invoice_in_odoo, seed_masters, sync_masters
from tests.steady.test_steady_state import assert_quiet, converge

# CRM-only accounts in SuiteCRM's shape, in countries Odoo has
SUITECRM_ACCOUNTS: list[dict[str, Any]] = [
    {
        "name": name,
        "addresses": [
            {"kind": "billing", "street": street, "postalcode": zip_code, "city": city, "state": None,
             "country": country}
        ],
        "contacts": [
            {"first_name": first, "last_name": last, "email1": email, "phone_work": phone, "title": "Buyer"}
        ],
    }
    for name, street, zip_code, city, country, first, last, email, phone in (
        ("Rheinische Logistik GmbH", "Rheinuferstraße 2", "40213", "Düsseldorf", "DE",
         "Max", "Becker", "max.becker@rh-logistik.de", "+49 211 123456"),
        ("Atelier Géraud & Fils", "8 quai des Chartrons", "33000", "Bordeaux", "FR",
         "Géraud", "Lambert", "geraud@atelier-geraud.fr", "+33 5 56000000"),
    )
]  # fmt: skip
WANG = {
    "first_name": "美玲",
    "last_name": "王",
    "email1": "wang@example.cn",
    "phone_work": "+86 10 1",
    "title": "采购",
}


def test_odoo_and_suitecrm_converge_and_stay_quiet_through_edits_on_both_sides(
    odoo_suitecrm_peers: OdooPeers,
) -> None:
    peers = odoo_suitecrm_peers
    config = peers.config
    store = Store(config.state.url)
    seed_masters(peers, SUITECRM_ACCOUNTS)
    connectors = peers.connectors()
    erp, crm = connectors["erp"], connectors["crm"]
    try:
        sync_masters(peers, SUITECRM_ACCOUNTS, store, connectors)

        seed.seed_sales(crm, None)  # a quote marked "Closed Accepted" and a case
        converge(config, store, connectors)
        assert_quiet(config, store, connectors)

        # the won quote is exactly one confirmed Odoo order, whose number and status came back
        [(order_number, order)] = peers.odoo.rows("sale.order").items()
        assert order["state"] == "sale"
        assert [m for _, model, m in peers.odoo.calls if model == "sale.order"].count("action_confirm") == 1
        [quote] = [r for page in crm.read_changes("sales_order", None) for r in page.records]
        assert quote.data["synchub_order_number_c"] == order["name"]
        # the status the quote's default asked for is written there once Odoo holds it
        assert quote.data["synchub_order_status_c"] == "confirmed", quote.data
        assert quote.data["synchub_invoice_status_c"] == "none", quote.data
        tasks = [
            r for r in peers.odoo.rows("project.task").values() if r["name"] == scenario.COMPLAINT["name"]
        ]
        assert len(tasks) == 1, "the SuiteCRM case is one Odoo complaint task"

        # edits: a price on Odoo's product form (the template), a complaint in Odoo on that order, a
        # contact in SuiteCRM, and one customer renamed differently on both sides (one conflict, held)
        product_id = seed.find_id(erp, "product", "default_code", "PMP-100")
        template = peers.odoo.row("product.product", int(product_id))["product_tmpl_id"]
        peers.odoo.call("product.template", "write", [template], {"list_price": 1299.50})
        complaint = {
            "name": "Sensor reading drifts / 传感器漂移",
            "description": "PT100 shows +3 K.",
            "partner_id": str(order["partner_id"]),
            "sale_order_id": str(order_number),
            "stage": "New",
            "priority": "0",
        }
        seed.write_all(erp, "complaint", [WriteRequest("create", "c", complaint)])
        account = seed.find_id(crm, "customer", "name", scenario.QUOTE_CUSTOMER)
        [current] = crm.read_by_ids("customer", [account])
        contacts = [{k: v for k, v in c.items() if k != "id"} for c in current.data["contacts"]]
        seed.write_all(
            crm, "customer", [WriteRequest("update", "a", {"contacts": [*contacts, WANG]}, account)]
        )
        seed.edit_both_sides(erp, crm)
        invoice_in_odoo(peers, order_number)

        converge(config, store, connectors)
        assert store.count_conflicts(flow="customers") == 1
        assert_quiet(config, store, connectors)

        products = {
            r.data["part_number"]: r.data for p in crm.read_changes("product", None) for r in p.records
        }
        assert Decimal(products["PMP-100"]["price"]) == Decimal("1299.50")
        [quote] = [r for page in crm.read_changes("sales_order", None) for r in page.records]
        assert quote.data["synchub_invoice_status_c"] == "invoiced", "the invoice status came back"
        cases = [r.data for p in crm.read_changes("complaint", None) for r in p.records]
        assert [c["name"] for c in cases].count("Sensor reading drifts / 传感器漂移") == 1
        [huaxin] = [
            r.data for p in erp.read_changes("customer", None) for r in p.records
            if r.data["name"] == scenario.QUOTE_CUSTOMER
        ]  # fmt: skip
        assert "wang@example.cn" in [c["email"] for c in huaxin["contacts"]]
        assert len(peers.odoo.rows("sale.order")) == 1, "no second order however often the flows ran"
    finally:
        for connector in connectors.values():
            connector.close()
        store.close()

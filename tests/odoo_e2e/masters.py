"""What the Odoo end-to-end tests start with: Odoo-native companies, products and costs (countries
the emulator has, VAT numbers base_vat takes), written through the connector."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.base import Connector, WriteRequest
from sync_engine.store import Store
from synchub_dev.demo import seed
from tests.odoo_e2e.conftest import OdooPeers
from tests.steady.test_steady_state import converge

# Odoo-native masters: what the company keeps in Odoo (countries the emulator knows, VATs base_vat takes)
COMPANIES: list[dict[str, Any]] = [
    {
        "name": name,
        "vat": vat,
        "addresses": [{"street": street, "zip": zip_code, "city": city, "country": country}],
        "credit_limit": Decimal(limit) if limit else None,
        "property_payment_term_id": term,
        "contacts": [{"name": contact, "email": email, "phone": phone, "function": "Einkauf"}],
    }
    for name, vat, street, zip_code, city, country, limit, term, contact, email, phone in (
        ("Müller Maschinenbau GmbH", "DE811234561", "Industriestraße 12", "70565", "Stuttgart", "DE",
         "25000", "30 Days", "Jürgen Müller", "j.mueller@mueller-maschinen.de", "+49 711 123450"),
        ("Société Générale d'Équipement", "FR23334175221", "12 rue de la Paix", "75002", "Paris", "FR",
         None, "15 Days", "Hélène Dubois", "h.dubois@sge.fr", "+33 1 42000000"),
        ("北京华信科技有限公司", None, "朝阳区建国路88号", "100022", "北京", None,
         "100000", "End of Following Month", "王 伟", "wang.wei@huaxin.cn", "+86 10 65000001"),
        ("Brasserie 50%_Dupont \"L'Abbaye\"", "BE0477472701", "Rue Haute 1", "1000", "Bruxelles", "BE",
         None, None, "Anne Dupont", "anne@dupont.be", "+32 2 1234567"),
    )
]  # fmt: skip
PRODUCTS: list[dict[str, Any]] = [
    {"default_code": code, "name": name, "uom": uom, "list_price": Decimal(price), "type": "consu"}
    for code, name, uom, price in (
        ("PMP-100", "Kreiselpumpe KP-100", "Units", "1250.00"),
        ("SEN-T20", "温度传感器 PT100", "Units", "78.90"),
        ("SRV-HR", "Service technician (hour)", "Hours", "95.00"),
        ("LUB-5KG", "Schmierfett 5 kg", "kg", "12.40"),
    )
]
COSTS = {"PMP-100": "812.50", "SEN-T20": "31.25", "SRV-HR": "52.00", "LUB-5KG": "6.05"}


def seed_masters(peers: OdooPeers, accounts: list[dict[str, Any]]) -> None:
    """Companies, products and costs into Odoo, CRM-only accounts (the CRM's shape) into the CRM."""
    connectors = peers.connectors()
    erp, crm = connectors["erp"], connectors["crm"]
    try:
        seed.write_all(erp, "customer", [WriteRequest("create", c["name"], c) for c in COMPANIES])
        ids = seed.write_all(erp, "product", [WriteRequest("create", p["default_code"], p) for p in PRODUCTS])
        costs = [
            WriteRequest(
                "update", p["default_code"], {"standard_price": Decimal(COSTS[p["default_code"]])}, i
            )
            for p, i in zip(PRODUCTS, ids, strict=True)
        ]
        seed.write_all(erp, "product_cost", costs)
        seed.write_all(crm, "customer", [WriteRequest("create", a["name"], a) for a in accounts])
    finally:
        for connector in connectors.values():
            connector.close()


def sync_masters(
    peers: OdooPeers, accounts: list[dict[str, Any]], store: Store, connectors: dict[str, Connector]
) -> None:
    """The first runs: every Odoo company reaches the CRM and every CRM account Odoo."""
    converge(peers.config, store, connectors)
    crm_names = {r.data["name"] for p in connectors["crm"].read_changes("customer", None) for r in p.records}
    assert {c["name"] for c in COMPANIES} <= crm_names
    erp_names = {r.data["name"] for p in connectors["erp"].read_changes("customer", None) for r in p.records}
    assert {a["name"] for a in accounts} <= erp_names


def invoice_in_odoo(peers: OdooPeers, order: int) -> None:
    """A person invoices the whole order in Odoo: its invoice status moves to "invoiced"."""
    for line, row in peers.odoo.rows("sale.order.line").items():
        if row["order_id"] == order:
            peers.odoo.call("sale.order.line", "write", [line], {"qty_invoiced": row["product_uom_qty"]})

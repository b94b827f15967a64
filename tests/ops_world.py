"""A small company synced between two in-memory systems, for the ops page and the margin report.

Customers, products, sales orders and costs in the ERP (numbers from the demo's catalogue), synced to
the CRM by real runs of the engine, so the state store holds what it holds in production: links,
snapshots, runs, conflicts and dead letters. Margins by hand (EUR, confirmed/processing/done only):

| order   | customer              | lines                                   | revenue | cost    |
|---------|-----------------------|-----------------------------------------|---------|---------|
| SO-1001 | 北京华信科技有限公司  | 2 x PMP-100 @ 1250, 10 x SEN-T20 @ 78.90 | 3289.00 | 1937.50 |
| SO-1002 | Müller Maschinenbau   | 1 x PMP-100 @ 1200, 20 x GSK-KIT @ 24.90 | 1698.00 |  987.50 |
| SO-1003 | Müller Maschinenbau   | draft: not a sale                       |       - |       - |
| SO-1004 | Acme Industrial Corp. | 4 x GSK-KIT @ 25 (actual cost 9.10)     |  100.00 |   36.40 |

Costs: PMP-100 812.50, SEN-T20 31.25, GSK-KIT 8.75 (its actual cost on SO-1004: 9.10).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from connectors.memory import MemoryDatabase
from sync_engine.config import Config, load_config
from sync_engine.flows import run_flow
from sync_engine.report import RunReport
from sync_engine.retrying import RetryPolicy
from sync_engine.store import Store
from tests.memory_samples import native_customer

REPO = Path(__file__).resolve().parents[1]
FAST_RETRY = RetryPolicy(attempts=2, initial_wait=0.001, max_wait=0.01)

CUSTOMERS = {
    "beijing": ("北京华信科技有限公司", "91110000100000001A"),
    "mueller": ("Müller Maschinenbau GmbH", "DE811234561"),
    "acme": ("Acme Industrial Corp.", "US12-3456789"),
}
PRODUCTS = {  # code: (title, list price, cost)
    "PMP-100": ("Kreiselpumpe KP-100", 1250.0, 812.5),
    "SEN-T20": ("温度传感器 PT100", 78.9, 31.25),
    "GSK-KIT": ("Joint d'étanchéité (kit)", 24.9, 8.75),
}
ORDERS = {  # number: (customer, state, [(product, qty, price)])
    "SO-1001": ("beijing", "processing", [("PMP-100", "2", "1250.00"), ("SEN-T20", "10", "78.90")]),
    "SO-1002": ("mueller", "confirmed", [("PMP-100", "1", "1200.00"), ("GSK-KIT", "20", "24.90")]),
    "SO-1003": ("mueller", "draft", [("SEN-T20", "5", "80.00")]),
    "SO-1004": ("acme", "done", [("GSK-KIT", "4", "25.00")]),
}
ACTUAL_COSTS = [("SO-1004", "GSK-KIT", 9.10, "4")]  # (order, product, unit cost, quantity)
EXPECTED_BY_CUSTOMER = {  # name: (revenue, cost, margin, margin %)
    "北京华信科技有限公司": (Decimal("3289"), Decimal("1937.5"), Decimal("1351.5"), Decimal("41.09")),
    "Müller Maschinenbau GmbH": (Decimal("1698"), Decimal("987.5"), Decimal("710.5"), Decimal("41.84")),
    "Acme Industrial Corp.": (Decimal("100"), Decimal("36.4"), Decimal("63.6"), Decimal("63.60")),
}
ERP_URL = "https://erp.example/{entity}/{id}"
CRM_URL = "https://crm.example/{entity}/{id}"


class OpsWorld:
    """The process's memory systems ``erp`` and ``crm`` (emptied first), a config with four flows and
    a migrated store."""

    def __init__(self, root: Path) -> None:
        MemoryDatabase.forget("erp")
        MemoryDatabase.forget("crm")
        doc = {
            "version": 1,
            "state": {"url": f"sqlite:///{root / 'state.db'}"},
            "mappings_dir": str(REPO / "mappings"),
            "systems": {
                "erp": {"connector": "memory", "options": {"record_url": ERP_URL}},
                "crm": {
                    "connector": "memory",
                    "options": {
                        "record_url": CRM_URL,
                        "change_tracking": "none",  # like BottleCRM: no change marker
                        "rules": {"customer": {"max_length": {"vat_number": 20}}},  # a dead letter on demand
                    },
                },
            },
            "flows": {
                "customers": {
                    "entity": "customer",
                    "erp": "erp",
                    "crm": "crm",
                    "match_keys": [["tax_id"]],
                    "conflict_policy": "manual",
                },
                "products": {
                    "entity": "product",
                    "erp": "erp",
                    "crm": "crm",
                    "direction": "erp_to_crm",
                    "match_keys": [["sku"]],
                },
                "orders": {
                    "entity": "sales_order",
                    "erp": "erp",
                    "crm": "crm",
                    "direction": "erp_to_crm",
                    "depends_on": ["customers", "products"],
                },
                "costs": {
                    "entity": "product_cost",
                    "erp": "erp",
                    "crm": "crm",
                    "direction": "erp_to_crm",
                    "depends_on": ["products", "orders"],
                },
            },
        }
        self.config_path = root / "synchub.yaml"
        self.config_path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        self.config: Config = load_config(self.config_path)
        self.store = Store(self.config.state.url)
        self.store.upgrade()
        self.erp = MemoryDatabase.named("erp")
        self.crm = MemoryDatabase.named("crm")
        self.ids: dict[str, str] = {}

    def close(self) -> None:
        self.store.close()
        MemoryDatabase.forget("erp")
        MemoryDatabase.forget("crm")

    # -- data --------------------------------------------------------------------------------------
    def seed(self) -> None:
        for key, (name, vat) in CUSTOMERS.items():
            self.ids[key] = self.erp.put("customer", None, native_customer(name, vat))
        for code, (title, price, _) in PRODUCTS.items():
            self.ids[code] = self.erp.put(
                "product",
                None,
                {
                    "code": code,
                    "title": title,
                    "notes": None,
                    "uom": "PCE",
                    "price": price,
                    "price_currency": "EUR",
                    "is_active": True,
                },
            )
        for number, (customer, state, lines) in ORDERS.items():
            self.ids[number] = self.erp.put(
                "sales_order",
                None,
                {
                    "order_no": number,
                    "customer_ref": self.ids[customer],
                    "quote_ref": None,
                    "quote_no": None,
                    "state": state,
                    "shipping": "none",
                    "billing": "none",
                    "currency": "EUR",
                    "ordered_on": "2026-10-01",
                    "total": None,
                    "lines": [_line(self.ids[p], q, price) for p, q, price in lines],
                },
            )
        for code, (_, _, cost) in PRODUCTS.items():
            self.erp.put("product_cost", None, _cost(self.ids[code], cost, "STD"))
        for order, code, cost, qty in ACTUAL_COSTS:
            self.erp.put("product_cost", None, _cost(self.ids[code], cost, "ACT", self.ids[order], qty))

    def run(self, flow: str) -> RunReport:
        return run_flow(self.config, flow, self.store, retry=FAST_RETRY)

    def run_all(self) -> None:
        for flow in ("customers", "products", "orders", "costs"):
            report = self.run(flow)
            assert report.status in ("success", "partial"), report

    def crm_customer_id(self, name: str) -> str:
        (found,) = [i for i, c in self.crm.all("customer").items() if c["company"]["name"] == name]
        return found

    def rename_on_both_sides(self, key: str, erp_name: str, crm_name: str) -> None:
        """Both systems rename one customer differently: the next customers run opens a conflict."""
        crm_id = self.crm_customer_id(CUSTOMERS[key][0])
        self.erp.patch("customer", self.ids[key], {"company": {"name": erp_name, "legal_form": "GmbH"}})
        self.crm.patch("customer", crm_id, {"company": {"name": crm_name, "legal_form": "GmbH"}})


def _line(product: str, qty: str, price: str) -> dict[str, Any]:
    return {"product_ref": product, "text": None, "qty": qty, "price": price, "shipped": None}


def _cost(
    product: str, cost: float, method: str, order: str | None = None, qty: str | None = None
) -> dict[str, Any]:
    return {
        "product_ref": product,
        "cost": cost,
        "cost_method": method,
        "valid_from": "2026-09-01",
        "order_ref": order,
        "qty": qty,
    }

"""Kill ``synchub run orders`` while SAP saves the order, run again: exactly one SAP order.

The run is a real process (the ``synchub`` command) against the SAP emulator in this process; the
emulator kills it with SIGKILL after saving the order and before answering, the worst moment: SAP
has the order, SyncHub never heard of it. The rerun must find that order instead of creating a
second one (SAP will not store SyncHub's id on an order; the connector finds it by customer
reference), and link it so later runs write nothing.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from connectors.base import ConnectionSettings, WriteRequest
from connectors.memory import MemoryConnector, MemoryDatabase
from sync_engine.config import load_config
from sync_engine.flows import run_flow
from sync_engine.store import Store
from tests.emulators.sap import SapEmulator
from tests.salesforce.e2e_helpers import FAST_RETRY, MAPPINGS, check_run
from tests.sap.conftest import contracts_dir
from tests.sap.sap_data import BP, ORDERS, PRODUCT_SRV, customer, product

SHOP = "crashshop"  # the CRM: an in-memory system persisted to a file both processes read
FLOWS: dict[str, Any] = {
    "customers": {
        "entity": "customer",
        "erp": "sap",
        "crm": SHOP,
        "direction": "both",
        "match_keys": [["name"]],
    },
    "products": {
        "entity": "product",
        "erp": "sap",
        "crm": SHOP,
        "direction": "erp_to_crm",
        "match_keys": [["sku"]],
    },
    "orders": {
        "entity": "sales_order",
        "erp": "sap",
        "crm": SHOP,
        "direction": "both",
        "match_keys": [["quote_reference"]],
        "field_owners": {
            **dict.fromkeys(("number", "status", "delivery_status", "invoice_status", "total"), "erp"),
            **dict.fromkeys(("customer_id", "quote_reference", "currency", "order_date", "lines"), "crm"),
        },
        "depends_on": ["customers", "products"],
    },
}


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SapEmulator, Path]]:
    MemoryDatabase.forget(SHOP)
    with SapEmulator(contracts_dir()) as sap:
        uri = f"sap-s4hana://{sap.user}:{quote(sap.password)}@127.0.0.1:{sap.port}?scheme=http&sap_client=100"
        monkeypatch.setenv("SYNCHUB_CONN_SAP_TEST", uri)
        doc = {
            "version": 1,
            "state": {"url": f"sqlite:///{tmp_path / 'state.db'}"},
            "mappings_dir": str(MAPPINGS),
            "systems": {
                "sap": {"connector": "sap_s4hana", "connection": "sap_test"},
                SHOP: {"connector": "memory", "options": {"path": str(tmp_path / "shop.json")}},
            },
            "flows": FLOWS,
        }
        (tmp_path / "synchub.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        yield sap, tmp_path
    MemoryDatabase.forget(SHOP)


def run(root: Path, flow: str) -> Any:
    config = load_config(root / "synchub.yaml")
    store = Store(config.state.url)
    store.upgrade()
    try:
        return check_run(run_flow(config, flow, store, retry=FAST_RETRY), store)
    finally:
        store.close()


def test_a_run_killed_while_sap_saves_the_order_then_rerun_leaves_exactly_one_order(
    world: tuple[SapEmulator, Path],
) -> None:
    sap, root = world
    sap.seed(BP, "A_BusinessPartner", customer("Käufer AG"))
    sap.seed(PRODUCT_SRV, "A_Product", product("PUMP-1", "Kreiselpumpe"))
    run(root, "customers")
    run(root, "products")

    # The salesperson's accepted quote, as the shop's order.
    shop = MemoryConnector(
        ConnectionSettings(conn_type="memory", host=SHOP), {"path": str(root / "shop.json")}
    )
    [buyer] = MemoryDatabase.named(SHOP).all("customer")
    [item] = MemoryDatabase.named(SHOP).all("product")
    quote_no = "EST-2026-0042"
    line = {"product_ref": item, "text": "Kreiselpumpe", "qty": "3", "price": "12.50", "shipped": None}
    shop_order = {
        "customer_ref": buyer,
        "quote_no": quote_no,
        "state": "confirmed",
        "currency": "EUR",
        "shipping": "none",
        "billing": "none",
    }
    [made] = shop.write_batch(
        "sales_order",
        [WriteRequest("create", "seed", {**shop_order, "ordered_on": "2026-03-01", "lines": [line]})],
    )
    assert made.ok, made.error

    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from sync_engine.cli import main; main()",
            "run",
            "orders",
            "-c",
            str(root / "synchub.yaml"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1"},
    )

    def kill_the_run(service: str, entity_set: str, record: dict[str, Any]) -> None:
        if (service, entity_set) == (ORDERS, "A_SalesOrder"):
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)

    sap.on_created = kill_the_run
    output, _ = process.communicate(timeout=180)
    sap.on_created = None
    assert process.returncode == -signal.SIGKILL, output.decode(errors="replace")[-2000:]
    [saved] = sap.rows(ORDERS, "A_SalesOrder")  # SAP has the order; SyncHub recorded nothing of it
    state = root / "state.db"
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT count(*) FROM links WHERE flow = 'orders'").fetchone() == (0,)
        # The killed run still holds the flow's lock; the rerun takes it over (its holder is gone).
        [(holder,)] = db.execute("SELECT holder FROM flow_locks WHERE flow = 'orders'").fetchall()
        assert str(process.pid) in holder

    rerun = run(root, "orders")
    assert rerun.sides["erp"].created == 0, rerun.as_dict()
    [order] = sap.rows(ORDERS, "A_SalesOrder")
    assert order["SalesOrder"] == saved["SalesOrder"] and order["PurchaseOrderByCustomer"] == quote_no
    [ours] = MemoryDatabase.named(SHOP).all("sales_order").values()
    assert ours["order_no"] == order["SalesOrder"]  # SAP's number reached the shop

    for _ in range(3):
        assert run(root, "orders").writes == 0
    assert len(sap.rows(ORDERS, "A_SalesOrder")) == 1

"""Issue 9: SAP S/4HANA (emulator, ERP) and a real BottleCRM server (CRM) through the real engine.

Customers both ways; products SAP -> BottleCRM; an estimate the customer accepts in BottleCRM becomes
exactly one SAP sales order, whose status flows back into the estimate's ``erp_*`` fields. The flows
run in ``depends_on`` order, as ``synchub run --all`` runs them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.base import ConnectionSettings, Connector, WriteRequest
from connectors.bottlecrm import BottleCrmConnector
from connectors.sap_s4hana import SapS4HanaConnector
from sync_engine.config import Config
from sync_engine.flows import flow_order, run_flow
from sync_engine.mapping import load_mapping
from sync_engine.mapping.context import PreviewContext
from sync_engine.report import RunReport
from sync_engine.store import Store
from synchub_dev.peers.bottlecrm import BottleCrmInstance, BottleCrmPeer
from synchub_dev.peers.process import PeerError
from tests.emulators.sap import SapEmulator
from tests.salesforce.e2e_helpers import (
    FAST_RETRY,
    MAPPINGS,
    assert_same_records,
    by_key,
    canonical_records,
    check_run,
    open_store,
    shared_fields,
    unavailable,
    write_config,
)
from tests.sap.conftest import connection_for, contracts_dir

VALVE = "Kugelhahn DN50 Edelstahl ステンレス"
BP, PRODUCT_SRV, ORDERS = "API_BUSINESS_PARTNER", "API_PRODUCT_SRV", "API_SALES_ORDER_SRV"
ERP_OWNS = {"number": "erp", "status": "erp", "delivery_status": "erp", "invoice_status": "erp"}
FLOWS: dict[str, Any] = {
    "orders": {
        "entity": "sales_order",
        "erp": "sap",
        "crm": "bottlecrm",
        "direction": "both",  # the order goes CRM -> ERP, its status comes back
        "match_keys": [["quote_reference"]],
        "field_owners": {
            **ERP_OWNS,
            **dict.fromkeys(("customer_id", "quote_reference", "currency", "order_date", "lines"), "crm"),
        },
        "depends_on": ["customers", "products"],
    },
    "products": {
        "entity": "product",
        "erp": "sap",
        "crm": "bottlecrm",
        "direction": "erp_to_crm",
        "match_keys": [["sku"]],
    },
    "customers": {
        "entity": "customer",
        "erp": "sap",
        "crm": "bottlecrm",
        "direction": "both",
        "match_keys": [["name"]],
        "conflict_policy": "manual",
        "page_size": 3,
    },
}


@pytest.fixture(scope="module")
def bottlecrm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BottleCrmInstance]:
    """One real BottleCRM for the module (a start costs ~8 s); tests keep their names unique."""
    peer = BottleCrmPeer()
    try:
        peer.template()
    except PeerError as exc:
        unavailable("BottleCRM", exc)
    with peer.start(tmp_path_factory.mktemp("bottlecrm")) as instance:
        yield instance


class World:
    """A fresh SAP emulator and state store, the module's BottleCRM, and the three flows."""

    def __init__(self, root: Path, sap: SapEmulator, crm: BottleCrmInstance) -> None:
        self.sap, self.bottlecrm = sap, crm
        systems = {"sap": {"connector": "sap_s4hana"}, "bottlecrm": {"connector": "bottlecrm"}}
        self.config: Config = write_config(root, systems, FLOWS)
        self.store: Store = open_store(self.config)
        self.erp = SapS4HanaConnector(connection_for(sap), {})
        self.crm = BottleCrmConnector(ConnectionSettings.from_uri(crm.connection_uri()), {})

    def run(self, flow: str) -> RunReport:
        report = run_flow(
            self.config, flow, self.store, connectors={"erp": self.erp, "crm": self.crm}, retry=FAST_RETRY
        )
        return check_run(report, self.store)

    def run_all(self) -> dict[str, RunReport]:
        return {name: self.run(name) for name in flow_order(self.config)}

    def canonical(self, side: str, entity: str, key: str) -> dict[str, dict[str, Any]]:
        fields = shared_fields(entity, "sap_s4hana", "bottlecrm")
        if side == "erp":
            records = canonical_records(self.erp, "sap_s4hana", entity, self.store, "sap", fields=fields)
        else:
            records = canonical_records(self.crm, "bottlecrm", entity, self.store, "bottlecrm", fields=fields)
        return by_key(records, key)

    def close(self) -> None:
        self.erp.close()
        self.crm.close()
        self.store.close()


@pytest.fixture
def world(tmp_path: Path, bottlecrm: BottleCrmInstance) -> Iterator[World]:
    with SapEmulator(contracts_dir(), page_size=100) as sap:
        w = World(tmp_path, sap, bottlecrm)
        yield w
        w.close()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:6]


def sap_partner(name: str, city: str, blocked: bool | None = False) -> dict[str, Any]:
    return {
        "OrganizationBPName1": name,
        "BusinessPartnerCategory": "2",
        "BusinessPartnerIsBlocked": blocked,
        "to_Customer": {"VATRegistration": "DE811907980"},
        "to_BusinessPartnerAddress": [
            {"StreetName": "Königsallee 1", "PostalCode": "40212", "CityName": city, "Country": "DE"}
        ],
    }


def sap_product(sku: str, description: str) -> dict[str, Any]:
    return {
        "Product": sku,
        "ProductType": "FERT",
        "BaseUnit": "PC",
        "IsMarkedForDeletion": False,
        "to_Description": [{"Product": sku, "Language": "EN", "ProductDescription": description}],
    }


def crm_account(connector: BottleCrmConnector, name: str, email: str) -> str:
    [made] = connector.write_batch(
        "customer",
        [
            WriteRequest(
                "create",
                "seed",
                {
                    "name": name,
                    "currency": "EUR",
                    "is_active": True,
                    "addresses": [
                        {
                            "address_line": "1-2-3 梅田",
                            "city": "大阪",
                            "state": None,
                            "postcode": "530-0001",
                            "country": "JP",
                        }
                    ],
                    "contacts": [
                        {
                            "first_name": "花子",
                            "last_name": "佐藤",
                            "email": email,
                            "phone": None,
                            "title": "購買",
                        }
                    ],
                },
            )
        ],
    )
    assert made.ok and made.id, made.error
    return made.id


def native_id(connector: Connector, entity: str, field: str, value: str) -> str:
    (found,) = [
        r.id for p in connector.read_changes(entity, None) for r in p.records if r.data[field] == value
    ]
    return found


def accept_on_public_page(crm: BottleCrmInstance, estimate_id: str) -> None:
    """What the customer does: open the estimate's public link and accept it."""
    headers = {"Authorization": f"Bearer {crm.token}"}
    reply = requests.get(f"{crm.url}/api/invoices/estimates/{estimate_id}/", headers=headers, timeout=30)
    reply.raise_for_status()
    token = reply.json()["estimate"]["public_token"]
    accepted = requests.post(
        f"{crm.url}/api/public/estimate/{token}/accept/",
        json={"name": "佐藤 花子", "email": "hanako@example.jp"},
        timeout=30,
    )
    assert accepted.status_code == 200, accepted.text


def assert_customers_agree(world: World) -> dict[str, dict[str, Any]]:
    erp_side = world.canonical("erp", "customer", "name")
    assert_same_records(erp_side, world.canonical("crm", "customer", "name"))
    return erp_side


def test_customers_sync_both_ways_between_sap_and_bottlecrm_then_an_edit_arrives_then_nothing_is_written(
    world: World, unique: str
) -> None:
    sap_name, crm_name = f"Müller Maschinenbau AG {unique}", f"株式会社 大阪商事 {unique}"
    partner = world.sap.seed(BP, "A_BusinessPartner", sap_partner(sap_name, "Düsseldorf"))["BusinessPartner"]
    crm_account(world.crm, crm_name, f"hanako-{unique}@example.jp")

    first = world.run("customers")
    assert first.sides["crm"].created >= 1 and first.sides["erp"].created >= 1
    customers = assert_customers_agree(world)
    assert customers[crm_name]["addresses"][0]["city"] == "大阪"
    assert customers[sap_name]["addresses"][0]["city"] == "Düsseldorf"

    world.sap.change(BP, "A_BusinessPartner", (partner,), OrganizationBPName1=f"Müller & Söhne AG {unique}")
    second = world.run("customers")
    assert (second.sides["crm"].updated, second.sides["erp"].updated) == (1, 0), second.as_dict()
    customers = assert_customers_agree(world)
    assert f"Müller & Söhne AG {unique}" in customers and sap_name not in customers

    third = world.run("customers")
    assert third.writes == 0, third.as_dict()


def test_an_accepted_bottlecrm_estimate_becomes_one_sap_order_whose_status_flows_back(
    world: World, unique: str
) -> None:
    crm_name, sku = f"株式会社 大阪商事 {unique}", f"VALVE-{unique}".upper()
    crm_account(world.crm, crm_name, f"hanako-{unique}@example.jp")
    world.sap.seed(PRODUCT_SRV, "A_Product", sap_product(sku, VALVE))
    # SAP keeps no list price and BottleCRM requires one (see the products test below), so the
    # catalogue already holds the product with its price; the products flow links the two by SKU.
    [listed] = world.crm.write_batch(
        "product",
        [WriteRequest("create", "seed", {"sku": sku, "name": VALVE, "price": "12.50", "currency": "EUR"})],
    )
    assert listed.ok, listed.error
    world.run_all()  # customers and products first; no accepted estimate yet, so no order
    assert world.sap.rows(ORDERS, "A_SalesOrder") == []
    products = world.canonical("crm", "product", "sku")
    assert products[sku]["name"] == VALVE

    account = native_id(world.crm, "customer", "name", crm_name)
    product = native_id(world.crm, "product", "sku", sku)
    [estimate] = world.crm.write_batch(
        "quote",
        [
            WriteRequest(
                "create",
                "seed",
                {
                    "account": account,
                    "currency": "EUR",
                    "expiry_date": "2099-12-31",
                    "line_items": [
                        {"product": product, "name": "Kugelhahn DN50", "quantity": "3", "unit_price": "12.50"}
                    ],
                },
            )
        ],
    )
    assert estimate.ok and estimate.id, estimate.error
    [sent] = world.crm.write_batch("quote", [WriteRequest("update", "seed", {"status": "Sent"}, estimate.id)])
    assert sent.ok, sent.error
    accept_on_public_page(world.bottlecrm, estimate.id)

    created = world.run("orders")
    assert created.sides["erp"].created == 1, created.as_dict()
    [order] = world.sap.rows(ORDERS, "A_SalesOrder")
    # Like SAP, the emulator saved the order open, nothing delivered, and priced from its items.
    assert (order["OverallSDProcessStatus"], order["OverallTotalDeliveryStatus"]) == ("A", "A")
    assert Decimal(str(order["TotalNetAmount"])) == Decimal("37.50")
    [link] = list(world.store.iter_links("orders"))
    assert order["ExternalDocumentID"] == link.canonical_id  # SyncHub's id: a retried create finds it
    estimate_number = world.crm.read_by_ids("sales_order", [estimate.id])[0].data["estimate_number"]
    assert order["PurchaseOrderByCustomer"] == estimate_number
    assert order["SoldToParty"] == native_id(world.erp, "customer", "OrganizationBPName1", crm_name)
    items = world.sap.rows(ORDERS, "A_SalesOrderItem")
    assert [(i["Material"], Decimal(str(i["RequestedQuantity"]))) for i in items] == [(sku, Decimal(3))]

    # SAP's order number reaches the estimate, and both sides hold the same order.
    world.run("orders")
    orders_erp = world.canonical("erp", "sales_order", "quote_reference")
    orders_crm = world.canonical("crm", "sales_order", "quote_reference")
    assert_same_records(orders_erp, orders_crm)
    assert orders_crm[estimate_number]["number"] == order["SalesOrder"]
    assert (
        world.crm.read_by_ids("sales_order", [estimate.id])[0].data["erp"]["erp_order_number"]
        == (order["SalesOrder"])
    )

    # SAP delivers part of the order: the estimate's erp_* fields follow.
    world.sap.change(
        ORDERS,
        "A_SalesOrder",
        (order["SalesOrder"],),
        OverallSDProcessStatus="B",
        OverallTotalDeliveryStatus="B",
    )
    moved = world.run("orders")
    assert (moved.sides["crm"].updated, moved.sides["erp"].updated) == (1, 0), moved.as_dict()
    erp_fields = world.crm.read_by_ids("sales_order", [estimate.id])[0].data["erp"]
    assert (erp_fields["erp_order_status"], erp_fields["erp_delivery_status"]) == ("processing", "partial")
    assert_same_records(
        world.canonical("erp", "sales_order", "quote_reference"),
        world.canonical("crm", "sales_order", "quote_reference"),
    )

    settled = world.run_all()
    assert {name: r.writes for name, r in settled.items()} == {"customers": 0, "products": 0, "orders": 0}
    assert len(world.sap.rows(ORDERS, "A_SalesOrder")) == 1


# -- Problems found by these flows (mappings and connectors the end-to-end tests do not own) ----------
# They fail until fixed; the report to the lead names the file, the field and the fix.


def test_a_sap_product_without_list_price_is_refused_by_bottlecrm_per_record_with_the_reason(
    world: World, unique: str
) -> None:
    """SAP keeps list prices in pricing conditions (not in API_PRODUCT_SRV); BottleCRM requires a
    price. The product is not invented a price: it waits as a dead letter naming the field."""
    sku = f"PUMP-{unique}".upper()
    world.sap.seed(PRODUCT_SRV, "A_Product", sap_product(sku, "Kreiselpumpe 株式会社"))
    report = run_flow(
        world.config,
        "products",
        world.store,
        connectors={"erp": world.erp, "crm": world.crm},
        retry=FAST_RETRY,
    )
    assert report.status == "partial"
    assert report.sides["crm"].created == 0
    assert report.sides["crm"].failed == 1
    [letter] = [d for d in world.store.list_dead_letters(flow="products") if d.stage == "write"]
    assert letter.system == "bottlecrm" and "price" in letter.reason


def test_sap_nulls_map_to_the_documented_defaults(world: World, unique: str) -> None:
    """SAP's EDMX lets these properties be null (a partner saved without the block flag, an order
    before SAP has set its statuses); the mappings' ``map.default`` does not cover null."""
    name = f"Null Flag GmbH {unique}"
    world.sap.seed(BP, "A_BusinessPartner", sap_partner(name, "Köln", blocked=None))
    world.run("customers")  # today: dead letter 'active': Input should be a valid boolean (value None)
    assert world.canonical("crm", "customer", "name")[name]["active"] is True
    order = load_mapping(MAPPINGS, "sap_s4hana", "sales_order").to_canonical(
        {
            "SoldToParty": "1000001",
            "TransactionCurrency": "EUR",
            "OverallSDProcessStatus": None,
            "OverallTotalDeliveryStatus": None,
            "to_Item": [],
        },
        PreviewContext(),
    )
    assert (order["status"], order["delivery_status"]) == ("confirmed", "none")

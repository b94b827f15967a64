"""SAP S/4HANA (EDMX-strict emulator, ERP) and a real BottleCRM server (CRM) through the real engine.

Customers both ways; products and their costs SAP -> BottleCRM; an estimate the customer accepts in
BottleCRM becomes exactly one SAP sales order with the CRM's prices, whose status flows back; SAP's
customer returns become BottleCRM cases. The flows run in ``depends_on`` order, as ``synchub run
--all`` runs them, and further runs write nothing. Every test runs twice: with the SAP system in UTC
and in Tokyo (its partners' change dates/times are local), each against its own BottleCRM.
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
from tests.sap.conftest import CORE_SERVICES, RETURNS_SERVICE, connection_for, contracts_dir
from tests.sap.sap_data import BP, ORDERS, PRODUCT_SRV, RETURNS, customer, customer_return, product

VALVE = "Kugelhahn DN50 Edelstahl ステンレス"
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
    "costs": {
        "entity": "product_cost",
        "erp": "sap",
        "crm": "bottlecrm",
        "direction": "erp_to_crm",
        "match_keys": [["product_id"]],
        "depends_on": ["products"],
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
    "complaints": {
        # SAP returns become cases; a case cannot become a return (it names no order: see the docs)
        "entity": "complaint",
        "erp": "sap",
        "crm": "bottlecrm",
        "direction": "erp_to_crm",
        "match_keys": [["customer_id", "subject"]],
        "depends_on": ["customers", "orders"],
    },
}


@pytest.fixture(scope="module", params=["UTC", "Asia/Tokyo"])
def zone(request: pytest.FixtureRequest) -> str:
    """The SAP system's time zone."""
    return str(request.param)


@pytest.fixture(scope="module")
def bottlecrm(zone: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BottleCrmInstance]:
    """One real BottleCRM per SAP time zone (a start costs ~8 s); tests keep their names unique."""
    peer = BottleCrmPeer()
    try:
        peer.template()
    except PeerError as exc:
        unavailable("BottleCRM", exc)
    with peer.start(tmp_path_factory.mktemp("bottlecrm")) as instance:
        yield instance


class World:
    """A fresh SAP emulator and state store, the module's BottleCRM, and the flows."""

    def __init__(
        self, root: Path, sap: SapEmulator, crm: BottleCrmInstance, zone: str, flows: dict[str, Any] = FLOWS
    ) -> None:
        self.sap, self.bottlecrm = sap, crm
        systems = {"sap": {"connector": "sap_s4hana"}, "bottlecrm": {"connector": "bottlecrm"}}
        self.config: Config = write_config(root, systems, flows)
        self.store: Store = open_store(self.config)
        settings = connection_for(sap, timezone=zone, valuation_area="1010", return_reason="103")
        self.erp = SapS4HanaConnector(settings, {})
        self.crm = BottleCrmConnector(ConnectionSettings.from_uri(crm.connection_uri()), {})

    def run(self, flow: str) -> RunReport:
        return check_run(self.report(flow), self.store)

    def report(self, flow: str) -> RunReport:
        return run_flow(
            self.config, flow, self.store, connectors={"erp": self.erp, "crm": self.crm}, retry=FAST_RETRY
        )

    def run_all(self) -> dict[str, RunReport]:
        return {name: self.run(name) for name in flow_order(self.config)}

    def canonical(
        self, side: str, entity: str, key: str, *, skip: tuple[str, ...] = ()
    ) -> dict[str, dict[str, Any]]:
        fields = [f for f in shared_fields(entity, "sap_s4hana", "bottlecrm") if f not in skip]
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
def world(tmp_path: Path, bottlecrm: BottleCrmInstance, zone: str) -> Iterator[World]:
    with SapEmulator(contracts_dir(), timezone=zone) as sap:
        w = World(tmp_path, sap, bottlecrm, zone)
        yield w
        w.close()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:6]


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
    partner = world.sap.seed(BP, "A_BusinessPartner", customer(sap_name, city="Düsseldorf"))[
        "BusinessPartner"
    ]
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


def accepted_estimate(world: World, account: str, product_id: str, quantity: str, price: str) -> str:
    """The salesperson quotes, sends, and the customer accepts on the public page."""
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
                        {
                            "product": product_id,
                            "name": "Kugelhahn DN50",
                            "quantity": quantity,
                            "unit_price": price,
                        }
                    ],
                },
            )
        ],
    )
    assert estimate.ok and estimate.id, estimate.error
    [sent] = world.crm.write_batch("quote", [WriteRequest("update", "seed", {"status": "Sent"}, estimate.id)])
    assert sent.ok, sent.error
    accept_on_public_page(world.bottlecrm, estimate.id)
    return estimate.id


def valuation(sku: str, area: str, standard: str, per: str) -> dict[str, Any]:
    return {
        "Product": sku,
        "ValuationArea": area,
        "ValuationType": "",
        "InventoryValuationProcedure": "S",
        "StandardPrice": standard,
        "PriceUnitQty": per,
        "Currency": "EUR",
    }


def test_an_accepted_estimate_becomes_one_sap_order_with_crm_prices_then_status_costs_and_returns_flow_back(
    world: World, unique: str, returns_service: None
) -> None:
    crm_name, sku = f"株式会社 大阪商事 {unique}", f"VALVE-{unique}".upper()
    crm_account(world.crm, crm_name, f"hanako-{unique}@example.jp")
    world.sap.seed(PRODUCT_SRV, "A_Product", product(sku, VALVE))
    world.sap.list_prices[sku] = Decimal("14.90")  # SAP's own price differs from the agreed one
    # Per plant: the CRM shows the cost of valuation area 1010 (250.00 per 100 pieces), not 2020's.
    world.sap.seed(PRODUCT_SRV, "A_ProductValuation", valuation(sku, "1010", "250.00", "100"))
    world.sap.seed(PRODUCT_SRV, "A_ProductValuation", valuation(sku, "2020", "999.00", "1"))
    # SAP keeps no list price and BottleCRM requires one (see the products test below), so the
    # catalogue already holds the product with its price; the products flow links the two by SKU.
    [listed] = world.crm.write_batch(
        "product",
        [WriteRequest("create", "seed", {"sku": sku, "name": VALVE, "price": "12.50", "currency": "EUR"})],
    )
    assert listed.ok, listed.error
    world.run_all()  # customers, products, costs; no accepted estimate yet, so no order
    assert world.sap.rows(ORDERS, "A_SalesOrder") == []
    assert world.canonical("crm", "product", "sku")[sku]["name"] == VALVE
    product_id = native_id(world.crm, "product", "sku", sku)
    [cost] = world.crm.read_by_ids("product_cost", [product_id])
    assert (Decimal(cost.data["erp_cost"]), cost.data["erp_cost_currency"]) == (Decimal("2.5"), "EUR")

    account = native_id(world.crm, "customer", "name", crm_name)
    estimate = accepted_estimate(world, account, product_id, "3", "12.50")
    created = world.run("orders")
    assert created.sides["erp"].created == 1, created.as_dict()
    [order] = world.sap.rows(ORDERS, "A_SalesOrder")
    # Like SAP, the emulator saved the order open, nothing delivered, priced by the manual condition.
    assert (order["OverallSDProcessStatus"], order["OverallTotalDeliveryStatus"]) == ("A", "A")
    assert order["TotalNetAmount"] == Decimal("37.50")
    [element] = world.sap.rows(ORDERS, "A_SalesOrderItemPrElement")
    assert (element["ConditionType"], element["ConditionRateValue"]) == ("PPR0", Decimal("12.50"))
    estimate_number = world.crm.read_by_ids("sales_order", [estimate])[0].data["estimate_number"]
    assert order["PurchaseOrderByCustomer"] == estimate_number  # how a retried create finds it
    partner = native_id(world.erp, "customer", "OrganizationBPName1", crm_name)
    assert order["SoldToParty"] == partner
    items = world.sap.rows(ORDERS, "A_SalesOrderItem")
    assert [(i["Material"], i["RequestedQuantity"]) for i in items] == [(sku, Decimal(3))]

    # SAP's order number reaches the estimate, and both sides hold the same order, prices included.
    world.run("orders")
    orders_erp = world.canonical("erp", "sales_order", "quote_reference")
    orders_crm = world.canonical("crm", "sales_order", "quote_reference")
    assert_same_records(orders_erp, orders_crm)
    assert orders_erp[estimate_number]["lines"][0]["unit_price"]["amount"] == Decimal("12.50")
    assert orders_crm[estimate_number]["number"] == order["SalesOrder"]

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
    erp_fields = world.crm.read_by_ids("sales_order", [estimate])[0].data["erp"]
    assert (erp_fields["erp_order_status"], erp_fields["erp_delivery_status"]) == ("processing", "partial")

    # The customer sends a pump back: SAP's return becomes a BottleCRM case, and its status follows.
    returned = world.sap.seed(
        RETURNS, "A_CustomerReturn", customer_return(partner, sku, reference=order["SalesOrder"])
    )["CustomerReturn"]
    world.run("complaints")
    cases = world.canonical("crm", "complaint", "subject", skip=("reported_at",))
    assert cases["Pump arrived broken"]["status"] == "open"
    assert_same_records(world.canonical("erp", "complaint", "subject", skip=("reported_at",)), cases)
    world.sap.change(RETURNS, "A_CustomerReturn", (returned,), OverallSDProcessStatus="C")
    world.run("complaints")
    assert (
        world.canonical("crm", "complaint", "subject", skip=("reported_at",))["Pump arrived broken"]["status"]
        == "closed"
    )

    for _ in range(3):
        settled = world.run_all()
        assert {name: r.writes for name, r in settled.items()} == dict.fromkeys(FLOWS, 0)
    assert len(world.sap.rows(ORDERS, "A_SalesOrder")) == 1


def test_a_bottlecrm_case_does_not_become_an_sap_return_and_says_why(
    tmp_path: Path, bottlecrm: BottleCrmInstance, zone: str, unique: str
) -> None:
    """BottleCRM cases name no order, and SAP creates a return only with the items of one."""
    flows = {
        "customers": FLOWS["customers"],
        "complaints": {**FLOWS["complaints"], "direction": "both", "depends_on": ["customers"]},
    }
    with SapEmulator(contracts_dir(*CORE_SERVICES, RETURNS_SERVICE), timezone=zone) as sap:
        world = World(tmp_path, sap, bottlecrm, zone, flows)
        try:
            name = f"Reklamation GmbH {unique}"
            sap.seed(BP, "A_BusinessPartner", customer(name))
            world.run("customers")
            account = native_id(world.crm, "customer", "name", name)
            [case] = world.crm.write_batch(
                "complaint",
                [
                    WriteRequest(
                        "create",
                        "seed",
                        {
                            "account": account,
                            "name": f"Lieferung fehlt {unique}",
                            "status": "New",
                            "priority": "High",
                        },
                    )
                ],
            )
            assert case.ok, case.error
            report = world.report("complaints")  # (cases left by other tests of this BottleCRM fail alike)
            assert report.status == "partial" and report.sides["erp"].created == 0, report.as_dict()
            [letter] = [
                d
                for d in world.store.list_dead_letters(flow="complaints")
                if d.stage == "write" and f"Lieferung fehlt {unique}" in str(d.payload)
            ]
            assert letter.system == "sap" and "order_id" in letter.reason and "erp_to_crm" in letter.reason
            assert sap.rows(RETURNS, "A_CustomerReturn") == []
        finally:
            world.close()


# -- Where the two products differ ----------------------------------------------------------------------


def test_a_sap_product_without_list_price_is_refused_by_bottlecrm_per_record_with_the_reason(
    world: World, unique: str
) -> None:
    """SAP keeps list prices in pricing conditions (not in API_PRODUCT_SRV); BottleCRM requires a
    price. The product is not invented a price: it waits as a dead letter naming the field."""
    sku = f"PUMP-{unique}".upper()
    world.sap.seed(PRODUCT_SRV, "A_Product", product(sku, "Kreiselpumpe 株式会社"))
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
    world.sap.seed(BP, "A_BusinessPartner", customer(name, city="Köln", blocked=None))
    world.run("customers")
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

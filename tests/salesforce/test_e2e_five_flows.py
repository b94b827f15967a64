"""Issue 15: all five flows between a real Tryton server (ERP) and the strict Salesforce emulator
(CRM), on each org shape: multi-currency on and off, Person Accounts on and off (the last one with
State/Country picklists too).

Through the real engine and config: customers both ways, products and costs ERP -> CRM, an
accepted Quote -> exactly one Tryton sale whose status comes back to the quote's Salesforce Order,
complaints both ways; the sale's number and status reach the Order in the run that made the sale.
After convergence three more rounds of every flow write nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectionSettings, WriteRequest
from connectors.salesforce import SalesforceConnector
from connectors.tryton import TrytonConnector
from sync_engine.flows import run_flow
from sync_engine.report import RunReport
from synchub_dev.peers.process import PeerError
from synchub_dev.peers.tryton import TrytonInstance, TrytonPeer
from tests.emulators.salesforce import OrgShape, SalesforceEmulator, emulator_session

from .conftest import require_contract
from .e2e_helpers import FAST_RETRY, check_run, open_store, unavailable, write_config

CLIENT_ID, CLIENT_SECRET = "3MVG9-synchub-five", "five-secret"
SALESPERSON = "005000000000042AAA"  # a human user of the org, not SyncHub's integration user
SHAPES = [
    OrgShape(multi_currency=True),
    OrgShape(multi_currency=False),
    OrgShape(multi_currency=True, person_accounts=True),
    OrgShape(multi_currency=False, person_accounts=True, state_country_picklists=True),
]
FLOWS: dict[str, Any] = {
    "customers": {
        "entity": "customer",
        "erp": "tryton",
        "crm": "salesforce",
        "direction": "both",
        "match_keys": [["tax_id"], ["name"]],
        "conflict_policy": "manual",
        "field_owners": {"credit_limit": "erp", "payment_terms": "erp", "tax_id": "erp", "contacts": "crm"},
    },
    "products": {
        "entity": "product",
        "erp": "tryton",
        "crm": "salesforce",
        "direction": "erp_to_crm",
        "match_keys": [["sku"]],
    },
    "orders": {
        "entity": "sales_order",
        "erp": "tryton",
        "crm": "salesforce",
        "direction": "both",
        "match_keys": [["quote_reference"]],
        "depends_on": ["customers", "products"],
        "field_owners": {
            **dict.fromkeys(("number", "status", "delivery_status", "invoice_status"), "erp"),
            **dict.fromkeys(("customer_id", "quote_reference", "currency", "lines", "total"), "crm"),
        },
    },
    "costs": {
        "entity": "product_cost",
        "erp": "tryton",
        "crm": "salesforce",
        "direction": "erp_to_crm",
        "match_keys": [["product_id"]],
        "depends_on": ["products"],
    },
    "complaints": {
        "entity": "complaint",
        "erp": "tryton",
        "crm": "salesforce",
        "direction": "both",
        "match_keys": [["customer_id", "subject"]],
        "depends_on": ["customers"],
    },
}
PARTIES = [
    (
        "Müller & Söhne GmbH",
        "DE811907980",
        "Königsallee 1",
        "40212",
        "Düsseldorf",
        "DE",
        "Jürgen Weiß",
        "jw@mueller.de",
    ),
    (
        "東京精機株式会社",
        "JP1234567",
        "千代田区丸の内1-1",
        "100-0005",
        "東京",
        "JP",
        "山田 太郎",
        "yamada@seiki.jp",
    ),
]
PRODUCTS = [
    ("PMP-100", "Kreiselpumpe KP-100", "1250.00", "812.50"),
    ("SEN-T20", "温度传感器 PT100", "78.90", "31.25"),
]


@pytest.fixture
def tryton(tmp_path: Path) -> Iterator[TrytonInstance]:
    peer = TrytonPeer()
    try:
        peer.template()
    except PeerError as exc:
        unavailable("Tryton", exc)
    instance = peer.start(tmp_path / "tryton")
    yield instance
    instance.stop()


class World:
    def __init__(self, root: Path, tryton: TrytonInstance, shape: OrgShape) -> None:
        self.emulator = SalesforceEmulator(shape)
        self.emulator.clients[CLIENT_ID] = CLIENT_SECRET
        self.org = self.emulator.org
        self.shape = shape
        systems = {
            "tryton": {"connector": "tryton", "options": {"accept_warnings": True}},
            "salesforce": {"connector": "salesforce"},
        }
        self.config = write_config(root, systems, FLOWS)
        self.store = open_store(self.config)
        self.erp = TrytonConnector(ConnectionSettings.from_uri(tryton.uri), {"accept_warnings": True})
        extra = {"backoff_seconds": 0.001, "bulk_poll_seconds": 0}
        if not shape.multi_currency:
            extra["currency"] = "EUR"
        self.crm = SalesforceConnector(
            ConnectionSettings(
                "salesforce",
                host="emulated.my.salesforce.com",
                login=CLIENT_ID,
                password=CLIENT_SECRET,
                extra=extra,
            ),
            {"session": emulator_session(self.emulator)},
        )

    def run(self, name: str) -> RunReport:
        report = run_flow(
            self.config, name, self.store, connectors={"erp": self.erp, "crm": self.crm}, retry=FAST_RETRY
        )
        return check_run(report, self.store)

    def run_all(self) -> list[RunReport]:
        return [self.run(name) for name in FLOWS]

    def close(self) -> None:
        self.erp.close()
        self.crm.close()
        self.store.close()

    # -- what people do in each system ------------------------------------------------------------------
    def seed_erp(self) -> None:
        parties = [
            {
                "name": name,
                "tax_identifier": tax,
                "credit_limit_amount": Decimal("2500.00"),
                "customer_payment_term": "30 days net",
                "addresses": [
                    {"street": street, "postal_code": code, "city": city, "country": country, "invoice": True}
                ],
                "contacts": [{"name": contact, "email": email, "phone": "+49 211 555", "comment": "Einkauf"}],
            }
            for name, tax, street, code, city, country, contact, email in PARTIES
        ]
        products = [
            {
                "code": code,
                "name": name,
                "description": None,
                "default_uom": "u",
                "list_price": Decimal(price),
                "cost_price": Decimal(cost),
                "cost_price_method": "fixed",
            }
            for code, name, price, cost in PRODUCTS
        ]
        for entity, rows in (("customer", parties), ("product", products)):
            results = self.erp.write_batch(
                entity, [WriteRequest("create", f"seed-{i}", r) for i, r in enumerate(rows)]
            )
            assert all(r.ok for r in results), [r.error for r in results]

    def seed_crm_accounts(self) -> None:
        country = (
            {"BillingCountryCode": "FR"} if self.shape.state_country_picklists else {"BillingCountry": "FR"}
        )
        currency = {"CurrencyIsoCode": "EUR"} if self.shape.multi_currency else {}
        account = self.org.insert(
            "Account",
            {
                "Name": "Société Générale d'Équipement",
                "SyncHub_Payment_Terms__c": "Net 60",
                "BillingStreet": "12 rue de la Paix",
                "BillingPostalCode": "75002",
                "BillingCity": "Paris",
                **country,
                **currency,
            },
            user=SALESPERSON,
        )
        self.org.insert(
            "Contact",
            {"AccountId": account, "FirstName": "Zoé", "LastName": "Ça", "Email": "zoe@sge.fr"},
            user=SALESPERSON,
        )
        if self.shape.person_accounts:
            person = next(
                r for r, i in self.org.record_types.items() if i["developerName"] == "PersonAccount"
            )
            self.org.insert(
                "Account",
                {"RecordTypeId": person, "FirstName": "Eva", "LastName": "Privat"},
                user=SALESPERSON,
            )

    def account(self, name: str) -> str:
        return next(r["Id"] for r in self.org.records["Account"].values() if r["Name"] == name)

    def accept_quote(self) -> str:
        """A salesperson's deal: opportunity, quote with two products, accepted by the customer."""
        account = self.account(PARTIES[0][0])
        book = self.org.standard_pricebook
        currency = {"CurrencyIsoCode": "EUR"} if self.shape.multi_currency else {}
        opportunity = self.org.insert(
            "Opportunity",
            {
                "Name": "Pumpenanlage",
                "StageName": "Negotiation/Review",
                "CloseDate": "2026-12-31",
                "AccountId": account,
                "Pricebook2Id": book,
                **currency,
            },
            user=SALESPERSON,
        )
        quote = self.org.insert(
            "Quote",
            {"Name": "Pumpenanlage / 泵系统", "OpportunityId": opportunity, "Pricebook2Id": book},
            user=SALESPERSON,
        )
        for code, quantity in (("PMP-100", 2), ("SEN-T20", 10)):
            product = next(p["Id"] for p in self.org.records["Product2"].values() if p["ProductCode"] == code)
            entry = next(
                e
                for e in self.org.records["PricebookEntry"].values()
                if e["Product2Id"] == product and e["Pricebook2Id"] == book
            )
            self.org.insert(
                "QuoteLineItem",
                {
                    "QuoteId": quote,
                    "PricebookEntryId": entry["Id"],
                    "Quantity": quantity,
                    "UnitPrice": entry["UnitPrice"],
                },
                user=SALESPERSON,
            )
        self.org.update("Quote", quote, {"Status": "Accepted"}, user=SALESPERSON)
        self.org.insert(
            "Case",
            {
                "Subject": "Pumpe undicht",
                "Description": "Leaks at the seal",
                "Status": "New",
                "Priority": "High",
                "AccountId": account,
            },
            user=SALESPERSON,
        )
        return quote


@pytest.fixture(params=SHAPES, ids=[s.label() for s in SHAPES])
def world(request: pytest.FixtureRequest, tmp_path: Path, tryton: TrytonInstance) -> Iterator[World]:
    require_contract()
    w = World(tmp_path, tryton, request.param)
    yield w
    w.close()


def _tryton(world: World, entity: str) -> list[dict[str, Any]]:
    return [r.data for page in world.erp.read_changes(entity, None) for r in page.records]


def test_five_flows_converge_on_each_org_shape_then_three_rounds_write_nothing(world: World) -> None:
    world.seed_erp()
    world.seed_crm_accounts()
    for name in ("customers", "products"):
        world.run(name)
    quote = world.accept_quote()
    # One round: the quote becomes a sale, and what Tryton filled in (its number, the confirmed
    # state) reaches the quote's Order in the same run (the engine settles after it writes).
    world.run_all()

    quote_number = world.org.records["Quote"][quote]["QuoteNumber"]
    sales = [s for s in _tryton(world, "quote") if s["reference"] == quote_number]
    assert len(sales) == 1, sales  # exactly one Tryton sale
    [sale] = sales
    assert sale["state"] in ("confirmed", "processing", "done")
    [order] = [o for o in world.org.records["Order"].values() if o["QuoteId"] == quote]
    assert order["StatusCode"] == "Activated"
    assert order["SyncHub_ERP_Number__c"] == sale["number"]
    assert order["SyncHub_ERP_Status__c"] == sale["state"].capitalize()
    items = [i for i in world.org.records["OrderItem"].values() if i["OrderId"] == order["Id"]]
    assert sorted(i["Quantity"] for i in items) == [2.0, 10.0]
    assert order["Pricebook2Id"] == world.org.records["Quote"][quote]["Pricebook2Id"]

    products = {p["ProductCode"]: p for p in world.org.records["Product2"].values()}
    assert {code: products[code]["SyncHub_Cost__c"] for code, *_ in PRODUCTS} == {
        "PMP-100": 812.5,
        "SEN-T20": 31.25,
    }
    assert [c["reference"] for c in _tryton(world, "complaint")] == ["Pumpe undicht"]
    parties = {p["name"] for p in _tryton(world, "customer")}
    assert "Société Générale d'Équipement" in parties
    assert "Eva Privat" not in parties  # person accounts are not customers (documented rule)
    muller = world.org.records["Account"][world.account(PARTIES[0][0])]
    if world.shape.state_country_picklists:
        assert (muller["BillingCountryCode"], muller["BillingCountry"]) == ("DE", "Germany")
    else:
        assert muller["BillingCountry"] == "DE"

    for _ in range(3):
        reports = world.run_all()
        assert [(r.flow, r.writes) for r in reports] == [(name, 0) for name in FLOWS], [
            r.as_dict() for r in reports
        ]

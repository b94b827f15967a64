"""Issue 8: the customers flow between a real Tryton server (ERP) and the Salesforce emulator (CRM).

Everything runs through the real engine (``run_flow`` with a validated config and a SQLite store);
only the two connector objects are handed in ready-made, because the Salesforce one reaches the
in-process emulator through its ``session`` option.
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
from sync_engine.config import Config
from sync_engine.flows import run_flow
from sync_engine.report import RunReport
from sync_engine.store import Store
from synchub_dev.peers.process import PeerError
from synchub_dev.peers.tryton import TrytonInstance, TrytonPeer
from tests.emulators.salesforce import SalesforceEmulator, emulator_session

from .e2e_helpers import (
    FAST_RETRY,
    by_key,
    canonical_records,
    check_run,
    open_store,
    shared_fields,
    unavailable,
    write_config,
)

CLIENT_ID, CLIENT_SECRET = "3MVG9-synchub-e2e", "e2e-secret"
SALESPERSON = "005000000000000042"  # a human user of the org, not SyncHub's integration user

CUSTOMERS_FLOW: dict[str, Any] = {
    "entity": "customer",
    "erp": "tryton",
    "crm": "salesforce",
    "direction": "both",
    "match_keys": [["tax_id"], ["name"]],
    "field_owners": {"credit_limit": "erp", "payment_terms": "erp", "tax_id": "erp"},
    "conflict_policy": "manual",
    "page_size": 3,
    "batch_size": 2,
}


@pytest.fixture(scope="module")
def tryton_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrytonInstance]:
    peer = TrytonPeer()
    try:
        peer.template()
    except PeerError as exc:
        unavailable("Tryton", exc)
    instance = peer.start(tmp_path_factory.mktemp("tryton"))
    yield instance
    instance.stop()


class World:
    """Tryton and an emulated org, synced by SyncHub through one config and one store."""

    def __init__(self, root: Path, tryton: TrytonInstance) -> None:
        self.emulator = SalesforceEmulator()
        self.emulator.clients[CLIENT_ID] = CLIENT_SECRET
        self.org = self.emulator.org
        systems = {
            "tryton": {"connector": "tryton", "options": {"accept_warnings": True}},
            "salesforce": {"connector": "salesforce"},
        }
        self.config: Config = write_config(root, systems, {"customers": CUSTOMERS_FLOW})
        self.store: Store = open_store(self.config)
        self.erp = TrytonConnector(ConnectionSettings.from_uri(tryton.uri), {"accept_warnings": True})
        self.crm = SalesforceConnector(
            ConnectionSettings(
                "salesforce",
                host="emulated.my.salesforce.com",
                login=CLIENT_ID,
                password=CLIENT_SECRET,
                extra={"backoff_seconds": 0.001, "bulk_poll_seconds": 0},
            ),
            {"session": emulator_session(self.emulator)},
        )

    def run(self) -> RunReport:
        report = run_flow(
            self.config,
            "customers",
            self.store,
            connectors={"erp": self.erp, "crm": self.crm},
            retry=FAST_RETRY,
        )
        return check_run(report, self.store)

    def canonical(self, side: str) -> dict[str, dict[str, Any]]:
        fields = shared_fields("customer", "tryton", "salesforce")
        if side == "erp":
            records = canonical_records(self.erp, "tryton", "customer", self.store, "tryton", fields=fields)
        else:
            records = canonical_records(
                self.crm, "salesforce", "customer", self.store, "salesforce", fields=fields
            )
        return by_key(records, "name")

    def close(self) -> None:
        self.erp.close()
        self.crm.close()
        self.store.close()


@pytest.fixture
def world(tmp_path: Path, tryton_server: TrytonInstance) -> Iterator[World]:
    w = World(tmp_path, tryton_server)
    yield w
    w.close()


def tryton_party(name: str, tax_id: str, contact: str, email: str) -> dict[str, Any]:
    return {
        "name": name,
        "tax_identifier": tax_id,
        "credit_limit_amount": Decimal("2500.00"),
        "customer_payment_term": "30 days net",
        "addresses": [
            {
                "street": "Königsallee 1",
                "postal_code": "40212",
                "city": "Düsseldorf",
                "country": "DE",
                "invoice": True,
            }
        ],
        "contacts": [{"name": contact, "email": email, "phone": "+49 211 555", "comment": "Einkauf"}],
    }


def salesforce_account(org: Any, name: str, city: str, contact: tuple[str, str, str]) -> str:
    """An Account with one Contact, entered by a salesperson in the org (not by SyncHub)."""
    account = org.insert(
        "Account",
        {
            "Name": name,
            "CurrencyIsoCode": "EUR",
            "SyncHub_Payment_Terms__c": "Net 60",
            "SyncHub_Active__c": True,
            "BillingStreet": "12 rue de la Paix",
            "BillingPostalCode": "75002",
            "BillingCity": city,
            "BillingCountry": "FR",
        },
        user=SALESPERSON,
    )
    first, last, email = contact
    org.insert(
        "Contact",
        {"AccountId": account, "FirstName": first, "LastName": last, "Email": email, "Title": "Achats"},
        user=SALESPERSON,
    )
    return account


def test_customers_sync_both_ways_between_tryton_and_salesforce_then_edits_arrive_then_nothing_is_written(
    world: World,
) -> None:
    erp_names = ["Müller & Söhne GmbH", "東京精機株式会社"]
    seeded = world.erp.write_batch(
        "customer",
        [
            WriteRequest(
                "create", "m", tryton_party(erp_names[0], "DE811907980", "Jürgen Weiß", "jw@mueller.de")
            ),
            WriteRequest(
                "create", "t", tryton_party(erp_names[1], "JP1234567", "山田 太郎", "yamada@seiki.jp")
            ),
        ],
    )
    assert all(r.ok for r in seeded), [r.error for r in seeded]
    crm_name = "Société Générale d'Équipement"
    account = salesforce_account(world.org, crm_name, "Paris", ("Zoé", "Ça", "zoe@sge.fr"))

    first = world.run()
    erp_side, crm_side = world.canonical("erp"), world.canonical("crm")
    assert {*erp_names, crm_name} <= set(erp_side)
    assert erp_side == crm_side
    assert first.sides["erp"].created == 1  # the Salesforce-only account
    assert first.sides["crm"].created == len(erp_side) - 1  # every party (the company's own included)
    assert crm_side["東京精機株式会社"]["contacts"][0]["name"] == "山田 太郎"
    assert erp_side[crm_name]["payment_terms"] == "60 days net"
    assert erp_side[crm_name]["addresses"][0]["city"] == "Paris"
    assert crm_side[erp_names[0]]["credit_limit"] == {"amount": Decimal("2500"), "currency": "EUR"}

    # A salesperson moves an account in Salesforce; the ERP raises a credit limit in Tryton.
    world.org.update(
        "Account", account, {"BillingCity": "Lyon", "BillingPostalCode": "69001"}, user=SALESPERSON
    )
    muller = next(
        r
        for p in world.erp.read_changes("customer", None)
        for r in p.records
        if r.data["name"] == erp_names[0]
    )
    [raised] = world.erp.write_batch(
        "customer", [WriteRequest("update", "m", {"credit_limit_amount": Decimal("9000.00")}, muller.id)]
    )
    assert raised.ok, raised.error

    second = world.run()
    assert (second.sides["erp"].updated, second.sides["crm"].updated) == (1, 1), second.as_dict()
    assert second.sides["erp"].created == second.sides["crm"].created == 0
    erp_side, crm_side = world.canonical("erp"), world.canonical("crm")
    assert erp_side == crm_side
    assert erp_side[crm_name]["addresses"][0]["city"] == "Lyon"
    assert crm_side[erp_names[0]]["credit_limit"] == {"amount": Decimal("9000"), "currency": "EUR"}

    third = world.run()
    assert third.writes == 0, third.as_dict()
    assert world.canonical("erp") == world.canonical("crm") == erp_side

"""The Salesforce connector as conformance subjects: every entity on every org shape.

Each subject is a fresh strict emulator (tests/emulators/salesforce) served on a real local HTTP
port, which the connector reaches through simple-salesforce as in production. Inside the fault
block its requests go through the suite's ``FaultProxy`` instead, so an outage is a real 503 or a
real read timeout (outside it they go straight to the port: the proxy's own answers stall about
40 ms each on delayed ACKs, which made 200 checks take minutes). The org's
clock moves one second per request, as time passes between a real org's calls (its dateTime fields
hold whole seconds), and stands still for records a salesperson makes in one transaction
(``same_time``, written straight into the org as another user).

Prerequisites (an account, a product with its standard price) are made in the org by a salesperson.
``product_cost`` has no free-text field: a cost is a number on its product, so each text is carried
as a distinct cost amount and read back through it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import ConnectionSettings
from connectors.salesforce import SalesforceConnector
from tests.connectors.conformance.faults import FaultProxy
from tests.connectors.conformance.harness import Subject
from tests.emulators.salesforce import OrgShape, SalesforceEmulator
from tests.emulators.salesforce.server import LocalRoute, http_session, serving
from tests.salesforce.conftest import require_contract

__all__ = ["SALESFORCE_SUBJECTS"]

CLIENT_ID, CLIENT_SECRET = "3MVG9-conformance", "conformance-secret"
SALESPERSON = "005000000000042AAA"
TIMEOUT_SECONDS = 0.5
"""The request timeout inside a fault block; the proxy hangs well past it."""
CALM_TIMEOUT_SECONDS = 30.0
"""The request timeout outside fault blocks: a loaded CI machine can take longer than half a second
to answer a healthy request, and a timeout there is not the fault under test."""
SHAPES = {
    "multicurrency": OrgShape(multi_currency=True),
    "single_currency": OrgShape(multi_currency=False),
    "person_accounts": OrgShape(multi_currency=True, person_accounts=True),
    "single_currency_person_accounts_state_picklists": OrgShape(
        multi_currency=False, person_accounts=True, state_country_picklists=True
    ),
}
ENTITIES = ("customer", "product", "product_cost", "quote", "sales_order", "complaint")
_numbers = itertools.count(1)


class OrgClock:
    """The org's clock: one second later for every request; still between them."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> None:
        self.now += timedelta(seconds=1)


class Records:
    """Valid, invalid and simultaneous records of one entity on one org, and their free text."""

    def __init__(self, entity: str, emulator: SalesforceEmulator) -> None:
        self.entity = entity
        self.org = emulator.org
        self.multi = self.org.shape.multi_currency
        self.book = self.org.standard_pricebook
        self.account = self.org.insert("Account", {"Name": "Conformance GmbH"}, user=SALESPERSON)
        self.product = self._product()
        self.costs: dict[float, str] = {}

    def _currency(self) -> dict[str, Any]:
        return {"CurrencyIsoCode": "EUR"} if self.multi else {}

    def _product(self, **extra: Any) -> str:
        number = next(_numbers)
        product = self.org.insert(
            "Product2", {"Name": f"Part {number}", "ProductCode": f"P-{number}", **extra}, user=SALESPERSON
        )
        entry = {"Pricebook2Id": self.book, "Product2Id": product, "UnitPrice": 10.0, "IsActive": True}
        self.org.insert("PricebookEntry", {**entry, **self._currency()}, user=SALESPERSON)
        return product

    def _line(self) -> dict[str, Any]:
        return {"Product2Id": self.product, "Description": None, "Quantity": 2.0, "UnitPrice": 10.0}

    # -- what the harness needs ------------------------------------------------------------------
    def make(self, text: str) -> dict[str, Any]:
        number = next(_numbers)
        if self.entity == "customer":
            address = {"Kind": "Billing", "Street": "Hauptstr. 1", "City": "Berlin"}
            address |= {"PostalCode": "10115", "State": None, "Country": "DE"}
            contact = {"FirstName": "Ann", "LastName": "Lee", "Email": f"ann{number}@example.com"}
            return {
                "Name": text,
                "CurrencyIsoCode": "EUR",
                "SyncHub_Tax_Id__c": f"DE{number:09d}",
                "Addresses": [address],
                "Contacts": [{**contact, "Phone": None, "Title": None}],
            }
        if self.entity == "product":
            entry = {"UnitPrice": 12.5, "CurrencyIsoCode": "EUR", "IsActive": True}
            return {"Name": text, "ProductCode": f"C-{number}", "IsActive": True, "PricebookEntry": entry}
        if self.entity == "product_cost":
            return {"Id": self._product(), **self._cost(text)}
        if self.entity == "quote":
            line = {**self._line(), "Discount": 0.0}
            quote = {"Name": text, "Status": "Draft", "AccountId": self.account, "CurrencyIsoCode": "EUR"}
            return {**quote, "QuoteLineItems": [line]}
        if self.entity == "sales_order":
            erp = {"SyncHub_ERP_Number__c": text, "SyncHub_ERP_Status__c": "Confirmed"}
            return {
                "AccountId": self.account,
                "CurrencyIsoCode": "EUR",
                "Order": erp,
                "OrderItems": [self._line()],
            }
        return {"Subject": text, "Description": "Leaks at the seal", "Status": "New", "Priority": "Medium"}

    def _cost(self, text: str) -> dict[str, Any]:
        amount = round(next(_numbers) + 0.25, 2)
        self.costs[amount] = text
        return {
            "SyncHub_Cost__c": amount,
            "SyncHub_Cost_Method__c": "Standard",
            "SyncHub_Cost_Date__c": "2026-01-31",
        }

    def edit(self, text: str) -> dict[str, Any]:
        if self.entity == "product_cost":
            return self._cost(text)
        if self.entity == "sales_order":
            return {"Order": {"SyncHub_ERP_Number__c": text}}
        return {{"complaint": "Subject"}.get(self.entity, "Name"): text}

    def text_of(self, data: dict[str, Any]) -> Any:
        if self.entity == "product_cost":
            return self.costs.get(data.get("SyncHub_Cost__c"))
        if self.entity == "sales_order":
            return (data.get("Order") or {}).get("SyncHub_ERP_Number__c")
        return data.get({"complaint": "Subject"}.get(self.entity, "Name"))

    def invalid(self) -> tuple[dict[str, Any], str]:
        """A record the org (or the connector, for its rules) refuses, and the field blamed."""
        if self.entity in ("customer", "complaint"):
            field = "Name" if self.entity == "customer" else "Subject"
            return {**self.make("valid"), field: "x" * 256}, field  # STRING_TOO_LONG (length 255)
        if self.entity == "product":
            return {**self.make("valid"), "Name": None}, "Name"  # REQUIRED_FIELD_MISSING
        if self.entity == "product_cost":
            return {**self.make("valid"), "SyncHub_Cost_Method__c": "Guesswork"}, "SyncHub_Cost_Method__c"
        # quotes and orders: a quote needs its account's opportunity (RULES Q1)
        return {k: v for k, v in self.make("valid").items() if k != "AccountId"}, "AccountId"

    def same_time(self, n: int) -> list[str]:
        """``n`` records a salesperson makes in one transaction: one ``SystemModstamp``."""
        org = self.org
        ids = []
        for i in range(n):
            if self.entity == "customer":
                ids.append(org.insert("Account", {"Name": f"Tie {i}"}, user=SALESPERSON))
            elif self.entity in ("product", "product_cost"):
                cost = {"SyncHub_Cost__c": 1.0 + i} if self.entity == "product_cost" else {}
                ids.append(org.insert("Product2", {"Name": f"Tie {i}", **cost}, user=SALESPERSON))
            elif self.entity in ("quote", "sales_order"):
                deal = {"Name": f"Tie {i}", "StageName": "Prospecting", "CloseDate": "2026-12-31"}
                deal |= {"AccountId": self.account, "Pricebook2Id": self.book, **self._currency()}
                opportunity = org.insert("Opportunity", deal, user=SALESPERSON)
                quote = {"Name": f"Tie {i}", "OpportunityId": opportunity, "Pricebook2Id": self.book}
                ids.append(org.insert("Quote", quote, user=SALESPERSON))
                if self.entity == "sales_order":
                    org.update("Quote", ids[-1], {"Status": "Accepted"}, user=SALESPERSON)
            else:
                ids.append(org.insert("Case", {"Subject": f"Tie {i}"}, user=SALESPERSON))
        return ids


@contextmanager
def salesforce_subject(entity: str, shape_name: str) -> Iterator[Subject]:
    require_contract()
    shape = SHAPES[shape_name]
    clock = OrgClock()
    emulator = SalesforceEmulator(shape, clock=clock)
    emulator.clients[CLIENT_ID] = CLIENT_SECRET

    def org_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        clock.tick()  # time passes between calls
        return emulator(environ, start_response)

    with serving(org_app) as url:
        proxies: list[FaultProxy] = []  # made by the first fault: closing one waits half a second
        extra: dict[str, Any] = {"timeout_seconds": CALM_TIMEOUT_SECONDS, "backoff_seconds": 0.001}
        if not shape.multi_currency:
            extra["currency"] = shape.currency
        settings = ConnectionSettings(
            "salesforce",
            host="conformance.my.salesforce.com",
            login=CLIENT_ID,
            password=CLIENT_SECRET,
            extra=extra,
        )
        route = LocalRoute(url)
        connector = SalesforceConnector(settings, {"session": http_session(route)})

        @contextmanager
        def faults(kind: str) -> Iterator[None]:
            if not proxies:
                proxies.append(FaultProxy(url, hang_seconds=3 * TIMEOUT_SECONDS))
            short = _timeout(connector, TIMEOUT_SECONDS)
            with route.through(proxies[0].url), short, proxies[0].failing(kind):
                yield

        records = Records(entity, emulator)
        invalid, invalid_field = records.invalid()
        try:
            yield Subject(
                name=f"salesforce {entity} ({shape.label()})",
                connector=connector,
                entity=entity,
                make=records.make,
                edit=records.edit,
                text_of=records.text_of,
                invalid=invalid,
                invalid_field=invalid_field,
                faults=faults,
                same_time=records.same_time,
                extra={"emulator": emulator},
            )
        finally:
            connector.close()
            for proxy in proxies:
                proxy.close()


@contextmanager
def _timeout(connector: SalesforceConnector, seconds: float) -> Iterator[None]:
    """The connection's per-request timeout set to ``seconds`` for the block (its bounded adapters)."""
    adapters = [a for a in connector.client.session.adapters.values() if hasattr(a, "seconds")]
    saved = [a.seconds for a in adapters]
    for adapter in adapters:
        adapter.seconds = seconds
    try:
        yield
    finally:
        for adapter, before in zip(adapters, saved, strict=True):
            adapter.seconds = before


def _fixture(entity: str, shape_name: str) -> Any:
    def subject() -> Iterator[Subject]:
        with salesforce_subject(entity, shape_name) as made:
            yield made

    return pytest.fixture(name=f"subject_salesforce_{entity}_{shape_name}")(subject)


SALESFORCE_SUBJECTS: dict[str, Any] = {
    f"subject_salesforce_{entity}_{shape_name}": _fixture(entity, shape_name)
    for shape_name in SHAPES
    for entity in ENTITIES
}
"""Fixture name -> fixture, one per entity and org shape (the conformance conftest registers them)."""

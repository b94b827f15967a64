"""A client on the emulated org through simple-salesforce, and valid records to build writes on."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

from tests.emulators.salesforce import SalesforceEmulator, emulator_session

_names = itertools.count(1)


def client(emulator: SalesforceEmulator) -> Salesforce:
    """simple-salesforce, as production uses it, on the in-process emulator."""
    return Salesforce(
        instance_url=emulator.instance_url,
        session_id=emulator.session_token(),
        session=emulator_session(emulator),
        version="59.0",
    )


def refusal(call: Any, *args: Any, what: str = "") -> tuple[str, list[str]]:
    """The error code and fields of a refused call (fails the test when the call is accepted)."""
    try:
        call(*args)
    except SalesforceError as exc:
        [error] = exc.content
        return error["errorCode"], error.get("fields") or []
    pytest.fail(f"the org accepted a write the contract forbids: {what}")


class Setup:
    """Prerequisite records, made through the API (so the rules apply to them too)."""

    def __init__(self, sf: Salesforce, emulator: SalesforceEmulator) -> None:
        self.sf, self.emulator = sf, emulator
        self.multi = emulator.org.shape.multi_currency
        self.book = emulator.org.standard_pricebook
        self.account = self.create("Account", {"Name": "Acme"})
        self.currency = {"CurrencyIsoCode": "EUR"} if self.multi else {}

    def create(self, sobject: str, body: dict[str, Any]) -> str:
        return str(getattr(self.sf, sobject).create(body)["id"])

    def product(self) -> str:
        return self.create("Product2", {"Name": f"Product {next(_names)}"})

    def entry(self, product: str | None = None, book: str | None = None) -> str:
        body = {
            "Pricebook2Id": book or self.book,
            "Product2Id": product or self.product(),
            "UnitPrice": 10,
            "IsActive": True,
            **self.currency,
        }
        return self.create("PricebookEntry", body)

    def opportunity(self) -> str:
        return self.create(
            "Opportunity",
            {
                "Name": f"Deal {next(_names)}",
                "StageName": "Prospecting",
                "CloseDate": "2026-12-31",
                "AccountId": self.account,
                "Pricebook2Id": self.book,
                **self.currency,
            },
        )

    def quote(self) -> str:
        return self.create(
            "Quote", {"Name": "Q", "OpportunityId": self.opportunity(), "Pricebook2Id": self.book}
        )

    def order(self) -> str:
        return self.create(
            "Order",
            {
                "AccountId": self.account,
                "EffectiveDate": "2026-01-31",
                "Status": "Draft",
                "Pricebook2Id": self.book,
                **self.currency,
            },
        )

    def base(self, sobject: str) -> dict[str, Any]:
        """A body the org accepts for a new ``sobject``."""
        if sobject == "Account":
            return {"Name": f"Account {next(_names)}"}
        if sobject == "Contact":
            return {"LastName": "Lee", "AccountId": self.account}
        if sobject == "Case":
            return {"Subject": "Broken"}
        if sobject == "Opportunity":
            return {"Name": "Deal", "StageName": "Prospecting", "CloseDate": "2026-12-31"}
        if sobject in ("Product2", "Pricebook2"):
            return {"Name": f"{sobject} {next(_names)}"}
        if sobject == "PricebookEntry":
            return {"Pricebook2Id": self.book, "Product2Id": self.product(), "UnitPrice": 1, **self.currency}
        if sobject == "Quote":
            return {"Name": "Q", "OpportunityId": self.opportunity(), "Pricebook2Id": self.book}
        if sobject == "QuoteLineItem":
            return {"QuoteId": self.quote(), "PricebookEntryId": self.entry(), "Quantity": 1, "UnitPrice": 1}
        if sobject == "Order":
            return {
                "AccountId": self.account,
                "EffectiveDate": "2026-01-31",
                "Status": "Draft",
                "Pricebook2Id": self.book,
                **self.currency,
            }
        if sobject == "OrderItem":
            return {"OrderId": self.order(), "PricebookEntryId": self.entry(), "Quantity": 1, "UnitPrice": 1}
        if sobject == "OpportunityLineItem":
            return {
                "OpportunityId": self.opportunity(),
                "PricebookEntryId": self.entry(),
                "Quantity": 1,
                "UnitPrice": 1,
            }
        raise KeyError(sobject)

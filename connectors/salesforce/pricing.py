"""Price books and their entries: which entry a line may use.

A line item needs a PricebookEntry of its parent's price book and currency (RULES.md Q4, R5, P9).
SyncHub writes prices into the org's standard price book (a product's entry there is its list price);
custom books would need the standard entry first (P5, STANDARD_PRICE_NOT_DEFINED).
"""

from __future__ import annotations

from connectors.base import PermanentError
from connectors.salesforce.batches import COLLECTION_SIZE
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.orgschema import OrgSchema
from connectors.salesforce.soql import quote

__all__ = ["Pricing"]


class Pricing:
    def __init__(self, client: SalesforceClient, schema: OrgSchema) -> None:
        self.client = client
        self.schema = schema
        self._standard: str | None = None

    def standard_book(self) -> str:
        if self._standard is None:
            rows = self.client.query_all(
                "finding the standard price book", "SELECT Id FROM Pricebook2 WHERE IsStandard = true"
            )
            if not rows:
                raise PermanentError("salesforce: the org has no standard price book; activate it in Setup")
            self._standard = str(rows[0]["Id"])
        return self._standard

    def entries(self, book: str, currency: str | None, products: set[str]) -> dict[str, dict[str, object]]:
        """Product id -> its entry (``Id``, ``UnitPrice``, ``IsActive``) in ``book`` for ``currency``."""
        found: dict[str, dict[str, object]] = {}
        wanted = sorted(p for p in products if p)
        fields = self.schema.existing(
            "PricebookEntry", ["Id", "Product2Id", "UnitPrice", "IsActive", "CurrencyIsoCode"]
        )
        for start in range(0, len(wanted), COLLECTION_SIZE):
            chunk = wanted[start : start + COLLECTION_SIZE]
            where = f"Pricebook2Id = {quote(book)} AND Product2Id IN ({', '.join(quote(p) for p in chunk)})"
            if self.schema.multi_currency and currency:
                where += f" AND CurrencyIsoCode = {quote(currency)}"
            soql = f"SELECT {', '.join(fields)} FROM PricebookEntry WHERE {where}"
            for row in self.client.query_all("reading price book entries", soql):
                found[str(row["Product2Id"])] = row
        return found

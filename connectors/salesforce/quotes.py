"""Quotes as a real org takes them: every Quote belongs to an Opportunity (RULES.md Q1).

A Quote's ``AccountId`` and ``CurrencyIsoCode`` are read-only: the platform copies them from the
opportunity (Q2, Q6). So for a new quote SyncHub finds or creates its opportunity first:

- the native record names one (``OpportunityId``): that one is used;
- else the opportunity whose ``SyncHub_Id__c`` is the quote's SyncHub id (one SyncHub made before,
  e.g. in a run that crashed after it): found again by the upsert;
- else a new one: the quote's account, currency and name, stage ``opportunity_stage``, close date
  = the quote's expiration date (or 30 days ahead), the standard price book.

The quote then gets that opportunity and the standard price book, so its lines can use the
products' standard entries in its currency (Q4, P9). A later change of account or currency cannot
be written to a quote: it fails that record with the rule named.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import WriteRequest, WriteResult
from connectors.salesforce.batches import COLLECTION_SIZE, send_records
from connectors.salesforce.children import Child
from connectors.salesforce.entity import Items, SObjectEntity
from connectors.salesforce.soql import quote

__all__ = ["LINE_FIELDS", "Quotes"]

LINE_FIELDS = ("Product2Id", "Description", "Quantity", "UnitPrice", "Discount")
"""A quote line as SyncHub reads and writes it."""


class Quotes(SObjectEntity):
    name = "quote"
    native = "Quote"
    fields = ("Name", "Status", "ExpirationDate", "OpportunityId")
    # Q2, Q6: account and currency come from the quote's opportunity.
    read_only = ("QuoteNumber", "GrandTotal", "AccountId", "CurrencyIsoCode", "Pricebook2Id")
    children = (
        Child("QuoteLineItems", "QuoteLineItem", "QuoteId", LINE_FIELDS, ("Product2Id",), priced=True),
    )

    def prepare(
        self, upserts: Items, updates: Items
    ) -> tuple[Items, Items, dict[int, dict[str, Any]], dict[int, WriteResult]]:
        extra, refused = _prepare(self, upserts, updates)
        return upserts, updates, extra, refused


def _prepare(
    entity: Quotes, creates: Items, updates: Items
) -> tuple[dict[int, dict[str, Any]], dict[int, WriteResult]]:
    """Extra fields per new quote (its opportunity and price book), and the records refused."""
    connector = entity.connector
    refused: dict[int, WriteResult] = {}
    for index, request in updates:
        moved = [k for k in ("AccountId", "CurrencyIsoCode") if k in request.data]
        if moved:
            refused[index] = entity.refused(
                request,
                f"{', '.join(moved)} of a Salesforce quote cannot change: the quote takes them from its "
                "opportunity (RULES Q2/Q6, INVALID_FIELD_FOR_INSERT_UPDATE); fix: change the opportunity in "
                "Salesforce, or create a new quote",
                moved[0],
            )
    book = connector.pricing.standard_book()
    extra: dict[int, dict[str, Any]] = {}
    new: list[tuple[int, WriteRequest, dict[str, Any]]] = []
    made = _existing(entity, [r.ref for _, r in creates])
    for index, request in creates:
        if request.ref in made:
            # A create retried after a crash: the upsert updates the quote, and OpportunityId is
            # create-only (Q1), so it is not sent again.
            extra[index] = {"OpportunityId": None}
            continue
        given = request.data.get("OpportunityId")
        if given:
            extra[index] = {"OpportunityId": given, "Pricebook2Id": book}
            continue
        if not request.data.get("AccountId"):
            refused[index] = entity.refused(
                request, "a quote needs a customer: its opportunity is the account's", "AccountId"
            )
            continue
        new.append((index, request, _opportunity(entity, request, book)))
    if new:
        outcomes = send_records(
            connector.client,
            "finding or creating the quotes' opportunities",
            "composite/sobjects/Opportunity/SyncHub_Id__c",
            "PATCH",
            "Opportunity",
            [row for _, _, row in new],
        )
        for (index, request, _), outcome in zip(new, outcomes, strict=True):
            if outcome.ok:
                extra[index] = {"OpportunityId": outcome.id, "Pricebook2Id": book}
            else:
                refused[index] = entity.refused(
                    request,
                    f"its opportunity could not be created: {outcome.describe()}",
                    "OpportunityId",
                    transient=outcome.transient,
                )
    return extra, refused


def _existing(entity: Quotes, refs: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(refs), COLLECTION_SIZE):
        chunk = refs[start : start + COLLECTION_SIZE]
        refs_in = ", ".join(quote(r) for r in chunk)
        soql = f"SELECT Id, SyncHub_Id__c FROM Quote WHERE SyncHub_Id__c IN ({refs_in})"
        found.update(r["SyncHub_Id__c"] for r in entity.client.query_all("finding quotes made before", soql))
    return found


def _opportunity(entity: Quotes, request: WriteRequest, book: str) -> dict[str, Any]:
    connector = entity.connector
    data = request.data
    stages = connector.schema.picklist("Opportunity", "StageName")
    stage = connector.sf_settings.opportunity_stage
    if stages and stage not in stages:
        stage = stages[0]
    close = data.get("ExpirationDate") or (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    row: dict[str, Any] = {
        "SyncHub_Id__c": request.ref,
        "Name": str(data.get("Name") or f"Quote {request.ref}")[:120],
        "AccountId": data["AccountId"],
        "StageName": stage,
        "CloseDate": close,
        "Pricebook2Id": book,
    }
    if connector.schema.multi_currency and data.get("CurrencyIsoCode"):
        row["CurrencyIsoCode"] = data["CurrencyIsoCode"]
    return row

"""Which Salesforce objects and fields hold each SyncHub entity.

A native record is the main object's fields, with its child records nested under the relationship
name (an Account's ``Contacts``, a Quote's ``QuoteLineItems``) and, for products, the standard price
book entry as ``PricebookEntry``. Custom fields are listed in docs/connectors/salesforce.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ADDRESS_PARTS",
    "ENTITY_SPECS",
    "Child",
    "EntitySpec",
    "address_fields",
    "flatten_addresses",
    "nest_addresses",
]

ADDRESS_KINDS = ("Billing", "Shipping")
ADDRESS_PARTS = ("Street", "City", "PostalCode", "State", "Country")


def address_field(kind: str, part: str, codes: bool) -> str:
    """The field holding one part: with State/Country picklists, ISO codes live in ``*StateCode`` and
    ``*CountryCode`` (the text fields then only take the picklists' integration values)."""
    return f"{kind}{part}Code" if codes and part in ("State", "Country") else f"{kind}{part}"


def address_fields(codes: bool) -> tuple[str, ...]:
    return tuple(address_field(k, p, codes) for k in ADDRESS_KINDS for p in ADDRESS_PARTS)


def nest_addresses(row: dict[str, Any], codes: bool = False) -> list[dict[str, Any]]:
    """The Billing and Shipping fields of a row as a list of addresses (empty ones left out)."""
    out = []
    for kind in ADDRESS_KINDS:
        parts = {part: row.pop(address_field(kind, part, codes), None) for part in ADDRESS_PARTS}
        if any(parts.values()):
            out.append({"Kind": kind, **parts})
    return out


def flatten_addresses(addresses: list[dict[str, Any]] | None, codes: bool = False) -> dict[str, Any]:
    """Back to fields; a kind missing from the list is cleared."""
    row: dict[str, Any] = dict.fromkeys(address_fields(codes))
    for address in addresses or []:
        kind = address.get("Kind")
        if kind in ADDRESS_KINDS:
            row.update({address_field(kind, p, codes): address.get(p) for p in ADDRESS_PARTS})
    return row


@dataclass(frozen=True)
class Child:
    key: str
    """Where the children sit in the native record."""
    sobject: str
    parent_field: str
    fields: tuple[str, ...]
    match: tuple[str, ...]
    """Fields that identify a child within its parent, tried in order (first with a value wins)."""
    many: bool = True
    priced: bool = False
    """Lines: each needs the ``PricebookEntryId`` of its product in the parent's price book and currency."""


@dataclass(frozen=True)
class EntitySpec:
    sobject: str
    fields: tuple[str, ...]
    """Fields read and writable (besides Id, SystemModstamp, LastModifiedById, the external id)."""
    read_only: tuple[str, ...] = ()
    external_id: str = "SyncHub_Id__c"
    children: tuple[Child, ...] = ()
    where: str | None = None
    """A fixed filter: which records of the object are this entity."""
    attach_to_id: bool = False
    """The entity lives on an existing record (cost fields on Product2): a create updates ``Id``."""
    addresses: bool = False
    """Billing*/Shipping* fields are shown as an ``Addresses`` list (``Kind`` Billing or Shipping)."""

    def select(self) -> list[str]:
        return ["Id", "SystemModstamp", "LastModifiedById", self.external_id, *self.fields, *self.read_only]


_LINE_FIELDS = ("Product2Id", "Description", "Quantity", "UnitPrice")

ENTITY_SPECS: dict[str, EntitySpec] = {
    "customer": EntitySpec(
        "Account",
        (
            "Name",
            "CurrencyIsoCode",
            "SyncHub_Tax_Id__c",
            "SyncHub_Legal_Form__c",
            "SyncHub_Credit_Limit__c",
            "SyncHub_Payment_Terms__c",
            "SyncHub_Active__c",
        ),
        children=(
            Child(
                "Contacts",
                "Contact",
                "AccountId",
                ("FirstName", "LastName", "Email", "Phone", "Title"),
                ("Email", "LastName"),
            ),
        ),
        addresses=True,
    ),
    "product": EntitySpec(
        "Product2",
        ("Name", "ProductCode", "Description", "IsActive", "QuantityUnitOfMeasure", "CurrencyIsoCode"),
        children=(
            Child(
                "PricebookEntry",
                "PricebookEntry",
                "Product2Id",
                ("UnitPrice", "CurrencyIsoCode", "IsActive"),
                ("CurrencyIsoCode",),
                many=False,
            ),
        ),
    ),
    "quote": EntitySpec(
        "Quote",
        ("Name", "Status", "ExpirationDate", "OpportunityId"),
        # Q2, Q6: account and currency come from the quote's opportunity.
        read_only=("QuoteNumber", "GrandTotal", "AccountId", "CurrencyIsoCode", "Pricebook2Id"),
        children=(
            Child(
                "QuoteLineItems",
                "QuoteLineItem",
                "QuoteId",
                (*_LINE_FIELDS, "Discount"),
                ("Product2Id",),
                priced=True,
            ),
        ),
    ),
    # An accepted Quote is the order request; its Order (created by SyncHub, see orders.py) carries
    # the ERP's number and statuses. The record's id is the Quote's.
    "sales_order": EntitySpec(
        "Quote",
        (),
        read_only=(
            "QuoteNumber",
            "Name",
            "AccountId",
            "CurrencyIsoCode",
            "Pricebook2Id",
            "OpportunityId",
            "GrandTotal",
        ),
        where="Status = 'Accepted'",
        children=(
            Child("QuoteLineItems", "QuoteLineItem", "QuoteId", (*_LINE_FIELDS, "Discount"), ("Product2Id",)),
        ),
    ),
    "product_cost": EntitySpec(
        "Product2",
        ("SyncHub_Cost__c", "SyncHub_Cost_Method__c", "SyncHub_Cost_Date__c"),
        external_id="SyncHub_Cost_Id__c",
        where="SyncHub_Cost__c != null",
        attach_to_id=True,
    ),
    "complaint": EntitySpec(
        "Case",
        (
            "Subject",
            "Description",
            "Status",
            "Priority",
            "AccountId",
            "SyncHub_Order__c",
            "SyncHub_Order_Number__c",
            "SyncHub_Resolution__c",
        ),
        read_only=("CaseNumber", "CreatedDate"),
    ),
}

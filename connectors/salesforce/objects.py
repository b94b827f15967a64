"""Which Salesforce objects and fields hold each SyncHub entity.

A native record is the main object's fields, with its child records nested under the relationship
name (an Account's ``Contacts``, a Quote's ``QuoteLineItems``) and, for products, the standard price
book entry as ``PricebookEntry``. Custom fields are listed in docs/connectors/salesforce.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ADDRESS_PARTS", "ENTITY_SPECS", "Child", "EntitySpec", "flatten_addresses", "nest_addresses"]

ADDRESS_KINDS = ("Billing", "Shipping")
ADDRESS_PARTS = ("Street", "City", "PostalCode", "State", "Country")


def nest_addresses(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The Billing and Shipping fields of a row as a list of addresses (empty ones left out)."""
    out = []
    for kind in ADDRESS_KINDS:
        parts = {part: row.pop(f"{kind}{part}", None) for part in ADDRESS_PARTS}
        if any(parts.values()):
            out.append({"Kind": kind, **parts})
    return out


def flatten_addresses(addresses: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Back to fields; a kind missing from the list is cleared."""
    row: dict[str, Any] = {f"{k}{p}": None for k in ADDRESS_KINDS for p in ADDRESS_PARTS}
    for address in addresses or []:
        kind = address.get("Kind")
        if kind in ADDRESS_KINDS:
            row.update({f"{kind}{p}": address.get(p) for p in ADDRESS_PARTS})
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
    """Lines that need a standard ``PricebookEntryId`` for their ``Product2Id``."""


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
    needs_pricebook: bool = False
    addresses: bool = False
    """Billing*/Shipping* fields are shown as an ``Addresses`` list (``Kind`` Billing or Shipping)."""

    def select(self) -> list[str]:
        return ["Id", "SystemModstamp", "LastModifiedById", self.external_id, *self.fields, *self.read_only]


_ADDRESS = tuple(
    f"{kind}{part}"
    for kind in ("Billing", "Shipping")
    for part in ("Street", "City", "PostalCode", "State", "Country")
)
_LINE_FIELDS = ("Product2Id", "Description", "Quantity", "UnitPrice")

ENTITY_SPECS: dict[str, EntitySpec] = {
    "customer": EntitySpec(
        "Account",
        (
            "Name",
            "CurrencyIsoCode",
            *_ADDRESS,
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
        ("Name", "Status", "ExpirationDate", "AccountId", "CurrencyIsoCode"),
        read_only=("QuoteNumber", "GrandTotal"),
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
        needs_pricebook=True,
    ),
    "sales_order": EntitySpec(
        "Order",
        (
            "AccountId",
            "QuoteId",
            "Status",
            "EffectiveDate",
            "CurrencyIsoCode",
            "SyncHub_Quote_Number__c",
            "SyncHub_Delivery_Status__c",
            "SyncHub_Invoice_Status__c",
        ),
        read_only=("OrderNumber", "TotalAmount"),
        children=(
            Child(
                "OrderItems",
                "OrderItem",
                "OrderId",
                (*_LINE_FIELDS, "SyncHub_Delivered_Quantity__c"),
                ("Product2Id",),
                priced=True,
            ),
        ),
        needs_pricebook=True,
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

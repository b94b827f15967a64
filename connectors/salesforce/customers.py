"""Customers: business Accounts with their Contacts and Billing/Shipping addresses.

Person Accounts (orgs that have them) are individuals, not companies: they are left out of every
read (``IsPersonAccount = false``) and never written; accounts SyncHub creates get the org's business
record type. With State/Country picklists the ISO codes live in the ``*StateCode`` and
``*CountryCode`` fields (the text fields then take only the picklists' integration values).
"""

from __future__ import annotations

from typing import Any

from connectors.salesforce.children import Child
from connectors.salesforce.entity import SObjectEntity

__all__ = ["ADDRESS_PARTS", "Customers", "address_fields", "flatten_addresses", "nest_addresses"]

ADDRESS_KINDS = ("Billing", "Shipping")
ADDRESS_PARTS = ("Street", "City", "PostalCode", "State", "Country")


def address_field(kind: str, part: str, codes: bool) -> str:
    """The field holding one part of an address (the ``*Code`` field with State/Country picklists)."""
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


class Customers(SObjectEntity):
    name = "customer"
    native = "Account"
    fields = (
        "Name",
        "CurrencyIsoCode",
        "SyncHub_Tax_Id__c",
        "SyncHub_Legal_Form__c",
        "SyncHub_Credit_Limit__c",
        "SyncHub_Payment_Terms__c",
        "SyncHub_Active__c",
    )
    children = (
        Child(
            "Contacts",
            "Contact",
            "AccountId",
            ("FirstName", "LastName", "Email", "Phone", "Title"),
            ("Email", "LastName"),
        ),
    )

    def conditions(self) -> list[str]:
        out = super().conditions()
        if self.connector.schema.person_accounts:
            out.append("IsPersonAccount = false")
        return out

    def select_fields(self) -> list[str]:
        names = [*super().select_fields(), *address_fields(self.connector.schema.state_picklists)]
        return self.connector.schema.existing(self.native, names)

    def shape_read(self, data: dict[str, Any]) -> None:
        data["Addresses"] = nest_addresses(data, self.connector.schema.state_picklists)

    def shape_write(self, data: dict[str, Any], row: dict[str, Any], mode: str) -> None:
        schema = self.connector.schema
        if "Addresses" in data:
            row.update(flatten_addresses(data["Addresses"], schema.state_picklists))
        if mode == "upsert" and (record_type := schema.business_record_type()):
            row["RecordTypeId"] = record_type

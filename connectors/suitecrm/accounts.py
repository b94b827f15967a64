"""``customer``: SuiteCRM Accounts with their Contacts (the ``accounts_contacts`` relationship).

Credit limit, payment terms and tax id live in the SyncHub fields package (``synchub_*_c``); the
credit limit is in SuiteCRM's system currency (``currency``, see ``products.py``). The billing and
shipping address fields are given as a list, ``addresses``: ``{"kind": "billing"|"shipping",
"street", "city", "state", "postalcode", "country"}`` (an empty address is left out; one kind each).
Contacts are read through each account's ``contacts`` link and written by position: the i-th contact
SyncHub writes gets an id derived from the account and i whose first eight hex digits are i, so the
link's id order is the order they were written in. Contacts beyond the list are unlinked from the
account (not deleted: they may be people elsewhere in the CRM).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.base import RecordError
from connectors.suitecrm.client import Record
from connectors.suitecrm.entity import CurrencyMixin, positional_id
from connectors.suitecrm.errors import RecordExists
from connectors.suitecrm.fields import Spec, encode

__all__ = ["ADDRESS_KINDS", "CONTACT_FIELDS", "Customers", "contact_id"]

_ADDRESS = {"street": 150, "city": 100, "state": 100, "postalcode": 20, "country": 255}
ADDRESS_KINDS = ("billing", "shipping")
ACCOUNT_SPECS: dict[str, Spec] = {
    "name": Spec(max_length=255, required=True),
    "email1": Spec(max_length=100),
    "phone_office": Spec(max_length=100),
    "website": Spec(max_length=255),
    "description": Spec("text"),
    **{
        f"{kind}_address_{part}": Spec(max_length=n)
        for kind in ("billing", "shipping")
        for part, n in _ADDRESS.items()
    },
    "synchub_credit_limit_c": Spec("decimal"),
    "synchub_payment_terms_c": Spec(max_length=100),
    "synchub_tax_id_c": Spec(max_length=64),
}
CONTACT_SPECS: dict[str, Spec] = {
    "first_name": Spec(max_length=100),
    "last_name": Spec(max_length=100, required=True),
    "email1": Spec(max_length=100),
    "phone_work": Spec(max_length=100),
    "title": Spec(max_length=100),
}
CONTACT_FIELDS = tuple(CONTACT_SPECS)
RELATED_PAGE = 100


def contact_id(account_id: str, position: int) -> str:
    """The id of the contact SyncHub writes at ``position`` of the account's list (id order = position)."""
    return positional_id(account_id, "contact", position)


class Customers(CurrencyMixin):
    name = "customer"
    native = "Accounts"
    specs = ACCOUNT_SPECS
    read_fields = tuple(ACCOUNT_SPECS)
    decimals = ("synchub_credit_limit_c",)

    def child_fields(self) -> tuple[str, ...]:
        return ("contacts",)

    def shape(self, row: Record) -> dict[str, Any]:
        data = super().shape(row)
        addresses = []
        for kind in ADDRESS_KINDS:
            address = {part: data.pop(f"{kind}_address_{part}") for part in _ADDRESS}
            if any(address.values()):
                addresses.append({"kind": kind, **address})
        data["addresses"] = addresses
        return data

    def attributes(self, data: Mapping[str, Any], *, creating: bool) -> dict[str, str]:
        flat = {k: v for k, v in data.items() if k != "addresses"}
        if "addresses" in data:
            given: dict[str, Mapping[str, Any]] = {}
            for position, address in enumerate(data.get("addresses") or []):
                kind = address.get("kind") if isinstance(address, Mapping) else None
                if kind not in ADDRESS_KINDS or kind in given:
                    raise RecordError(
                        f"addresses[{position}]: SuiteCRM keeps one billing and one shipping address; "
                        f"kind {kind!r} is not one of them or comes twice (check the mapping's kind map)",
                        field="addresses",
                    )
                unknown = set(address) - {"kind", *_ADDRESS}
                if unknown:
                    raise RecordError(
                        f"addresses[{position}]: SuiteCRM addresses have no {', '.join(sorted(unknown))}",
                        field="addresses",
                    )
                given[kind] = address
            for kind in ADDRESS_KINDS:
                for part in _ADDRESS:
                    flat[f"{kind}_address_{part}"] = given.get(kind, {}).get(part)
        return super().attributes(flat, creating=creating)

    def with_children(self, datas: list[dict[str, Any]], rows: Sequence[Record]) -> list[dict[str, Any]]:
        for data, row in zip(datas, rows, strict=True):
            data["contacts"] = self.contacts_of(row.id)
        return datas

    def contacts_of(self, account_id: str) -> list[dict[str, Any]]:
        found: list[Record] = []
        number = 1
        while True:
            page = self.client.related(
                self.native, account_id, "contacts", page_number=number, page_size=RELATED_PAGE
            )
            found += page.records
            if page.is_last or not page.records:
                break
            number += 1
        return [_contact(row) for row in sorted(found, key=lambda r: r.id)]

    def write_children(self, record_id: str, data: Mapping[str, Any], *, created: bool) -> None:
        if "contacts" not in data:
            return
        wanted = list(data.get("contacts") or [])
        current = [] if created else self.contacts_of(record_id)
        for position, contact in enumerate(wanted):
            if not isinstance(contact, Mapping):
                raise RecordError(f"contacts[{position}] is not a record: {contact!r}", field="contacts")
            fields = {k: v for k, v in contact.items() if k != "id"}
            try:
                attributes = encode(CONTACT_SPECS, fields, "Contacts")
            except RecordError as exc:
                raise RecordError(f"contacts[{position}]: {exc}", field=f"contacts.{exc.field}") from None
            if position < len(current):
                have = current[position]
                changed = {k: v for k, v in attributes.items() if (have.get(k) or "") != v}
                if changed:
                    self.client.update("Contacts", have["id"], changed)
                continue
            self._add_contact(record_id, position, attributes)
        for extra in current[len(wanted) :]:
            self.client.unrelate(self.native, record_id, "contacts", extra["id"])

    def _add_contact(self, account_id: str, position: int, attributes: dict[str, str]) -> None:
        chosen = contact_id(account_id, position)
        try:
            self.client.create("Contacts", {**attributes, "account_id": account_id}, record_id=chosen)
        except RecordExists:  # written before (a retried create, or unlinked since): take it back
            self.client.update("Contacts", chosen, attributes)
            self.client.relate(self.native, account_id, "Contacts", chosen)


def _contact(row: Record) -> dict[str, Any]:
    data: dict[str, Any] = {"id": row.id}
    for name in CONTACT_FIELDS:
        raw = row.attributes.get(name, "")
        data[name] = None if raw in ("", None) else raw
    return data

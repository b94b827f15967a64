"""``customer``: a BottleCRM account with its contacts nested, as one native record.

BottleCRM keeps contacts as records of their own, joined to accounts by the many-to-many
``Account.contacts`` (what its account page lists) and a "primary account" key on the contact. The
connector hides that: a customer reads as the account's fields, its one address as
``addresses: [{...}]``, and ``contacts: [{...}]``; writing ``contacts`` creates, updates and deletes
contact records and relinks them. Contacts are matched to what is there by email, else by name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from connectors.bottlecrm.client import ApiRefusal
from connectors.bottlecrm.entity import BottleCrmEntity, pick
from connectors.bottlecrm.paging import ListPage, scan

__all__ = ["ACCOUNT_FIELDS", "ADDRESS_FIELDS", "CONTACT_FIELDS", "Customers"]

ACCOUNT_FIELDS = ("name", "email", "phone", "website", "industry", "currency", "description", "is_active")
ADDRESS_FIELDS = ("address_line", "city", "state", "postcode", "country")
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "title")


def _contacts_page(body: Any) -> ListPage:
    """``GET /api/contacts/``: ``{count, results}`` or, split by activity, ``contact_obj_list``."""
    if "results" in body:
        return list(body["results"] or []), int(body.get("count") or 0)
    return list(body.get("contact_obj_list") or []), int(body.get("contacts_count") or 0)


def _accounts_page(body: Any) -> ListPage:
    """``GET /api/accounts/?is_active=...``: one of the two halves the list splits accounts into."""
    active, closed = body.get("active_accounts") or {}, body.get("closed_accounts") or {}
    rows = list(active.get("open_accounts") or []) + list(closed.get("close_accounts") or [])
    return rows, int(active.get("open_accounts_count") or 0) + int(closed.get("close_accounts_count") or 0)


def _native_contact(contact: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(contact["id"]), **pick(contact, CONTACT_FIELDS)}


def _native_account(account: dict[str, Any], contacts: list[dict[str, Any]]) -> dict[str, Any]:
    address = pick(account, ADDRESS_FIELDS)
    return {
        "id": str(account["id"]),
        **pick(account, ACCOUNT_FIELDS),
        "addresses": [address] if any(v not in (None, "") for v in address.values()) else [],
        "contacts": sorted(contacts, key=lambda c: (c.get("email") or "", c["id"])),
    }


def _contact_key(contact: dict[str, Any]) -> str:
    email = (contact.get("email") or "").strip().lower()
    if email:
        return f"email:{email}"
    return f"name:{contact.get('first_name') or ''} {contact.get('last_name') or ''}".strip().lower()


def _flat(data: dict[str, Any]) -> dict[str, Any]:
    """Native customer fields -> the account body: ``addresses[0]`` becomes the flat address."""
    body = {k: v for k, v in data.items() if k in ACCOUNT_FIELDS}
    if "addresses" in data:
        addresses = data.get("addresses") or []
        first = addresses[0] if addresses else {}
        body.update({name: first.get(name) for name in ADDRESS_FIELDS})
    for name in ("email", "website", "currency", "country"):
        if name in body and body[name] == "":
            body[name] = None  # BottleCRM validates these: an empty string is not "none"
    return body


class Customers(BottleCrmEntity):
    name = "customer"
    native = "account"

    def scan(self, page_size: int) -> Iterator[list[dict[str, Any]]]:
        by_account = self._contacts_by_account(page_size)
        for active in ("true", "false"):
            pages = scan(
                lambda paging, active=active: _accounts_page(
                    self.client.get("accounts/", {"is_active": active, **paging})
                ),
                page_size=page_size,
                what="account list",
            )
            for rows in pages:
                yield [_native_account(row, by_account.get(str(row["id"]), [])) for row in rows]

    def _contacts_by_account(self, page_size: int) -> dict[str, list[dict[str, Any]]]:
        """Contacts grouped by the accounts they are linked to (one pass over all contacts)."""
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        pages = scan(
            lambda paging: _contacts_page(self.client.get("contacts/", paging)),
            page_size=page_size,
            what="contact list",
        )
        for rows in pages:
            for contact in rows:
                for account in contact.get("linked_accounts") or []:
                    grouped[str(account["id"])].append(_native_contact(contact))
        return grouped

    def fetch_one(self, record_id: str) -> dict[str, Any] | None:
        body = self._get_or_none(f"accounts/{record_id}/")
        if not body:
            return None
        account = body.get("account_obj") or {}
        contacts = [_native_contact(c) for c in body.get("contacts") or []]
        return _native_account(account, contacts)

    def create(self, data: dict[str, Any], ref: str) -> str:
        reply = self.client.call("POST", "accounts/", json=_flat(data))
        account_id = str(reply["id"])
        try:
            if data.get("contacts"):
                self._sync_contacts(account_id, [], data["contacts"])
        except Exception:
            # All or nothing: an account without the contacts it was sent would be linked and never fixed.
            self.delete(account_id)
            raise
        return account_id

    def update(self, record_id: str, data: dict[str, Any]) -> None:
        body = _flat(data)
        if body:
            self.client.call("PATCH", f"accounts/{record_id}/", json=body)
        if "contacts" in data:
            current = self.fetch_one(record_id)
            if current is None:
                raise ApiRefusal(404, f"account {record_id} no longer exists in BottleCRM")
            self._sync_contacts(record_id, current["contacts"], data.get("contacts") or [])

    def delete(self, record_id: str) -> None:
        current = self.fetch_one(record_id)
        self._delete(f"accounts/{record_id}/")
        for contact in (current or {}).get("contacts", []):
            self._delete(f"contacts/{contact['id']}/")

    def _sync_contacts(
        self, account_id: str, current: list[dict[str, Any]], wanted: list[dict[str, Any]]
    ) -> None:
        existing = {_contact_key(c): c for c in current}
        keep: list[str] = []
        for contact in wanted:
            fields = {k: contact.get(k) for k in CONTACT_FIELDS if k in contact}
            if fields.get("email") == "":
                fields["email"] = None
            match = existing.pop(_contact_key(contact), None)
            if match is None:
                reply = self.client.call("POST", "contacts/", json={**fields, "account": account_id})
                keep.append(str(reply.get("id") or reply.get("contact_id") or reply["contact"]["id"]))
                continue
            changed = {k: v for k, v in fields.items() if match.get(k) != v}
            if changed:
                self.client.call("PATCH", f"contacts/{match['id']}/", json=changed)
            keep.append(str(match["id"]))
        self.client.call("PATCH", f"accounts/{account_id}/", json={"contacts": keep})
        for gone in existing.values():
            self._delete(f"contacts/{gone['id']}/")

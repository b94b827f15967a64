"""customer = a ``res.partner`` company with its contacts (child partners).

Native shape::

    {"name", "ref", "vat", "email", "phone", "website", "active", "credit_limit": Decimal | None,
     "property_payment_term_id": "30 Days", "currency": "EUR" (the company's, read only),
     "addresses": [{"street", "street2", "zip", "city", "country": "BE"}],
     "contacts": [{"name", "email", "phone", "function"}]}

Companies only (``is_company``, no parent), never the user's own company. Contacts are written as
``child_ids`` commands in the company's own ``write`` (one transaction, and the company is
re-stamped); a contact changed alone in Odoo stamps only the contact, so a company's change mark is
the latest of its own and its contacts' (``related.py``); a contact no longer wanted is archived, not deleted
(orders may point to it). ``credit_limit`` is ``None`` unless the partner has its own limit
(``use_partner_credit_limit``); payment terms are named by the term's name. Odoo keeps a company's
address on the partner itself: ``addresses`` holds it as one item (none when every part is empty),
and writing takes its first item.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from connectors.base import RecordError
from connectors.odoo.domains import Domain, all_of, equals, is_in, leaf
from connectors.odoo.entities.base import ALL, as_decimal, m2o, stamp, text
from connectors.odoo.entities.related import FollowsRelated

PLAIN = ("name", "ref", "vat", "email", "phone", "website", "active")
ADDRESS = ("street", "street2", "zip", "city")
CONTACT_FIELDS = ("name", "email", "phone", "function")


class Customer(FollowsRelated):
    name = "customer"
    native = "res.partner"
    fields: ClassVar[tuple[str, ...]] = (
        *PLAIN,
        *ADDRESS,
        "country_id",
        "credit_limit",
        "use_partner_credit_limit",
        "property_payment_term_id",
        "child_ids",
    )
    field_hints = (("VAT number", "vat"),)
    related_model = "res.partner"
    related_fields = ("parent_id",)

    def related_domain(self) -> Domain:
        return all_of(leaf("parent_id", "!=", False), equals("is_company", False))

    def owners(self, row: dict[str, Any]) -> list[int]:
        parent = m2o(row["parent_id"])
        return [parent] if parent else []

    def related_stamps(self, ids: list[int]) -> dict[int, datetime]:
        if not ids:
            return {}
        rows = self.call(
            "search_read", domain=is_in("parent_id", ids), fields=["parent_id", "write_date"], context=ALL
        )
        latest: dict[int, datetime] = {}
        for row in rows:
            parent, moment = m2o(row["parent_id"]), stamp(row["write_date"])
            if parent and moment and (parent not in latest or moment > latest[parent]):
                latest[parent] = moment
        return latest

    def scope(self) -> Domain:
        return all_of(
            equals("is_company", True),
            equals("parent_id", False),
            leaf("id", "not in", self.connector.company["partners"]),
        )

    def shape(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        children = [c for row in rows for c in row["child_ids"]]
        contacts: dict[int, dict[str, Any]] = {}
        if children:
            found = self.call("read", children, fields=[*CONTACT_FIELDS, "active", "type"], context=ALL)
            contacts = {r["id"]: r for r in found if r["active"] and r["type"] == "contact"}
        currency = self.connector.company["currency"]
        return [
            {
                **{k: text(row[k]) for k in PLAIN if k != "active"},
                "active": bool(row["active"]),
                "addresses": self._address(row),
                "credit_limit": as_decimal(row["credit_limit"]) if row["use_partner_credit_limit"] else None,
                "property_payment_term_id": self.refs.code_of(
                    "payment_term", row["property_payment_term_id"]
                ),
                "currency": currency,
                "contacts": [
                    {k: text(contacts[c][k]) for k in CONTACT_FIELDS}
                    for c in sorted(row["child_ids"])
                    if c in contacts
                ],
            }
            for row in rows
        ]

    def _address(self, row: Mapping[str, Any]) -> list[dict[str, Any]]:
        address = {k: text(row[k]) for k in ADDRESS}
        address["country"] = self.refs.code_of("country", row["country_id"])
        return [address] if any(address.values()) else []

    # -- writes ------------------------------------------------------------------------------------
    def _values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {k: data[k] if data[k] is not None else False for k in PLAIN if k in data}
        if "name" in values and not values["name"]:
            raise RecordError("field 'name' is empty; an Odoo company needs a name", field="name")
        if "active" in values:
            values["active"] = bool(values["active"])
        if "addresses" in data:
            address = (data["addresses"] or [{}])[0]
            values.update({k: address.get(k) or False for k in ADDRESS})
            values["country_id"] = self.code("country", address.get("country"), "addresses[0].country")
        if "property_payment_term_id" in data:
            values["property_payment_term_id"] = self.code(
                "payment_term", data["property_payment_term_id"], "property_payment_term_id"
            )
        if "credit_limit" in data:
            limit = data["credit_limit"]
            values["use_partner_credit_limit"] = limit is not None
            values["credit_limit"] = limit if limit is not None else 0.0
        return values

    def create_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        values = self._values(data)
        if not values.get("name"):
            raise RecordError("field 'name' is missing; an Odoo company needs a name", field="name")
        values["is_company"] = True
        values["customer_rank"] = 1
        values["child_ids"] = [[0, 0, _contact(c, i)] for i, c in enumerate(data.get("contacts") or [])]
        return values

    def write_values(self, record_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
        values = self._values(data)
        if "contacts" in data:
            commands = self._contact_commands(record_id, data["contacts"] or [])
            if commands:
                values["child_ids"] = commands
        return values

    def _contact_commands(self, record_id: int, wanted: list[Mapping[str, Any]]) -> list[list[Any]]:
        """Commands that make the company's active contacts hold ``wanted``, position by position;
        only contacts whose values differ are written."""
        (row,) = self.call("read", [record_id], fields=["child_ids"], context=ALL)
        current = []
        if row["child_ids"]:
            found = self.call(
                "read", row["child_ids"], fields=[*CONTACT_FIELDS, "active", "type"], context=ALL
            )
            current = sorted(
                (r for r in found if r["active"] and r["type"] == "contact"), key=lambda r: r["id"]
            )
        commands: list[list[Any]] = []
        for index, contact in enumerate(wanted):
            values = _contact(contact, index)
            if index < len(current):
                old = current[index]
                diff = {k: v for k, v in values.items() if k != "type" and (old.get(k) or False) != v}
                if diff:
                    commands.append([1, old["id"], diff])
            else:
                commands.append([0, 0, values])
        commands += [[1, old["id"], {"active": False}] for old in current[len(wanted) :]]
        return commands


def _contact(contact: Mapping[str, Any], index: int) -> dict[str, Any]:
    if not contact.get("name"):
        raise RecordError(
            f"contact {index + 1} has no name; Odoo contacts require one", field=f"contacts[{index}].name"
        )
    values = {k: contact.get(k) or False for k in CONTACT_FIELDS}
    values["type"] = "contact"
    return values

"""customer = ``party.party`` with its addresses, contact mechanisms, tax id and credit limit.

Native shape::

    {"name", "code", "active", "tax_identifier": "DE811907980", "currency": "EUR" (company, read only),
     "credit_limit_amount": Decimal, "customer_payment_term": "30 days net",
     "addresses": [{"street": "line 1\\nline 2", "postal_code", "city", "country": "DE",
                    "subdivision": "DE-BE", "invoice": bool, "delivery": bool}],
     "contacts": [{"name", "email", "phone", "comment"}]}

``contacts`` groups the party's contact mechanisms by their ``name``: one person with an email
and a phone is two mechanisms in Tryton and one contact here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from connectors.base import RecordError
from connectors.tryton.entities.base import TrytonEntity
from connectors.tryton.refdata import UnknownCode

ADDRESS_FIELDS = ("street", "postal_code", "city", "country", "subdivision", "invoice", "delivery")
PHONE_TYPES = ("phone", "mobile")
PARTY_PLAIN = ("name", "active", "credit_limit_amount")


class Customer(TrytonEntity):
    name = "customer"
    native = "party.party"
    children: ClassVar[Mapping[str, str]] = {
        "party.address": "addresses",
        "party.contact_mechanism": "contacts",
        "party.identifier": "tax_identifier",
    }
    fields: ClassVar[tuple[str, ...]] = (
        "name",
        "code",
        "active",
        "currency",
        "credit_limit_amount",
        "customer_payment_term",
        "identifiers",
        "addresses",
        "contact_mechanisms",
    )
    # inactive parties are customers too: a deactivation must reach the other side
    domain: ClassVar[list[Any]] = ["active", "in", [True, False]]

    def shape(self, rows: list[dict]) -> list[dict[str, Any]]:
        address_ids = [a for row in rows for a in row["addresses"]]
        mechanism_ids = [m for row in rows for m in row["contact_mechanisms"]]
        identifier_ids = [i for row in rows for i in row["identifiers"]]
        addresses = self._read("party.address", address_ids, ["sequence", *ADDRESS_FIELDS])
        mechanisms = self._read(
            "party.contact_mechanism", mechanism_ids, ["type", "value", "name", "comment"]
        )
        identifiers = self._read("party.identifier", identifier_ids, ["type", "code"])
        out = []
        for row in rows:
            out.append(
                {
                    "name": row["name"],
                    "code": row["code"],
                    "active": row["active"],
                    "tax_identifier": _tax_code([identifiers[i] for i in row["identifiers"]]),
                    "currency": self.refs.code_of("currency.currency", row["currency"]),
                    "credit_limit_amount": row["credit_limit_amount"],
                    "customer_payment_term": self.refs.code_of(
                        "account.invoice.payment_term", row["customer_payment_term"]
                    ),
                    "addresses": [self._address(addresses[a]) for a in row["addresses"]],
                    "contacts": _contacts([mechanisms[m] for m in row["contact_mechanisms"]]),
                }
            )
        return out

    def _read(self, model: str, ids: list[int], fields: list[str]) -> dict[int, dict]:
        if not ids:
            return {}
        return {r["id"]: r for r in self.call("read", ids, fields, model=model)}

    def _address(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "street": row["street"] or None,
            "postal_code": row["postal_code"] or None,
            "city": row["city"] or None,
            "country": self.refs.code_of("country.country", row["country"]),
            "subdivision": self.refs.code_of("country.subdivision", row["subdivision"]),
            "invoice": bool(row["invoice"]),
            "delivery": bool(row["delivery"]),
        }

    # -- writes ------------------------------------------------------------------------------------
    def _party_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        values = {k: data[k] for k in PARTY_PLAIN if k in data}
        if "name" in values and not values["name"]:
            raise RecordError("field 'name' is empty; a Tryton party needs a name", field="name")
        if "customer_payment_term" in data:
            values["customer_payment_term"] = self._code(
                "account.invoice.payment_term", data["customer_payment_term"], "customer_payment_term"
            )
        return values

    def _code(self, model: str, code: Any, field: str) -> int | None:
        try:
            return self.refs.id_of(model, code)
        except UnknownCode as exc:
            raise RecordError(
                f"field {field!r}: {exc}; create it in Tryton or map another value", field=field
            ) from None

    def _address_values(self, address: Mapping[str, Any], index: int) -> dict[str, Any]:
        values: dict[str, Any] = {k: address.get(k) for k in ("street", "postal_code", "city")}
        values = {k: v or "" for k, v in values.items()}
        values["country"] = self._code(
            "country.country", address.get("country"), f"addresses[{index}].country"
        )
        values["subdivision"] = self._code(
            "country.subdivision", address.get("subdivision"), f"addresses[{index}].subdivision"
        )
        values["invoice"] = bool(address.get("invoice"))
        values["delivery"] = bool(address.get("delivery"))
        return values

    def create_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        values = self._party_values(data)
        if not values.get("name"):
            raise RecordError("field 'name' is missing; a Tryton party needs a name", field="name")
        values["addresses"] = [
            ["create", [self._address_values(a, i) for i, a in enumerate(data.get("addresses") or [])]]
        ]
        values["contact_mechanisms"] = [["create", _mechanisms(data.get("contacts") or [])]]
        if data.get("tax_identifier"):
            values["identifiers"] = [["create", [self._identifier(data["tax_identifier"])]]]
        return values

    def _identifier(self, code: str) -> dict[str, Any]:
        # No type by default: typed identifiers (eu_vat, ...) reject numbers that fail their checksum.
        return {"type": self.options.get("tax_identifier_type"), "code": code}

    def change(self, record_id: int, data: Mapping[str, Any]) -> None:
        values = self._party_values(data)
        (row,) = self.call("read", [record_id], ["addresses", "contact_mechanisms", "identifiers"])
        if "addresses" in data:
            values["addresses"] = _replace_list(
                row["addresses"],
                [self._address_values(a, i) for i, a in enumerate(data["addresses"] or [])],
                leftover="deactivate",
            )
        if "contacts" in data:
            values["contact_mechanisms"] = _replace_list(
                row["contact_mechanisms"], _mechanisms(data["contacts"] or []), leftover="delete"
            )
        if "tax_identifier" in data:
            code = data["tax_identifier"]
            if row["identifiers"] and code:
                values["identifiers"] = [["write", row["identifiers"][:1], {"code": code}]]
            elif code:
                values["identifiers"] = [["create", [self._identifier(code)]]]
            elif row["identifiers"]:
                values["identifiers"] = [["delete", row["identifiers"][:1]]]
        # Always written, even with only child changes: it moves the party's last_modified_at,
        # which is what change tracking follows.
        self.call("write", [record_id], values)


def _replace_list(existing: list[int], wanted: list[dict[str, Any]], *, leftover: str) -> list[list[Any]]:
    """One2Many operations that make ``existing`` hold ``wanted``, position by position."""
    ops: list[list[Any]] = []
    for record_id, values in zip(existing, wanted, strict=False):
        ops.append(["write", [record_id], values])
    if len(wanted) > len(existing):
        ops.append(["create", wanted[len(existing) :]])
    rest = existing[len(wanted) :]
    if rest:
        # addresses may be used by sales: deactivate them rather than fail on delete
        ops.append(["write", rest, {"active": False}] if leftover == "deactivate" else ["delete", rest])
    return ops


def _tax_code(identifiers: list[Mapping[str, Any]]) -> str | None:
    return identifiers[0]["code"] if identifiers else None


def _contacts(mechanisms: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    people: dict[str, dict[str, Any]] = {}
    for mech in mechanisms:
        person = people.setdefault(
            mech["name"] or "", {"name": mech["name"] or None, "email": None, "phone": None, "comment": None}
        )
        if mech["type"] == "email" and person["email"] is None:
            person["email"] = mech["value"]
        elif mech["type"] in PHONE_TYPES and person["phone"] is None:
            person["phone"] = mech["value"]
        if mech["comment"] and person["comment"] is None:
            person["comment"] = mech["comment"]
    return list(people.values())


def _mechanisms(contacts: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for contact in contacts:
        base = {"name": contact.get("name") or "", "comment": contact.get("comment") or ""}
        if contact.get("email"):
            out.append({**base, "type": "email", "value": contact["email"]})
        if contact.get("phone"):
            out.append({**base, "type": "phone", "value": contact["phone"]})
    return out

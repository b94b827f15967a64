"""``base``, ``account`` and friends: partners, users, countries, currencies, payment terms, modules.

Field lists follow Odoo 17-19 (``res.partner.mobile`` is gone in 19). ``res.partner``: contacts need
a name (SQL constraint ``check_name``), hierarchies may not loop, ``vat`` is checked when ``base_vat``
is installed, and commercial fields (``vat``, payment terms) flow from a company to its contacts -
which re-stamps those contacts.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from tests.emulators.odoo.exceptions import ValidationError
from tests.emulators.odoo.fields import Field
from tests.emulators.odoo.orm import BaseModel, model_api

__all__ = ["MODELS"]

COMMERCIAL_FIELDS = ("vat", "property_payment_term_id")


class Country(BaseModel):
    _name = "res.country"
    _description = "Country"
    _order = "name"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "Country Name", required=True),
        "code": Field("char", "Country Code"),
    }


class CountryState(BaseModel):
    _name = "res.country.state"
    _description = "Country state"
    _order = "code"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "State Name", required=True),
        "code": Field("char", "State Code", required=True),
        "country_id": Field("many2one", "Country", relation="res.country", required=True),
    }


class Currency(BaseModel):
    _name = "res.currency"
    _description = "Currency"
    _order = "active desc, name"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "Currency", required=True),
        "symbol": Field("char", "Symbol", required=True),
        "decimal_places": Field("integer", "Decimal Places", default=2),
        "active": Field("boolean", "Active", default=True),
    }


class Company(BaseModel):
    _name = "res.company"
    _description = "Companies"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "Company Name", required=True),
        "currency_id": Field("many2one", "Currency", relation="res.currency", required=True),
        "partner_id": Field("many2one", "Partner", relation="res.partner", required=True),
    }


class Users(BaseModel):
    _name = "res.users"
    _description = "User"
    _order = "name, login"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "Name"),
        "login": Field("char", "Login", required=True),
        "active": Field("boolean", "Active", default=True),
        "lang": Field("char", "Language"),
        "tz": Field("char", "Timezone"),
        "company_id": Field("many2one", "Company", relation="res.company"),
    }

    @model_api
    def context_get(self) -> dict[str, Any]:
        row = self._row(self.env.uid)
        return {"lang": row.get("lang") or "en_US", "tz": row.get("tz") or False, "uid": self.env.uid}


class PaymentTerm(BaseModel):
    _module = "account"
    _name = "account.payment.term"
    _description = "Payment Terms"
    _order = "sequence, id"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "Payment Terms", required=True),
        "sequence": Field("integer", "Sequence", default=10),
        "active": Field("boolean", "Active", default=True),
        "note": Field("html", "Description on the Invoice"),
    }


class Tax(BaseModel):
    _module = "account"
    _name = "account.tax"
    _description = "Tax"
    _order = "sequence, id"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "Tax Name", required=True),
        "sequence": Field("integer", "Sequence", default=1),
        "amount": Field("float", "Amount", required=True, digits=4),
        "type_tax_use": Field(
            "selection",
            "Tax Type",
            selection=(("sale", "Sales"), ("purchase", "Purchases"), ("none", "None")),
        ),
        "active": Field("boolean", "Active", default=True),
    }


class Module(BaseModel):
    _name = "ir.module.module"
    _description = "Module"
    _order = "application desc, sequence, name"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "Technical Name", required=True, readonly=True),
        "shortdesc": Field("char", "Module Name", readonly=True),
        "application": Field("boolean", "Application", readonly=True),
        "sequence": Field("integer", "Sequence", default=100),
        "state": Field(
            "selection",
            "Status",
            readonly=True,
            selection=(
                ("uninstallable", "Uninstallable"),
                ("uninstalled", "Not Installed"),
                ("installed", "Installed"),
                ("to upgrade", "To be upgraded"),
                ("to remove", "To be removed"),
                ("to install", "To be installed"),
            ),
        ),
    }


def _languages(model: BaseModel) -> tuple[tuple[str, str], ...]:
    return tuple(model.env.registry.settings.get("languages", (("en_US", "English (US)"),)))


_VAT_EXAMPLES = {
    "be": "BE0477472701",
    "de": "DE123456788",
    "fr": "FR23334175221",
    "nl": "NL123456782B90",
    "gb": "GB123456782",
}


def _vat_ok(country: str, number: str) -> bool:
    """The structure and checksums base_vat (python-stdnum) checks, for the countries emulated."""
    if country == "be":
        if len(number) == 9:
            number = "0" + number
        return bool(re.fullmatch(r"[01]\d{9}", number)) and 97 - int(number[:8]) % 97 == int(number[8:])
    if country == "de":
        return bool(re.fullmatch(r"[1-9]\d{8}", number))
    if country == "fr":
        if not re.fullmatch(r"[0-9A-Z]{2}\d{9}", number):
            return False
        key, siren = number[:2], int(number[2:])
        return not key.isdigit() or int(key) == (12 + 3 * (siren % 97)) % 97
    if country == "nl":
        return bool(re.fullmatch(r"\d{9}B\d{2}", number))
    if country == "gb":
        return bool(re.fullmatch(r"\d{9}|\d{12}", number))
    return True


class Partner(BaseModel):
    _name = "res.partner"
    _description = "Contact"
    _order = "complete_name ASC, id DESC"
    _rec_name = "name"
    _parent_name = "parent_id"
    _declared: ClassVar[dict[str, Field]] = {
        "name": Field("char", "Name"),
        "complete_name": Field(
            "char", "Complete Name", compute="_compute_complete_name", depends=("name", "parent_id.name")
        ),
        "is_company": Field("boolean", "Is a Company", default=False),
        "company_type": Field(
            "selection",
            "Company Type",
            selection=(("person", "Individual"), ("company", "Company")),
            compute="_compute_company_type",
            inverse="_write_company_type",
            store=False,
        ),
        "type": Field(
            "selection",
            "Address Type",
            default="contact",
            selection=(
                ("contact", "Contact"),
                ("invoice", "Invoice Address"),
                ("delivery", "Delivery Address"),
                ("other", "Other Address"),
            ),
        ),
        "parent_id": Field("many2one", "Related Company", relation="res.partner"),
        "child_ids": Field("one2many", "Contact", relation="res.partner", inverse_name="parent_id"),
        "commercial_partner_id": Field(
            "many2one",
            "Commercial Entity",
            relation="res.partner",
            compute="_compute_commercial_partner",
            depends=("is_company", "parent_id", "parent_id.commercial_partner_id"),
        ),
        "ref": Field("char", "Reference"),
        "vat": Field("char", "Tax ID"),
        "email": Field("char", "Email"),
        "phone": Field("char", "Phone"),
        "mobile": Field("char", "Mobile", until=18),
        "function": Field("char", "Job Position"),
        "website": Field("char", "Website Link"),
        "comment": Field("html", "Notes"),
        "street": Field("char", "Street"),
        "street2": Field("char", "Street2"),
        "zip": Field("char", "Zip"),
        "city": Field("char", "City"),
        "state_id": Field("many2one", "State", relation="res.country.state", ondelete="restrict"),
        "country_id": Field("many2one", "Country", relation="res.country", ondelete="restrict"),
        "lang": Field("selection", "Language", selection=_languages),
        "active": Field("boolean", "Active", default=True),
        "customer_rank": Field("integer", "Customer Rank", default=0),
        "supplier_rank": Field("integer", "Supplier Rank", default=0),
        "user_id": Field("many2one", "Salesperson", relation="res.users"),
        "company_id": Field("many2one", "Company", relation="res.company"),
        "property_payment_term_id": Field(
            "many2one",
            "Customer Payment Terms",
            relation="account.payment.term",
            company_dependent=True,
            module="account",
        ),
        "credit_limit": Field("float", "Credit Limit", company_dependent=True, digits=2, module="account"),
        "use_partner_credit_limit": Field("boolean", "Partner Limit", module="account"),
        "property_product_pricelist": Field(
            "many2one", "Pricelist", relation="product.pricelist", company_dependent=True, module="product"
        ),
        "sale_order_ids": Field(
            "one2many", "Sales Order", relation="sale.order", inverse_name="partner_id", module="sale"
        ),
    }
    _sql_constraints: ClassVar[list[tuple[str, str]]] = [("_check_name", "Contacts require a name")]
    _constraints: ClassVar[list[tuple[tuple[str, ...], str]]] = [
        (("parent_id",), "_check_parent_id"),
        (("vat", "country_id"), "_check_vat"),
    ]

    def _check_name(self, row: dict[str, Any]) -> bool:
        return row.get("type") != "contact" or row.get("name") is not None

    def _compute_complete_name(self, i: int) -> str | None:
        row = self._row(i)
        name = row.get("name")
        parent = row.get("parent_id")
        if parent and not row.get("is_company") and name:
            return f"{self._value(parent, 'name') or ''}, {name}"
        return name

    def _compute_display_name(self, i: int) -> str:
        return str(self._value(i, "complete_name") or self._value(i, "name") or "")

    def _compute_company_type(self, i: int) -> str:
        return "company" if self._row(i).get("is_company") else "person"

    def _write_company_type(self, ids: list[int], value: Any) -> None:
        self._browse(ids).write({"is_company": value == "company"})

    def _compute_commercial_partner(self, i: int) -> int:
        row = self._row(i)
        if row.get("is_company") or not row.get("parent_id"):
            return i
        return int(self._value(row["parent_id"], "commercial_partner_id") or row["parent_id"])

    def _check_parent_id(self) -> None:
        for i in self.ids:
            seen = {i}
            parent = self._row(i).get("parent_id")
            while parent:
                if parent in seen:
                    raise ValidationError("You cannot create recursive Partner hierarchies.")
                seen.add(parent)
                parent = self._db.row(self._name, parent).get("parent_id")

    def _check_vat(self) -> None:
        if "base_vat" not in self.env.registry.modules:
            return
        for i in self.ids:
            row = self._row(i)
            vat = row.get("vat")
            if not vat:
                continue
            compact = re.sub(r"[\s.\-/]", "", vat).upper()
            if re.match(r"^[A-Z]{2}", compact) and compact[:2].lower() in _VAT_EXAMPLES:
                country, number = compact[:2].lower(), compact[2:]
            elif row.get("country_id"):
                country, number = str(self._value(row["country_id"], "code") or "").lower(), compact
            else:
                continue
            if not _vat_ok(country, number):
                example = _VAT_EXAMPLES.get(country, "'CC##' (CC=Country Code, ##=VAT Number)")
                raise ValidationError(
                    f"\nThe VAT number [{vat}] for partner [{row.get('name') or ''}] does not seem to be "
                    f"valid. \nNote: the expected format is {example}"
                )

    def _create_one(self, vals: dict[str, Any]) -> int:
        i = super()._create_one(vals)
        record = self._browse([i])
        if self._row(i).get("parent_id"):
            record._sync_from_company()
        return i

    def write(self, vals: dict[str, Any]) -> bool:
        result = super().write(vals)
        if "parent_id" in vals:
            self._browse([i for i in self.ids if self._row(i).get("parent_id")])._sync_from_company()
        if set(vals) & set(COMMERCIAL_FIELDS):
            self._sync_to_children()
        return result

    def _sync_from_company(self) -> None:
        for i in self.ids:
            commercial = self._value(i, "commercial_partner_id")
            if commercial and commercial != i:
                values = {f: self._db.row(self._name, commercial).get(f) for f in COMMERCIAL_FIELDS}
                if any(self._row(i).get(f) != v for f, v in values.items()):
                    super(Partner, self._browse([i])).write({f: v or False for f, v in values.items()})

    def _sync_to_children(self) -> None:
        for i in self.ids:
            if self._value(i, "commercial_partner_id") != i:
                continue
            children = [
                c
                for c, row in self._db.tables[self._name].items()
                if c != i and row.get("commercial_partner_id") == i and not row.get("is_company")
            ]
            if children:
                self._browse(children)._sync_from_company()


MODELS: list[type[BaseModel]] = [
    Country,
    CountryState,
    Currency,
    Company,
    Users,
    PaymentTerm,
    Tax,
    Module,
    Partner,
]

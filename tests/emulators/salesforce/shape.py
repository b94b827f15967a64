"""An org's shape: which features are on, and the objects and fields that follow from them.

Real orgs differ in ways the connector must survive: multi-currency adds ``CurrencyIsoCode`` to
every object (absent when off), Person Accounts swap in another Account describe, State/Country
picklists add ``<Address>StateCode`` / ``<Address>CountryCode`` picklists beside the text fields.
The SyncHub custom fields are the org's setup as ``docs/connectors/salesforce.md`` tells an admin
to create them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import pycountry

from .contract import PREFIXES, FieldSpec, ObjectSpec, load_objects

__all__ = ["STATE_COUNTRIES", "OrgShape", "build_schema", "countries", "states"]


@dataclass(frozen=True)
class OrgShape:
    multi_currency: bool = True
    person_accounts: bool = False
    state_country_picklists: bool = False
    currencies: tuple[str, ...] = ("EUR", "USD", "GBP", "CHF", "JPY", "CNY")
    """Active currencies (multi-currency); the first is the corporate currency."""
    currency: str = "EUR"
    """The org's only currency when multi-currency is off."""

    @property
    def corporate_currency(self) -> str:
        return self.currencies[0] if self.multi_currency else self.currency

    def label(self) -> str:
        return "-".join(
            (
                "multicurrency" if self.multi_currency else "single-currency",
                "personaccounts" if self.person_accounts else "business-only",
                "statepicklists" if self.state_country_picklists else "text-addresses",
            )
        )


# Standard countries whose states are on by default (Salesforce Help, "Standard Countries and
# Territories for Address Picklists": the starred ones) and whose ISO 3166-2 codes Salesforce uses.
STATE_COUNTRIES = ("US", "CA", "AU", "BR", "IN", "IE", "IT", "MX")


@cache
def countries() -> dict[str, str]:
    """ISO code -> integration value (the ISO name, as in a fresh org)."""
    return {c.alpha_2: c.name for c in pycountry.countries}


@cache
def states(country: str) -> dict[str, str]:
    if country not in STATE_COUNTRIES:
        return {}
    return {s.code.split("-", 1)[1]: s.name for s in pycountry.subdivisions.get(country_code=country) or []}


def _text(name: str, length: int, **kw: object) -> FieldSpec:
    return FieldSpec(name, "string", createable=True, updateable=True, length=length, custom=True, **kw)  # type: ignore[arg-type]


def _pick(name: str, *values: str) -> FieldSpec:
    # New custom picklists are restricted to their value set by default: the stricter choice.
    return FieldSpec(
        name,
        "picklist",
        createable=True,
        updateable=True,
        length=255,
        picklist=values,
        restricted=True,
        custom=True,
    )


def _number(name: str, kind: str = "double") -> FieldSpec:
    return FieldSpec(name, kind, createable=True, updateable=True, custom=True)


SYNCHUB_ID = _text("SyncHub_Id__c", 64, external_id=True, unique=True)
CUSTOM: dict[str, tuple[FieldSpec, ...]] = {
    "Account": (
        SYNCHUB_ID,
        _text("SyncHub_Tax_Id__c", 40),
        _text("SyncHub_Legal_Form__c", 80),
        _number("SyncHub_Credit_Limit__c", "currency"),
        _pick("SyncHub_Payment_Terms__c", "Net 14", "Net 30", "Net 60", "Prepayment"),
        FieldSpec(
            "SyncHub_Active__c",
            "boolean",
            createable=True,
            updateable=True,
            nillable=False,
            defaulted=True,
            default=True,
            custom=True,
        ),
    ),
    "Opportunity": (SYNCHUB_ID,),
    "Product2": (
        SYNCHUB_ID,
        _number("SyncHub_Cost__c", "currency"),
        _pick("SyncHub_Cost_Method__c", "Standard", "Average", "FIFO", "Actual"),
        FieldSpec("SyncHub_Cost_Date__c", "date", createable=True, updateable=True, custom=True),
        _text("SyncHub_Cost_Id__c", 64, external_id=True, unique=True),
    ),
    "Quote": (SYNCHUB_ID,),
    "Order": (
        SYNCHUB_ID,
        _text("SyncHub_Quote_Number__c", 30),
        _text("SyncHub_ERP_Number__c", 64),
        _pick("SyncHub_ERP_Status__c", "Draft", "Confirmed", "Processing", "Done", "Cancelled"),
        _pick("SyncHub_Delivery_Status__c", "None", "Partial", "Delivered"),
        _pick("SyncHub_Invoice_Status__c", "None", "Partial", "Invoiced", "Paid"),
    ),
    "OrderItem": (_number("SyncHub_Delivered_Quantity__c"),),
    "Case": (
        SYNCHUB_ID,
        FieldSpec(
            "SyncHub_Order__c",
            "reference",
            createable=True,
            updateable=True,
            length=18,
            reference_to=("Order",),
            custom=True,
        ),
        _text("SyncHub_Order_Number__c", 30),
        FieldSpec(
            "SyncHub_Resolution__c", "textarea", createable=True, updateable=True, length=32768, custom=True
        ),
    ),
}
# Features this emulated org does not have: their fields are absent, as in such an org.
ABSENT_FEATURES = {"product schedules", "Field Service", "record types defined for the object"}
ADDRESS_PREFIXES = (
    "Billing",
    "Shipping",
    "Mailing",
    "Other",
    "PersonMailing",
    "PersonOther",
    "QuoteTo",
    "Additional",
)


def _system_object(name: str, fields: dict[str, FieldSpec]) -> ObjectSpec:
    base = {
        "Id": FieldSpec("Id", "id", nillable=False, defaulted=True, length=18, id_lookup=True),
        "Name": FieldSpec("Name", "string", length=121),
        "IsDeleted": FieldSpec("IsDeleted", "boolean", nillable=False, defaulted=True),
        "SystemModstamp": FieldSpec("SystemModstamp", "datetime", nillable=False, defaulted=True),
        "LastModifiedById": FieldSpec("LastModifiedById", "reference", reference_to=("User",), length=18),
    }
    return ObjectSpec(name, PREFIXES[name], {**base, **fields})


def _currency_field(shape: OrgShape, current: FieldSpec | None) -> FieldSpec:
    # Recorded single-currency describes have none: a multi-currency org's is a restricted picklist
    # of the active currencies, writable on the main objects, defaulted to the user's currency.
    base = current or FieldSpec(
        "CurrencyIsoCode",
        "picklist",
        label="Currency ISO Code",
        createable=True,
        updateable=True,
        defaulted=True,
    )
    return replace(base, picklist=shape.currencies, restricted=True, length=3, feature=None)


def _address_codes(fields: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
    out: dict[str, FieldSpec] = {}
    for prefix in ADDRESS_PREFIXES:
        country = fields.get(f"{prefix}Country")
        if country is None:
            continue
        flags = {"createable": country.createable, "updateable": country.updateable, "restricted": True}
        out[f"{prefix}CountryCode"] = FieldSpec(
            f"{prefix}CountryCode",
            "picklist",
            length=10,
            picklist=tuple(countries()),
            **flags,  # type: ignore[arg-type]
        )
        every_state = tuple(sorted({code for c in STATE_COUNTRIES for code in states(c)}))
        out[f"{prefix}StateCode"] = FieldSpec(
            f"{prefix}StateCode",
            "picklist",
            length=10,
            picklist=every_state,
            controller=f"{prefix}CountryCode",
            **flags,  # type: ignore[arg-type]
        )
    return out


def build_schema(folder: Path, shape: OrgShape) -> dict[str, ObjectSpec]:
    """The objects of an org of this shape: the contract's fields, the features, our custom fields."""
    objects = load_objects(folder, person_accounts=shape.person_accounts)
    out: dict[str, ObjectSpec] = {}
    for name, spec in objects.items():
        fields: dict[str, FieldSpec] = {}
        for fname, f in spec.fields.items():
            if f.custom:
                continue  # the recording org's own custom fields are not this org's
            if f.feature in ABSENT_FEATURES:
                continue
            if fname == "CurrencyIsoCode":
                continue  # decided below by the shape
            fields[fname] = f
        if shape.multi_currency:
            fields["CurrencyIsoCode"] = _currency_field(shape, spec.fields.get("CurrencyIsoCode"))
        if shape.state_country_picklists:
            fields.update(_address_codes(fields))
        fields.update({f.name: f for f in CUSTOM.get(name, ())})
        out[name] = spec.with_fields(fields)
    ref = FieldSpec("Username", "string", length=80)
    out["User"] = _system_object("User", {"Username": ref})
    out["RecordType"] = _system_object(
        "RecordType", {"SobjectType": FieldSpec("SobjectType", "string", length=40)}
    )
    return out

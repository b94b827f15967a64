"""What a real org says about its objects, read from ``$SYNCHUB_CONTRACTS/salesforce/describe/``.

Two kinds of files (see SOURCES.md there): real recorded ``<Object>.describe.json`` responses and
compiled ``<Object>.fields.json`` tables. Both become :class:`FieldSpec` rows here; nothing of the
contract is copied into this repository, it is read when an emulated org starts.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "COMPILED",
    "RECORDED",
    "ContractMissing",
    "FieldSpec",
    "ObjectSpec",
    "contracts_dir",
    "load_objects",
    "recorded_describe",
]

REPO = Path(__file__).resolve().parents[3]
RECORDED = ("Account", "Contact", "Case", "Opportunity")
"""Objects with a real recorded describe (Account with Person Accounts is a second file)."""
COMPILED = (
    "Product2",
    "Pricebook2",
    "PricebookEntry",
    "Quote",
    "QuoteLineItem",
    "Order",
    "OrderItem",
    "OpportunityLineItem",
)
# Real key prefixes (the recorded describes carry theirs; these are the documented ones).
PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "Case": "500",
    "Opportunity": "006",
    "Product2": "01t",
    "Pricebook2": "01s",
    "PricebookEntry": "01u",
    "Quote": "0Q0",
    "QuoteLineItem": "0QL",
    "Order": "801",
    "OrderItem": "802",
    "OpportunityLineItem": "00k",
    "User": "005",
    "Organization": "00D",
    "RecordType": "012",
}


class ContractMissing(RuntimeError):
    """The describe folder is not there: tests skip with this reason (and fail under CI=true)."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    label: str = ""
    createable: bool = False
    updateable: bool = False
    nillable: bool = True
    defaulted: bool = False
    required_on_create: bool = False
    length: int | None = None
    """Maximum text length; None where the contract does not establish it."""
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    reference_to: tuple[str, ...] = ()
    id_lookup: bool = False
    external_id: bool = False
    unique: bool = False
    default: Any = None
    controller: str | None = None
    feature: str | None = None
    """The org feature the field needs (``multicurrency``, ``product schedules``...); None = always there."""
    custom: bool = False

    def describe(self) -> dict[str, Any]:
        """The field as a describe answer shows it (the keys a client reads)."""
        return {
            "name": self.name,
            "label": self.label or self.name,
            "type": self.type,
            "createable": self.createable,
            "updateable": self.updateable,
            "nillable": self.nillable,
            "defaultedOnCreate": self.defaulted,
            "length": self.length or 0,
            "picklistValues": [
                {"value": v, "label": v, "active": True, "defaultValue": False, "validFor": None}
                for v in self.picklist
            ],
            "restrictedPicklist": self.restricted,
            "referenceTo": list(self.reference_to),
            "idLookup": self.id_lookup,
            "externalId": self.external_id,
            "unique": self.unique,
            "defaultValue": self.default,
            "controllerName": self.controller,
            "custom": self.custom,
            "dependentPicklist": self.controller is not None,
        }


@dataclass(frozen=True)
class ObjectSpec:
    name: str
    prefix: str
    fields: dict[str, FieldSpec]
    record_types: tuple[dict[str, Any], ...] = ()
    recorded: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    """The recorded describe body, when there is one: served with the org's own fields."""

    def with_fields(self, fields: dict[str, FieldSpec]) -> ObjectSpec:
        return replace(self, fields=fields)


def contracts_dir() -> Path:
    root = Path(os.environ.get("SYNCHUB_CONTRACTS") or REPO.parent / "shared" / "contracts")
    folder = root / "salesforce" / "describe"
    if not (folder / "RULES.md").exists():
        raise ContractMissing(
            f"Salesforce describe contract not found at {folder}; set SYNCHUB_CONTRACTS to the "
            "contracts folder"
        )
    return folder


def _recorded_field(row: dict[str, Any]) -> FieldSpec:
    createable, nillable, defaulted = row["createable"], row["nillable"], row["defaultedOnCreate"]
    return FieldSpec(
        name=row["name"],
        type=row["type"],
        label=row.get("label") or row["name"],
        createable=createable,
        updateable=row["updateable"],
        nillable=nillable,
        defaulted=defaulted,
        # M1: createable, not nillable, not defaulted on create -> required on insert.
        required_on_create=createable and not nillable and not defaulted,
        length=row.get("length") or None if row["type"] in _TEXT else None,
        picklist=tuple(p["value"] for p in row.get("picklistValues") or [] if p.get("active", True)),
        restricted=bool(row.get("restrictedPicklist")),
        reference_to=tuple(row.get("referenceTo") or ()),
        id_lookup=bool(row.get("idLookup")),
        external_id=bool(row.get("externalId")),
        unique=bool(row.get("unique")),
        default=row.get("defaultValue"),
        controller=row.get("controllerName"),
        custom=bool(row.get("custom")),
    )


def _compiled_field(row: dict[str, Any]) -> FieldSpec:
    values = row.get("picklistValues") or []
    return FieldSpec(
        name=row["name"],
        type=row["type"],
        label=row.get("label") or row["name"],
        createable=bool(row["createable"]),
        updateable=bool(row["updateable"]),
        nillable=bool(row["nillable"]),
        defaulted=bool(row["defaultedOnCreate"]),
        # The compiled tables carry M1's answer, corrected by documented rules (requiredBasis).
        required_on_create=bool(row.get("requiredOnCreate")),
        length=row.get("length") if row["type"] in _TEXT else None,
        picklist=tuple(v["value"] if isinstance(v, dict) else str(v) for v in values),
        restricted=bool(row.get("restrictedPicklist")),
        reference_to=tuple(row.get("referenceTo") or ()),
        id_lookup=bool(row.get("idLookup")),
        external_id=bool(row.get("externalId")),
        unique=bool(row.get("unique")),
        default=row.get("defaultValue"),
        feature=_feature(row.get("onlyWithFeature")),
    )


_TEXT = {"string", "textarea", "email", "phone", "url", "picklist", "id", "reference"}


def _feature(value: Any) -> str | None:
    # "see notes" marks documented fields that need Quotes enabled: the emulated org has them.
    return None if value in (None, "see notes") else str(value)


@cache
def recorded_describe(folder: Path, name: str) -> dict[str, Any]:
    return json.loads((folder / f"{name}.describe.json").read_text(encoding="utf-8"))


@cache
def _compiled(folder: Path, name: str) -> list[dict[str, Any]]:
    return json.loads((folder / f"{name}.fields.json").read_text(encoding="utf-8"))


def load_objects(folder: Path, *, person_accounts: bool = False) -> dict[str, ObjectSpec]:
    """Every object of the contract, fields as the org's metadata states them (no org shape applied)."""
    out: dict[str, ObjectSpec] = {}
    for name in RECORDED:
        body = recorded_describe(
            folder, "Account_PersonAccount" if name == "Account" and person_accounts else name
        )
        fields = {row["name"]: _recorded_field(row) for row in body["fields"]}
        out[name] = ObjectSpec(
            name,
            body.get("keyPrefix") or PREFIXES[name],
            fields,
            tuple(r for r in body.get("recordTypeInfos") or []),
            body,
        )
    for name in COMPILED:
        fields = {row["name"]: _compiled_field(row) for row in _compiled(folder, name)}
        out[name] = ObjectSpec(name, PREFIXES[name], fields)
    return out

"""The emulator against the contract itself: every field of every describe/fields file.

The files are read here on their own (not through the emulator's loader), and for each field the
test tries a write the contract forbids, through simple-salesforce: a field that is not createable
sent on insert, one that is not updateable sent on update, a required one left out, a value outside
a restricted picklist, text longer than the known length, a reference to nothing. Each must be
refused with the code a real org gives.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.emulators.salesforce import OrgShape, SalesforceEmulator
from tests.emulators.salesforce.contract import contracts_dir

from .conftest import require_contract
from .org_setup import Setup, client, refusal

FILES = [
    ("Account.describe.json", OrgShape()),
    ("Account_PersonAccount.describe.json", OrgShape(person_accounts=True)),
    ("Contact.describe.json", OrgShape()),
    ("Case.describe.json", OrgShape()),
    ("Opportunity.describe.json", OrgShape()),
    *(
        (f"{name}.fields.json", OrgShape())
        for name in (
            "Product2",
            "Pricebook2",
            "PricebookEntry",
            "Quote",
            "QuoteLineItem",
            "Order",
            "OrderItem",
            "OpportunityLineItem",
        )
    ),
]
# Fields whose feature this org does not have (the emulator leaves them out: INVALID_FIELD is right).
ABSENT = {"product schedules", "Field Service", "record types defined for the object"}


def _fields(path: Path) -> list[dict[str, Any]]:
    body = json.loads(path.read_text(encoding="utf-8"))
    rows = body["fields"] if isinstance(body, dict) else body
    return [f for f in rows if not f.get("custom") and f.get("onlyWithFeature") not in ABSENT]


def _sample(field: dict[str, Any], setup: Setup) -> Any:
    kind = field["type"]
    if kind == "boolean":
        return True
    if kind in ("double", "currency", "percent", "int"):
        return 1
    if kind == "date":
        return "2026-01-01"
    if kind == "datetime":
        return "2026-01-01T00:00:00.000+0000"
    if kind in ("reference", "id"):
        return setup.account
    if kind == "picklist" and field.get("picklistValues"):
        first = field["picklistValues"][0]
        return first["value"] if isinstance(first, dict) else first
    return "x"


@pytest.fixture
def world(request: pytest.FixtureRequest) -> tuple[Setup, str, list[dict[str, Any]]]:
    require_contract()
    filename, shape = request.param
    emulator = SalesforceEmulator(shape)
    setup = Setup(client(emulator), emulator)
    sobject = filename.split(".")[0].split("_")[0]
    return setup, sobject, _fields(contracts_dir() / filename)


@pytest.mark.parametrize("world", FILES, indirect=True, ids=[f for f, _ in FILES])
def test_the_emulator_refuses_every_write_the_contract_forbids(
    world: tuple[Setup, str, list[dict[str, Any]]],
) -> None:
    setup, sobject, fields = world
    api = getattr(setup.sf, sobject)
    person = sobject == "Account" and setup.emulator.org.shape.person_accounts

    def base() -> dict[str, Any]:
        return setup.base(sobject)

    record_id = api.create(base())["id"]  # the base body itself is accepted: the refusals below are real
    checked = 0
    for field in fields:
        name = field["name"]
        if name == "CurrencyIsoCode":
            continue  # the org shape decides it; test_emulator_rules covers both shapes
        if person and name.startswith(("Person", "First", "Last", "Salutation")):
            continue  # person fields on a business account: refused by the Person Account rule instead
        value = _sample(field, setup)
        if not field["createable"]:
            code, names = refusal(api.create, {**base(), name: value}, what=f"{sobject}.{name} on insert")
            assert (code, name in names) == ("INVALID_FIELD_FOR_INSERT_UPDATE", True), (sobject, name, code)
            checked += 1
        if not field["updateable"]:
            code, names = refusal(api.update, record_id, {name: value}, what=f"{sobject}.{name} on update")
            assert (code, name in names) == ("INVALID_FIELD_FOR_INSERT_UPDATE", True), (sobject, name, code)
            checked += 1
        required = field.get("requiredOnCreate")
        if required is None:
            required = field["createable"] and not field["nillable"] and not field["defaultedOnCreate"]
        if required and name in base():
            body = {k: v for k, v in base().items() if k != name}
            code, names = refusal(api.create, body, what=f"{sobject} without {name}")
            # O1: a line without a price book entry is a field integrity exception on a real org.
            expected = (
                "FIELD_INTEGRITY_EXCEPTION"
                if (sobject, name) == ("OpportunityLineItem", "PricebookEntryId")
                else "REQUIRED_FIELD_MISSING"
            )
            assert code == expected and name in names, (sobject, name, code)
            checked += 1
        if field["createable"] and field["type"] == "picklist" and field.get("restrictedPicklist"):
            code, names = refusal(
                api.create, {**base(), name: "Not A Value"}, what=f"{sobject}.{name} bad picklist value"
            )
            assert code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" and name in names, (sobject, name, code)
            checked += 1
        length = field.get("length")
        if (
            field["createable"]
            and field["type"] in ("string", "textarea", "email", "phone", "url")
            and length
        ) and not (person and name == "Name"):
            code, names = refusal(
                api.create, {**base(), name: "y" * (length + 1)}, what=f"{sobject}.{name} too long"
            )
            assert code == "STRING_TOO_LONG" and name in names, (sobject, name, code)
            checked += 1
        if field["createable"] and field["type"] == "reference" and name not in ("RecordTypeId",):
            code, names = refusal(
                api.create, {**base(), name: "001000000000999AAA"}, what=f"{sobject}.{name} dangling"
            )
            assert code in ("INVALID_CROSS_REFERENCE_KEY", "ENTITY_IS_DELETED") and name in names, (
                sobject,
                name,
            )
            checked += 1
    code, names = refusal(api.create, {**base(), "No_Such_Field__c": "x"})
    assert (code, names) == ("INVALID_FIELD", ["No_Such_Field__c"])
    assert checked >= 5, f"{sobject}: only {checked} refusals checked"


def test_the_global_describe_agrees_with_the_recorded_one_on_every_object_both_have() -> None:
    require_contract()
    recorded = json.loads((contracts_dir() / "Global.describe.json").read_text(encoding="utf-8"))
    emulator = SalesforceEmulator(OrgShape())
    served = {s["name"]: s for s in client(emulator).describe()["sobjects"]}
    common = [s for s in recorded["sobjects"] if s["name"] in served]
    assert {s["name"] for s in common} >= {"Account", "Contact", "Case", "Opportunity", "User"}
    for sobject in common:
        assert served[sobject["name"]]["keyPrefix"] == sobject["keyPrefix"], sobject["name"]

"""The vendor's published metadata (``$SYNCHUB_CONTRACTS/suitecrm``) agrees with the real server and
with the fields and routes the client and docs rely on."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from connectors.suitecrm import SuiteCrmClient

REPO = Path(__file__).resolve().parents[2]

# Fields docs/connectors/suitecrm.md builds on, with the type SuiteCRM gives them.
RELIED_ON = {
    "Accounts": {"name": "name", "email1": "varchar", "billing_address_city": "varchar", "contacts": "link"},
    "AOS_Products": {"part_number": "varchar", "price": "currency", "cost": "currency", "type": "enum"},
    "AOS_Quotes": {
        "stage": "enum",
        "number": "int",
        "expiration": "date",
        "billing_account_id": "id",
        "currency_id": "id",
        "total_amount": "currency",
        "aos_products_quotes": "link",
        "aos_line_item_groups": "link",
    },
    "Cases": {"status": "dynamicenum", "priority": "enum", "resolution": "text", "account_id": "relate"},
}


def _contracts() -> Path:
    root = Path(os.environ.get("SYNCHUB_CONTRACTS") or REPO.parent / "shared" / "contracts") / "suitecrm"
    if not (root / "fields.json").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"SuiteCRM contracts missing at {root}: CI must provide them (set SYNCHUB_CONTRACTS)")
        pytest.skip(f"SuiteCRM contracts not found at {root}; set SYNCHUB_CONTRACTS to the contracts folder")
    return root


def _load(name: str) -> Any:
    return json.loads((_contracts() / name).read_text())


def test_published_field_lists_describe_the_real_server(client: SuiteCrmClient) -> None:
    for module, fields in _load("fields.json").items():
        live = {name: d.get("type") for name, d in client.field_definitions(module).items()}
        assert {name: live.get(name) for name in fields} == fields, module


def test_fields_the_connector_relies_on_are_published_as_such() -> None:
    published = _load("fields.json")
    for module, fields in RELIED_ON.items():
        assert {name: published[module].get(name) for name in fields} == fields, module
    detail = _load("fields-detail.json")
    assert detail["AOS_Products"]["fields"]["part_number"]["len"] == "25"  # the SKU limit the docs name
    assert detail["AOS_Products"]["fields"]["price"]["len"] == "26,6"


def test_every_route_the_client_uses_is_in_the_published_api() -> None:
    paths = set(_load("swagger.json")["paths"])
    used = {
        "/module/{moduleName}/{id}",  # get, delete
        "/module/{module}",  # page, scan
        "/module",  # create, update
        "/module/{moduleName}/{id}/relationships/{relationship}",  # related
        "/module/{moduleName}/{id}/relationships",  # relate
        "/module/{moduleName}/{id}/relationships/{relationship}/{relatedBeanId}",  # unrelate
        "/logout",
    }
    assert used <= paths

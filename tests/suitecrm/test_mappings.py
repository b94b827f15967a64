"""The shipped SuiteCRM mappings are valid and translate the connector's native shapes both ways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sync_engine.mapping import load_mapping, validate_mapping_file
from sync_engine.model import to_canonical_dict, validate_canonical
from tests.mapping.helpers import EchoLinks, assert_round_trip

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
ENTITIES = ("customer", "product", "quote", "sales_order", "complaint", "product_cost")


QUOTE: dict[str, Any] = {
    "number": "7",
    "name": "Pumpenanlage / 泵系统",
    "stage": "Closed Accepted",
    "expiration": "2099-12-31",
    "term": None,
    "billing_account_id": "a-1",
    "description": None,
    "currency": "EUR",
    "total_amount": "137.5",
    "lines": [{"product_id": "p-1", "name": "バルブ", "product_qty": "3", "product_unit_price": "12.5"}],
    "order_date": "2026-11-30",
    "synchub_order_number_c": "SO-7",
    "synchub_order_status_c": "processing",
    "synchub_delivery_status_c": None,
    "synchub_invoice_status_c": None,
}
SAMPLES: dict[str, dict[str, Any]] = {
    "customer": {
        "name": "株式会社 山田 1",
        "email1": None,
        "phone_office": None,
        "website": None,
        "description": None,
        "currency": "EUR",
        "synchub_credit_limit_c": "5000",
        "synchub_payment_terms_c": "30 days net",
        "synchub_tax_id_c": "JP1234567890123",
        "addresses": [
            {
                "kind": "billing",
                "street": "千代田区1-1\n2F",
                "city": "東京",
                "state": None,
                "postalcode": "100",
                "country": "JP",
            },
        ],
        "contacts": [
            {
                "id": "c-1",
                "first_name": "太郎",
                "last_name": "山田",
                "email1": "t@example.jp",
                "phone_work": "+81312345678",
                "title": "社長",
            },
        ],
    },
    "product": {
        "part_number": "S1",
        "name": "مضخة",
        "description": None,
        "price": "12.5",
        "type": None,
        "currency": "EUR",
    },
    "quote": QUOTE,
    "sales_order": QUOTE,
    "product_cost": {
        "product": "p-1",
        "cost": "7.25",
        "synchub_cost_date_c": "2026-01-01",
        "synchub_cost_method_c": "average",
        "currency": "EUR",
    },
    "complaint": {
        "name": '壊れた "pump" \\ leak',
        "description": "وصف",
        "status": "Open_Pending Input",
        "priority": "P1",
        "resolution": None,
        "type": None,
        "account_id": "a-1",
        "case_number": "3",
        "state": "Open",
        "date_entered": "2026-11-22T08:17:00+00:00",
    },
}


@pytest.mark.parametrize("entity", ENTITIES)
def test_shipped_suitecrm_mapping_is_valid(entity: str) -> None:
    assert validate_mapping_file(MAPPINGS / "suitecrm" / f"{entity}.yaml") == []


@pytest.mark.parametrize("entity", ENTITIES)
def test_a_native_record_maps_to_a_valid_canonical_record_and_back(entity: str) -> None:
    assert_round_trip("suitecrm", entity, SAMPLES[entity])


def test_customer_addresses_and_credit_limit() -> None:
    canonical = load_mapping(MAPPINGS, "suitecrm", "customer").to_canonical(
        SAMPLES["customer"], EchoLinks("crm")
    )
    [address] = canonical["addresses"]
    assert (address["kind"], address["street"], address["street2"]) == ("invoice", "千代田区1-1", "2F")
    assert (
        str(canonical["credit_limit"]["amount"]) == "5000" and canonical["credit_limit"]["currency"] == "EUR"
    )
    assert canonical["contacts"][0]["name"] == "太郎 山田"


def test_an_accepted_quote_reads_as_an_order_and_only_the_erp_fields_go_back() -> None:
    mapping = load_mapping(MAPPINGS, "suitecrm", "sales_order")
    order = mapping.to_canonical(QUOTE, EchoLinks("crm"))
    assert (order["number"], order["status"], order["quote_reference"]) == ("SO-7", "processing", "7")
    canonical = to_canonical_dict(validate_canonical("sales_order", order))
    assert set(mapping.to_native(canonical, EchoLinks("crm"))) == {
        "synchub_order_number_c",
        "synchub_order_status_c",
        "synchub_delivery_status_c",
        "synchub_invoice_status_c",
    }


def test_complaint_status_and_priority() -> None:
    mapping = load_mapping(MAPPINGS, "suitecrm", "complaint")
    case = mapping.to_canonical(SAMPLES["complaint"], EchoLinks("crm"))
    assert (case["status"], case["priority"], case["customer_id"]) == ("in_progress", "high", "customer:a-1")
    canonical = to_canonical_dict(validate_canonical("complaint", case))
    back = mapping.to_native({**canonical, "status": "resolved", "priority": "urgent"}, EchoLinks("crm"))
    assert (back["status"], back["priority"]) == ("Closed_Closed", "P1")

"""The shipped BottleCRM mappings are valid and translate the connector's native shapes both ways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sync_engine.mapping import load_mapping, validate_mapping_file
from sync_engine.model import to_canonical_dict, validate_canonical
from tests.mapping.helpers import EchoLinks, assert_round_trip

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
ENTITIES = ("customer", "product", "quote", "sales_order", "complaint", "product_cost")


LINE = {"product": "p-1", "name": "バルブ", "description": "", "quantity": "2.00", "unit_price": "10.00"}
ESTIMATE: dict[str, Any] = {
    "estimate_number": "EST-20261122-0001",
    "title": "Quote",
    "status": "Accepted",
    "currency": "EUR",
    "issue_date": "2026-11-22",
    "expiry_date": "2099-12-31",
    "notes": "",
    "account": "a-1",
    "contact": "c-1",
    "total_amount": "24.95",
    "accepted_at": "2026-11-22T08:20:00Z",
    "erp": {
        "erp_order_number": "SO-7",
        "erp_order_status": "processing",
        "erp_delivery_status": None,
        "erp_invoice_status": None,
    },
    "line_items": [{**LINE, "discount_type": "PERCENTAGE", "discount_value": "10.00"}],
}
SAMPLES: dict[str, dict[str, Any]] = {
    "customer": {
        "name": "株式会社 山田 1",
        "email": None,
        "phone": None,
        "website": None,
        "industry": None,
        "currency": "JPY",
        "description": None,
        "is_active": True,
        "addresses": [
            {"address_line": "千代田区1-1", "city": "東京", "state": None, "postcode": "100", "country": "JP"}
        ],
        "contacts": [
            {
                "id": "c-1",
                "first_name": "太郎",
                "last_name": "山田",
                "email": "t@example.jp",
                "phone": "+81312345678",
                "title": "社長",
            }
        ],
    },
    "product": {
        "sku": "S1",
        "name": "مضخة",
        "description": None,
        "price": "12.50",
        "currency": "EUR",
        "category": None,
        "is_active": True,
    },
    "quote": ESTIMATE,
    "sales_order": ESTIMATE,
    "product_cost": {
        "product": "p-1",
        "erp_cost": "7.25",
        "erp_cost_currency": "EUR",
        "erp_cost_method": "average",
        "erp_cost_date": "2026-01-01",
    },
    "complaint": {
        "name": "壊れた",
        "status": "Pending",
        "priority": "High",
        "case_type": "Problem",
        "description": "وصف",
        "closed_on": None,
        "account": "a-1",
        "created_at": "2026-11-22T08:17:07.123982Z",
    },
}


@pytest.mark.parametrize("entity", ENTITIES)
def test_shipped_bottlecrm_mapping_is_valid(entity: str) -> None:
    assert validate_mapping_file(MAPPINGS / "bottlecrm" / f"{entity}.yaml") == []


@pytest.mark.parametrize("entity", ENTITIES)
def test_a_native_record_maps_to_a_valid_canonical_record_and_back(entity: str) -> None:
    assert_round_trip("bottlecrm", entity, SAMPLES[entity])


def test_quote_and_order_read_what_the_salesperson_sold() -> None:
    quote = load_mapping(MAPPINGS, "bottlecrm", "quote").to_canonical(ESTIMATE, EchoLinks("crm"))
    order = load_mapping(MAPPINGS, "bottlecrm", "sales_order").to_canonical(ESTIMATE, EchoLinks("crm"))
    assert quote["status"] == "accepted" and quote["customer_id"] == "customer:a-1"
    assert str(quote["lines"][0]["discount_percent"]) == "10.00"
    assert (order["number"], order["status"], order["quote_reference"]) == (
        "SO-7",
        "processing",
        "EST-20261122-0001",
    )


def test_only_the_erp_status_is_written_back_to_an_accepted_estimate() -> None:
    mapping = load_mapping(MAPPINGS, "bottlecrm", "sales_order")
    canonical = to_canonical_dict(
        validate_canonical("sales_order", mapping.to_canonical(ESTIMATE, EchoLinks("crm")))
    )
    assert set(mapping.to_native(canonical, EchoLinks("crm"))) == {"erp"}

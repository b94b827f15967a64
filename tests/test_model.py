"""The canonical model's promises: exact money, UTC timestamps, Unicode intact, strict keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from sync_engine.model import (
    ENTITIES,
    Complaint,
    Customer,
    Money,
    Product,
    decimal_text,
    entity_model,
    to_canonical_dict,
    validate_canonical,
)

MINIMAL: dict[str, dict[str, Any]] = {
    "customer": {"name": "Acme GmbH"},
    "product": {"sku": "SKU-1", "name": "Widget"},
    "quote": {"customer_id": "c1", "currency": "EUR"},
    "sales_order": {"customer_id": "c1", "currency": "EUR"},
    "product_cost": {
        "product_id": "p1",
        "cost": {"amount": "1.10", "currency": "EUR"},
        "effective_date": "2026-01-31",
    },
    "complaint": {"customer_id": "c1", "subject": "Broken on arrival"},
}


def _floats_in(value: Any) -> list[Any]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats_in(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats_in(v)]
    return []


def test_every_entity_has_a_minimal_example_here() -> None:
    assert set(MINIMAL) == set(ENTITIES)


@given(
    st.integers(0, 12).flatmap(
        lambda places: st.decimals(allow_nan=False, allow_infinity=False, places=places)
    ),
    st.sampled_from(["EUR", "USD", "JPY"]),
)
def test_money_round_trips_through_json_without_losing_a_digit(amount: Decimal, currency: str) -> None:
    product = Product(sku="S", name="N", list_price=Money(amount=amount, currency=currency))
    dumped = json.loads(json.dumps(to_canonical_dict(product)))

    assert _floats_in(dumped) == []
    back = validate_canonical("product", dumped)
    assert isinstance(back, Product) and back.list_price is not None
    assert back.list_price.amount == amount
    # one text per value: the exponent a system happened to use is not kept
    assert dumped["list_price"]["amount"] == decimal_text(amount)


def test_money_amount_is_dumped_as_an_exact_string() -> None:
    money = Money(amount=Decimal("1234567890.123456789"), currency="EUR")
    assert money.model_dump(mode="json") == {"amount": "1234567890.123456789", "currency": "EUR"}


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_canonical_dicts_never_contain_floats(entity: str) -> None:
    record = validate_canonical(entity, MINIMAL[entity])
    assert _floats_in(to_canonical_dict(record)) == []


def test_money_refuses_nan_and_lowercase_currency() -> None:
    with pytest.raises(ValidationError):
        Money(amount=Decimal("NaN"), currency="EUR")
    with pytest.raises(ValidationError, match="currency"):
        Money(amount=Decimal("1"), currency="eur")


def test_naive_timestamps_are_refused_with_a_fix() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        Complaint(customer_id="c1", subject="s", reported_at=datetime(2026, 1, 31, 12, 0))


def test_aware_timestamps_are_normalised_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    complaint = Complaint(
        customer_id="c1", subject="s", reported_at=datetime(2026, 1, 31, 12, 0, tzinfo=plus_two)
    )

    assert complaint.reported_at == datetime(2026, 1, 31, 10, 0, tzinfo=UTC)
    assert complaint.reported_at is not None and complaint.reported_at.utcoffset() == timedelta(0)
    assert to_canonical_dict(complaint)["reported_at"] == "2026-01-31T10:00:00Z"


def test_iso_strings_with_offsets_are_normalised_to_utc() -> None:
    record = validate_canonical(
        "complaint", {**MINIMAL["complaint"], "reported_at": "2026-01-31T05:30:00-05:00"}
    )
    assert isinstance(record, Complaint)
    assert record.reported_at == datetime(2026, 1, 31, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "name",
    [
        "株式会社テスト",  # Japanese
        "北京测试有限公司",  # Chinese
        "주식회사 테스트",  # Korean
        "شركة الاختبار ذ.م.م",  # Arabic (RTL)
        "חברת בדיקה בע״מ",  # Hebrew (RTL)
        "Müller & Söhne \u200f(RTL mark) 🚚",
    ],
)
def test_cjk_and_rtl_names_round_trip_through_json(name: str) -> None:
    customer = Customer(name=name, contacts=[{"name": name, "email": "a@example.com"}])
    text = json.dumps(to_canonical_dict(customer), ensure_ascii=False)
    back = validate_canonical("customer", json.loads(text))

    assert isinstance(back, Customer)
    assert back.name == name
    assert back.contacts[0].name == name
    assert name in text  # stored as the characters themselves, not escapes


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_unknown_keys_are_refused_naming_the_key(entity: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_canonical(entity, {**MINIMAL[entity], "colour": "red"})
    errors = caught.value.errors()
    assert [(e["type"], e["loc"]) for e in errors] == [("extra_forbidden", ("colour",))]


def test_unknown_keys_in_nested_parts_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Customer.model_validate({"name": "A", "addresses": [{"kind": "invoice", "town": "Bonn"}]})
    assert caught.value.errors()[0]["loc"] == ("addresses", 0, "town")


def test_entity_model_error_lists_the_known_entities() -> None:
    with pytest.raises(KeyError) as caught:
        entity_model("customers")
    message = str(caught.value)
    assert "'customers'" in message
    for entity in ENTITIES:
        assert entity in message


def test_entity_model_returns_the_model_class() -> None:
    assert entity_model("customer") is Customer

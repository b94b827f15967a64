"""Round-trip rule: for fields mapped both ways, native -> canonical -> native gives the native value.

The canonical record goes through pydantic and the JSON form on the way, as in a real run.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sync_engine.mapping import load_mapping
from sync_engine.model import decimal_text, to_canonical_dict, validate_canonical
from tests.mapping.helpers import EchoLinks

SHIPPED = Path(__file__).parent.parent.parent / "mappings"
BERLIN = ZoneInfo("Europe/Berlin")


def round_trip(entity: str, native: dict[str, Any]) -> dict[str, Any]:
    mapping = load_mapping(SHIPPED, "memory", entity)
    canonical = mapping.to_canonical(native, EchoLinks())
    as_json = to_canonical_dict(validate_canonical(entity, canonical))
    return mapping.to_native(as_json, EchoLinks())


text = st.text(max_size=20)
maybe_text = st.none() | text
ext_id = st.from_regex(r"[A-Z0-9-]{1,20}", fullmatch=True)
currency = st.sampled_from(["EUR", "USD", "CHF", "JPY"])
amount = st.decimals(min_value=-(10**9), max_value=10**9, places=2).map(str)
# The memory system keeps quantities as free text in the canonical number form ("2", "1.5").
quantity = st.decimals(min_value=0, max_value=10**6, places=3).map(decimal_text)
day = st.dates(min_value=datetime(1900, 1, 1).date(), max_value=datetime(2100, 12, 31).date())
fast = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

address = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["INV", "DEL", "OTH"]),
        "street_lines": maybe_text,
        "zip": maybe_text,
        "city": maybe_text,
        "state": maybe_text,
        "country_iso": st.none() | st.sampled_from(["DE", "FR", "JP"]),
    }
)
person = st.fixed_dictionaries(
    {
        # The template "{first_name} {last_name}" splits at the first space: first names have none.
        "first_name": st.text(
            st.characters(blacklist_characters=" ", blacklist_categories=["Cs"]), max_size=10
        ),
        "last_name": text,
        "email": maybe_text,
        "phone": maybe_text,
        "position": maybe_text,
    }
)
customers = st.fixed_dictionaries(
    {
        "company": st.fixed_dictionaries(
            {"name": st.text(min_size=1, max_size=20), "legal_form": maybe_text}
        ),
        "vat_number": maybe_text,
        "currency_code": st.none() | currency,
        "finance": st.fixed_dictionaries(
            {
                "credit_limit": amount,
                "credit_currency": currency,
                "payment_terms": st.none() | st.sampled_from(["NET14", "NET30", "NET60", "PREPAID"]),
            }
        ),
        "status": st.sampled_from(["A", "I"]),  # "B" (blocked) reads as inactive and writes back as "I"
        "addresses": st.lists(address, max_size=3),
        "people": st.lists(person, max_size=3),
    }
)


@fast
@given(customers)
def test_customer_round_trips(native: dict[str, Any]) -> None:
    assert round_trip("customer", native) == native


products = st.fixed_dictionaries(
    {
        "code": st.text(min_size=1, max_size=12),
        "title": st.text(min_size=1, max_size=20),
        "notes": maybe_text,
        "uom": st.sampled_from(["PCE", "KG", "H", "M"]),
        "price": st.floats(allow_nan=False, allow_infinity=False, width=64),
        "price_currency": currency,
        "is_active": st.booleans(),
    }
)


@fast
@given(products)
def test_product_round_trips(native: dict[str, Any]) -> None:
    assert round_trip("product", native) == native


def _lines(extra: dict[str, Any]) -> st.SearchStrategy[list[dict[str, Any]]]:
    line = {"product_ref": ext_id, "text": maybe_text, "qty": quantity, "price": amount, **extra}
    return st.lists(st.fixed_dictionaries(line), max_size=4)


quotes = st.fixed_dictionaries(
    {
        "ref_no": maybe_text,
        "customer_ref": ext_id,
        "state": st.sampled_from(["D", "S", "A", "R", "E"]),
        "currency": currency,
        "valid_to": st.none() | day.map(lambda d: d.strftime("%d.%m.%Y")),
        "items": _lines({"discount": st.decimals(min_value=0, max_value=100, places=1).map(decimal_text)}),
        "amount_total": st.none() | amount,
    }
)


@fast
@given(quotes)
def test_quote_round_trips(native: dict[str, Any]) -> None:
    assert round_trip("quote", native) == native


orders = st.fixed_dictionaries(
    {
        "order_no": maybe_text,
        "customer_ref": ext_id,
        "quote_ref": st.none() | ext_id,
        "quote_no": maybe_text,
        "state": st.sampled_from(["draft", "confirmed", "processing", "done", "cancel"]),
        "shipping": st.sampled_from(["none", "partially", "sent"]),
        "billing": st.sampled_from(["none", "partially", "invoiced", "paid"]),
        "currency": currency,
        "ordered_on": st.none() | day.map(lambda d: d.isoformat()),
        "lines": _lines({"shipped": st.none() | quantity}),
        "total": st.none() | amount,
    }
)


@fast
@given(orders)
def test_sales_order_round_trips(native: dict[str, Any]) -> None:
    assert round_trip("sales_order", native) == native


costs = st.fixed_dictionaries(
    {
        "product_ref": ext_id,
        "cost": st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
        "cost_method": st.sampled_from(["STD", "AVG", "FIFO", "ACT"]),
        "valid_from": day.map(lambda d: d.isoformat()),
        "order_ref": st.none() | ext_id,
        "qty": st.none() | st.decimals(min_value=0, max_value=10**6, places=3).map(str),
    }
)


@fast
@given(costs)
def test_product_cost_round_trips(native: dict[str, Any]) -> None:
    assert round_trip("product_cost", native) == native


def _exists_in_berlin(moment: datetime) -> bool:
    """False for wall-clock times skipped when clocks go forward (they cannot be in the source)."""
    there = moment.replace(tzinfo=BERLIN)
    return there.astimezone(ZoneInfo("UTC")).astimezone(BERLIN).replace(tzinfo=None) == moment


complaints = st.fixed_dictionaries(
    {
        "customer_ref": ext_id,
        "order_ref": st.none() | ext_id,
        "order_no": maybe_text,
        "subject": st.text(min_size=1, max_size=20),
        "body": maybe_text,
        "status": st.sampled_from([1, 2, 3, 4, 5, 9]),
        "prio": st.sampled_from([1, 2, 3, 4]),
        "resolution": maybe_text,
        "reported": st.none()
        | st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)).map(
            lambda m: m.replace(microsecond=0)
        ),
    }
)


@fast
@given(complaints)
def test_complaint_round_trips(native: dict[str, Any]) -> None:
    if native["reported"] is not None:
        assume(_exists_in_berlin(native["reported"]))
        native = {**native, "reported": native["reported"].strftime("%Y-%m-%d %H:%M:%S")}
    assert round_trip("complaint", native) == native


def test_decimal_text_keeps_the_places_its_mapping_names() -> None:
    # canonical numbers drop trailing zeros; `places: 3` gives the system its own format back
    native = {
        "product_ref": "P",
        "cost": 1.1,
        "cost_method": "STD",
        "valid_from": "2026-01-01",
        "qty": "2.500",
    }
    assert round_trip("product_cost", {**native, "order_ref": None})["qty"] == "2.500"
    assert Decimal("2.500") == Decimal(round_trip("product_cost", {**native, "order_ref": None})["qty"])

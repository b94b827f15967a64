"""Numbers that differ only in exponent are one value everywhere: canonical form, hash and merge.

Tryton reads a quantity as ``2.0`` and BottleCRM as ``2.00``; if the canonical form kept the
exponent, every run would see a change on alternate sides and write it back (issue 12).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sync_engine.identity import record_hash
from sync_engine.merge import MergePolicy, SideState, merge
from sync_engine.model import decimal_text, validate_canonical

amounts = st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9)
padding = st.integers(0, 6)


def rescaled(value: Decimal, extra_places: int) -> Decimal:
    """The same value written with ``extra_places`` more trailing zeros (a different exponent)."""
    return value.quantize(Decimal(1).scaleb(value.as_tuple().exponent - extra_places))  # type: ignore[operator]


def order(lines: list[tuple[Decimal, Decimal]], total: Decimal) -> dict[str, Any]:
    return {
        "customer_id": "c1",
        "currency": "EUR",
        "status": "confirmed",
        "lines": [
            {"product_id": f"p{i}", "quantity": qty, "unit_price": {"amount": price, "currency": "EUR"}}
            for i, (qty, price) in enumerate(lines)
        ],
        "total": {"amount": total, "currency": "EUR"},
    }


def canonical(record: dict[str, Any]) -> dict[str, Any]:
    return validate_canonical("sales_order", record).model_dump(mode="json")


@given(
    st.lists(st.tuples(amounts, amounts), min_size=1, max_size=4),
    amounts,
    st.lists(padding, min_size=9, max_size=9),
)
def test_values_differing_only_in_exponent_are_equal_in_form_hash_and_merge(
    lines: list[tuple[Decimal, Decimal]], total: Decimal, pads: list[int]
) -> None:
    erp_lines = [(rescaled(q, pads[i]), rescaled(p, pads[-1 - i])) for i, (q, p) in enumerate(lines)]
    erp = canonical(order(erp_lines, rescaled(total, pads[4])))
    crm = canonical(order(lines, total))

    assert erp == crm
    assert record_hash(erp) == record_hash(crm)
    # With the other side's exponent as the last snapshot, neither side changed: nothing to write.
    result = merge(crm, SideState(erp), SideState(crm), MergePolicy())
    assert (result.erp_action, result.crm_action, result.conflicts) == ("none", "none", ())


@given(amounts, padding)
def test_decimal_text_keeps_the_value_and_drops_only_the_exponent(value: Decimal, extra: int) -> None:
    text = decimal_text(rescaled(value, extra))
    assert Decimal(text) == value
    assert text == decimal_text(value)
    assert "E" not in text and "e" not in text
    assert not (("." in text) and text.endswith("0"))


def test_decimal_text_examples() -> None:
    cases = {"2.0": "2", "2.00": "2", "1E+2": "100", "-0.00": "0", "0.10": "0.1", "-1.50": "-1.5"}
    assert {raw: decimal_text(Decimal(raw)) for raw in cases} == cases
    # 29 significant digits: more than Decimal's default context, which must not round them away
    assert decimal_text(Decimal("10000000000000000000000000001.000")) == "10000000000000000000000000001"

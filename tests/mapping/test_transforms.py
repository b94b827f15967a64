"""The value transforms: what each coercion accepts, gives back, and how it refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from sync_engine.mapping import MappingError
from sync_engine.mapping.transforms import (
    canonical_converter,
    native_converter,
    parse_template,
    template_splitter,
    value_map,
)


@pytest.mark.parametrize(
    ("type_name", "native", "canonical"),
    [
        ("decimal", "12.50", Decimal("12.50")),
        ("decimal", 0.1, Decimal("0.1")),
        ("decimal", 7, Decimal(7)),
        ("int", " 42 ", 42),
        ("int", 3.0, 3),
        ("bool", "Yes", True),
        ("bool", 0, False),
        ("str", 17, "17"),
        ("date", "2026-01-31", date(2026, 1, 31)),
        ("datetime", "2026-01-31T13:00:00+01:00", datetime(2026, 1, 31, 12, tzinfo=UTC)),
        ("datetime", 0, datetime(1970, 1, 1, tzinfo=UTC)),
    ],
)
def test_coercion_to_canonical(type_name: str, native: object, canonical: object) -> None:
    assert canonical_converter(type_name)(native) == canonical


@pytest.mark.parametrize(
    ("type_name", "native", "words"),
    [
        ("decimal", "12,50", "not a decimal number"),
        ("decimal", "NaN", "not a finite number"),
        ("int", 2.5, "not a whole number"),
        ("bool", "maybe", "not a yes/no value"),
        ("date", "31.01.2026", "not an ISO date"),
        ("datetime", "2026-01-31 12:00", "has no timezone"),
    ],
)
def test_coercion_refuses_with_the_value_and_a_fix(type_name: str, native: object, words: str) -> None:
    with pytest.raises(MappingError) as caught:
        canonical_converter(type_name)(native)
    assert words in caught.value.reason
    assert caught.value.value == native
    assert caught.value.fix


def test_formatted_local_timestamps_convert_both_ways() -> None:
    read = canonical_converter("datetime", fmt="%d.%m.%Y %H:%M", timezone="Europe/Berlin")
    write = native_converter("datetime", "str", fmt="%d.%m.%Y %H:%M", timezone="Europe/Berlin")
    assert read("31.01.2026 13:00") == datetime(2026, 1, 31, 12, tzinfo=UTC)
    assert write("2026-01-31T12:00:00Z") == "31.01.2026 13:00"


def test_decimal_written_as_float_int_or_text() -> None:
    assert native_converter("decimal", "float")("12.50") == 12.5
    assert native_converter("decimal", "str")("12.50") == "12.50"
    assert native_converter("decimal", "int")("12") == 12
    with pytest.raises(MappingError, match="not a whole number"):
        native_converter("decimal", "int")("12.5")


def test_value_map_uses_default_or_names_the_known_codes() -> None:
    assert value_map({"A": "open"}, default="new")("Z") == "new"
    with pytest.raises(MappingError) as caught:
        value_map({"A": "open", "C": "closed"})("Z")
    assert "'Z' is not in the value map (known: 'A', 'C')" in caught.value.reason


def test_value_map_refuses_unhashable_values_cleanly() -> None:
    with pytest.raises(MappingError):
        value_map({"A": "open"})(["A"])


def test_template_split_takes_the_first_separator_and_leaves_the_rest_to_the_last_field() -> None:
    split = template_splitter(parse_template("<{a}|{b}-{c}>"))
    assert split("<x|y-z-w>") == ["x", "y", "z-w"]
    with pytest.raises(MappingError, match="does not have the shape of the template"):
        split("x|y-z")


@pytest.mark.parametrize("bad", ["{a", "{a!r}", "{a:>5}", "{}"])
def test_template_rejects_anything_but_plain_paths(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_template(bad)

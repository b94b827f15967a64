"""OData v2 values: JSON wire form <-> typed Python values, and ``$filter`` literals."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from tests.emulators.sap.metadata import Property

__all__ = ["ValueError_", "from_json", "from_literal", "to_json"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATE_JSON = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_TIME = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")
NUMERIC = {"Edm.Decimal", "Edm.Double", "Edm.Single", "Edm.Float"}
INTEGER = {"Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Byte", "Edm.SByte"}


class ValueError_(Exception):
    """A value SAP would refuse; the message is what SAP Gateway would say."""


def _parse_time(text: str) -> timedelta:
    m = _TIME.match(text)
    if not m:
        raise ValueError_(f"Invalid Edm.Time value '{text}' (expected PT14H30M00S)")
    hours, minutes, seconds = m.groups()
    return timedelta(hours=int(hours or 0), minutes=int(minutes or 0), seconds=float(seconds or 0))


def _format_time(value: timedelta) -> str:
    total = int(value.total_seconds())
    return f"PT{total // 3600:02d}H{total % 3600 // 60:02d}M{total % 60:02d}S"


def _parse_datetime(text: str, prop: Property) -> datetime:
    m = _DATE_JSON.match(text)
    if m:
        when = EPOCH + timedelta(milliseconds=int(m.group(1)))
        return when
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError_(f"Invalid value '{text}' for property '{prop.name}' ({prop.type})") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def from_json(prop: Property, value: Any) -> Any:
    """A request body's value as the typed value the emulator stores."""
    if value is None:
        return None
    kind = prop.type
    try:
        if kind in ("Edm.String", "Edm.Guid"):
            if not isinstance(value, str):
                raise ValueError_(f"Property '{prop.name}' expects a string, got {value!r}")
            if prop.max_length is not None and len(value) > prop.max_length:
                raise ValueError_(
                    f"Value '{value}' of property '{prop.name}' exceeds the maximum length of "
                    f"{prop.max_length} characters"
                )
            return value
        if kind == "Edm.Boolean":
            if not isinstance(value, bool):
                raise ValueError_(f"Property '{prop.name}' expects true or false, got {value!r}")
            return value
        if kind in NUMERIC:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise ValueError_(f"Property '{prop.name}' expects a decimal, got {value!r}")
            return Decimal(str(value))
        if kind in INTEGER:
            return int(value)
        if kind in ("Edm.DateTime", "Edm.DateTimeOffset"):
            return _parse_datetime(str(value), prop)
        if kind == "Edm.Time":
            return _parse_time(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError_(f"Invalid value {value!r} for property '{prop.name}' ({kind})") from None
    return value


def to_json(prop: Property, value: Any) -> Any:
    """The OData v2 JSON form: ``/Date(ms)/``, decimals and Int64 as strings, times as PT..S."""
    if value is None:
        return None
    if isinstance(value, datetime):
        ms = int((value - EPOCH) / timedelta(milliseconds=1))
        return f"/Date({ms}+0000)/" if prop.type == "Edm.DateTimeOffset" else f"/Date({ms})/"
    if isinstance(value, timedelta):
        return _format_time(value)
    if isinstance(value, Decimal) or prop.type == "Edm.Int64":
        return str(value)
    return value


_TYPED_LITERAL = re.compile(r"^(datetime|datetimeoffset|time|guid|binary|X)'(.*)'$", re.S)


def from_literal(text: str, prop: Property | None) -> Any:
    """A ``$filter`` literal (``'O''Brien'``, ``datetime'2026-01-31T00:00'``, ``12.5M``, ``null``)."""
    if text == "null":
        return None
    if text in ("true", "false"):
        return text == "true"
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    m = _TYPED_LITERAL.match(text)
    if m:
        prefix, body = m.groups()
        if prefix in ("datetime", "datetimeoffset"):
            when = datetime.fromisoformat(body.replace("Z", "+00:00"))
            return when if when.tzinfo else when.replace(tzinfo=UTC)
        if prefix == "time":
            return _parse_time(body)
        return body
    number = text.rstrip("MmDdFfLl")
    try:
        if prop is not None and prop.type in INTEGER:
            return int(number)
        return Decimal(number)
    except (InvalidOperation, ValueError):
        raise ValueError_(f"Invalid literal {text!r} in $filter") from None

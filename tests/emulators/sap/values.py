"""OData v2 values: JSON wire form <-> typed Python values, checked against the property's facets.

Stored values: text as ``str``, decimals as ``Decimal``, ``Edm.DateTime`` as an aware datetime (a
date-only property holds midnight UTC of its day, as Gateway sends it), ``Edm.DateTimeOffset`` as an
aware UTC datetime, ``Edm.Time`` as a ``timedelta`` since midnight.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from tests.emulators.sap.errors import SapError
from tests.emulators.sap.metadata import Property

__all__ = ["from_json", "from_literal", "to_json", "value_error"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATE_JSON = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_TIME = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")
NUMERIC = {"Edm.Decimal", "Edm.Double", "Edm.Single", "Edm.Float"}
INTEGER = {"Edm.Int16", "Edm.Int32", "Edm.Int64", "Edm.Byte", "Edm.SByte"}


def value_error(prop: Property, message: str) -> SapError:
    return SapError(400, "/IWBEP/CM_MGW_RT/022", message, prop.name, kind="value")


def _parse_time(text: str, prop: Property | None = None) -> timedelta:
    m = _TIME.match(text)
    if not m:
        message = f"Invalid Edm.Time value '{text}' (expected PT14H30M00S)"
        if prop is None:
            raise SapError(400, "/IWBEP/CM_MGW_RT/004", message, kind="protocol")
        raise value_error(prop, message)
    hours, minutes, seconds = m.groups()
    return timedelta(hours=int(hours or 0), minutes=int(minutes or 0), seconds=float(seconds or 0))


def _format_time(value: timedelta) -> str:
    total = int(value.total_seconds())
    return f"PT{total // 3600:02d}H{total % 3600 // 60:02d}M{total % 60:02d}S"


def _parse_datetime(text: str, prop: Property) -> datetime:
    m = _DATE_JSON.match(text)
    if m:
        return EPOCH + timedelta(milliseconds=int(m.group(1)))
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise value_error(prop, f"Invalid value '{text}' for property '{prop.name}' ({prop.type})") from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if prop.date_only:  # Gateway keeps only the day of a date-only property
        when = when.replace(hour=0, minute=0, second=0, microsecond=0)
    return when


def _decimal(prop: Property, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise value_error(prop, f"Property '{prop.name}' expects a decimal, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise value_error(prop, f"Invalid value {value!r} for property '{prop.name}' ({prop.type})") from None
    if not number.is_finite():
        raise value_error(prop, f"Invalid value {value!r} for property '{prop.name}' ({prop.type})")
    if prop.type == "Edm.Decimal" and prop.precision is not None:
        scale = prop.scale or 0
        exponent = number.normalize().as_tuple().exponent
        decimals = max(0, -exponent) if isinstance(exponent, int) else 0
        whole = len(str(abs(int(number)))) if abs(number) >= 1 else 0
        if decimals > scale or whole > prop.precision - scale:
            raise value_error(
                prop,
                f"Value '{value}' of property '{prop.name}' does not fit Edm.Decimal"
                f"(Precision={prop.precision}, Scale={scale})",
            )
    return number


def _text(prop: Property, value: Any) -> str:
    if not isinstance(value, str):
        raise value_error(prop, f"Property '{prop.name}' expects a string, got {value!r}")
    if prop.max_length is not None and len(value) > prop.max_length:
        raise value_error(
            prop,
            f"Value '{value}' of property '{prop.name}' exceeds the maximum length of "
            f"{prop.max_length} characters",
        )
    if prop.non_negative and value and not value.isdigit():
        raise value_error(prop, f"Value '{value}' of property '{prop.name}' must be a non-negative number")
    # sap:display-format="UpperCase": "lowercase input will be converted"
    return value.upper() if prop.upper_case else value


def from_json(prop: Property, value: Any) -> Any:
    """A request body's value as the typed value the emulator stores; refused as SAP refuses it."""
    if value is None:
        if not prop.nullable:
            raise value_error(prop, f"Property '{prop.name}' must not be null (Nullable=\"false\")")
        return None
    kind = prop.type
    if kind in ("Edm.String", "Edm.Guid"):
        return _text(prop, value)
    if kind == "Edm.Boolean":
        if not isinstance(value, bool):
            raise value_error(prop, f"Property '{prop.name}' expects true or false, got {value!r}")
        return value
    if kind in NUMERIC:
        return _decimal(prop, value)
    if kind in INTEGER:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise value_error(prop, f"Invalid value {value!r} for property '{prop.name}' ({kind})") from None
    if kind in ("Edm.DateTime", "Edm.DateTimeOffset"):
        return _parse_datetime(str(value), prop)
    if kind == "Edm.Time":
        return _parse_time(str(value), prop)
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
    """A ``$filter`` or key literal (``'O''Brien'``, ``datetime'2026-01-31T00:00'``, ``12.5M``, ``null``)."""
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
            try:
                when = datetime.fromisoformat(body.replace("Z", "+00:00"))
            except ValueError:
                raise SapError(
                    400, "/IWBEP/CM_MGW_RT/004", f"Invalid literal {text!r}", kind="protocol"
                ) from None
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
        raise SapError(
            400, "/IWBEP/CM_MGW_RT/004", f"Invalid literal {text!r} in $filter", kind="protocol"
        ) from None

"""What SyncHub writes into a SuiteCRM field, checked before it is sent.

SuiteCRM validates almost nothing through V8 (unknown dropdown keys, empty names and floats stored
as whatever PHP makes of them), so each field SyncHub writes declares its kind here and a value is
refused, naming the field, when SuiteCRM would store something else (:mod:`.values`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from connectors.base import RecordError
from connectors.suitecrm.values import format_bool, format_date, format_decimal, format_text, parse_decimal

__all__ = ["Kind", "Spec", "encode", "encode_one", "plain_decimal"]

Kind = Literal["varchar", "text", "decimal", "date", "enum", "id", "bool"]
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Spec:
    kind: Kind = "varchar"
    max_length: int | None = None
    scale: int = 6
    options: tuple[str, ...] = ()
    required: bool = False


def plain_decimal(raw: Any) -> str | None:
    """SuiteCRM's ``"12.500000"`` as ``"12.5"`` (exact, no float), ``""`` as None."""
    if raw is None or raw == "":
        return None
    value = parse_decimal(str(raw))
    assert value is not None
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool | float):
        raise ValueError(f"expected an exact decimal (text or Decimal), got {type(value).__name__} {value!r}")
    try:
        return Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    return value  # format_date refuses what is not a date


def encode_one(name: str, spec: Spec, value: Any) -> str:
    """The wire text for one field, or :class:`RecordError` naming it and the fix."""
    try:
        if spec.required and value in (None, ""):
            raise ValueError("it is required and empty; give it a value")
        if spec.kind == "decimal":
            return format_decimal(_decimal(value), scale=spec.scale)
        if spec.kind == "date":
            return format_date(_date(value))
        if spec.kind == "bool":
            return format_bool(value)
        if spec.kind == "id":
            if value in (None, ""):
                return ""
            if not isinstance(value, str) or not _GUID.fullmatch(value):
                raise ValueError(f"{value!r} is not a SuiteCRM record id (a lower-case GUID)")
            return value
        if spec.kind == "enum":
            if value in (None, ""):
                return ""
            if value not in spec.options:
                raise ValueError(
                    f"{value!r} is not one of SuiteCRM's keys for it ({', '.join(spec.options)}); "
                    "SuiteCRM would store it anyway and show nothing: fix the mapping's value map"
                )
            return str(value)
        return format_text(
            value, kind="text" if spec.kind == "text" else "varchar", max_length=spec.max_length
        )
    except ValueError as exc:
        raise RecordError(f"field {name!r}: {exc}", field=name) from None


def encode(specs: Mapping[str, Spec], data: Mapping[str, Any], what: str) -> dict[str, str]:
    """Attributes for a create or PATCH from native ``data``; unknown fields are refused by name."""
    out = {}
    for name, value in data.items():
        spec = specs.get(name)
        if spec is None:
            known = ", ".join(sorted(specs))
            raise RecordError(
                f"field {name!r}: SyncHub does not write it to SuiteCRM {what} (it writes: {known}); "
                "check the mapping",
                field=name,
            )
        out[name] = encode_one(name, spec, value)
    return out

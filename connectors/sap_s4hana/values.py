"""pyodata's typed values <-> the native record's JSON-friendly values, and ``$filter`` literals."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "composite_key",
    "literal",
    "local_instant",
    "local_wall_clock",
    "native_value",
    "parse_composite_key",
    "parse_time",
    "write_value",
]

_TIME = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.\d+)?S)?$")
_KEY = re.compile(r"(\w+)='((?:[^']|'')*)'")


def parse_time(value: str | None) -> timedelta:
    """``PT14H30M05S`` (Edm.Time) as a duration since midnight."""
    m = _TIME.match(value or "")
    if not m:
        return timedelta(0)
    hours, minutes, seconds = (int(g or 0) for g in m.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


def native_value(edm_type: str, date_only: bool, value: Any) -> Any:
    """What the native record holds: dates as ``YYYY-MM-DD``, timestamps ISO 8601 UTC, decimals as text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if date_only:
            return value.date().isoformat()
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if edm_type == "Edm.Time":
        total = int(parse_time(value).total_seconds())
        return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"
    if isinstance(value, Decimal):
        return str(value)
    return value


def write_value(edm_type: str, value: Any) -> Any:
    """A native value in the form SAP accepts in a request body."""
    if value is None:
        return None
    if edm_type == "Edm.DateTime":
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        text = value.isoformat() if isinstance(value, date) else str(value)
        return text if "T" in text else f"{text}T00:00:00"
    if edm_type == "Edm.DateTimeOffset" and isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if edm_type in ("Edm.Decimal", "Edm.Double", "Edm.Single"):
        return str(value)
    return value


def literal(edm_type: str, value: Any) -> str:
    """A ``$filter`` literal; text has its quotes doubled, as OData v2 requires."""
    if value is None:
        return "null"
    if edm_type == "Edm.DateTime":
        return f"datetime'{value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec='seconds')}'"
    if edm_type == "Edm.DateTimeOffset":
        # milliseconds: what SAP's JSON (/Date(ms)/) shows of the instant
        stamp = value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return f"datetimeoffset'{stamp}'"
    if edm_type == "Edm.Time":
        clock = parse_time(value) if isinstance(value, str) else value
        total = int(clock.total_seconds())
        return f"time'PT{total // 3600:02d}H{total % 3600 // 60:02d}M{total % 60:02d}S'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if edm_type == "Edm.Decimal":
        return f"{Decimal(str(value))}M"
    if edm_type in ("Edm.Int16", "Edm.Int32", "Edm.Byte", "Edm.SByte"):
        return str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


def local_instant(day: datetime | None, clock: str | timedelta | None, zone: ZoneInfo) -> datetime | None:
    """A system-local date (+ time of day) as an instant in UTC. SAP sends the date as midnight UTC
    of the day; the wall clock is the SAP system's (``zone``). Ambiguous times (the repeated hour
    when clocks go back) take the earlier offset, so instants never run backwards."""
    if day is None:
        return None
    offset = parse_time(clock) if isinstance(clock, str) else (clock or timedelta(0))
    wall = datetime(day.year, day.month, day.day) + offset
    return wall.replace(tzinfo=zone).astimezone(UTC)


def local_wall_clock(when: datetime, zone: ZoneInfo) -> tuple[datetime, timedelta]:
    """An instant as the SAP system's local (day as SAP sends dates, time of day)."""
    local = when.astimezone(zone)
    day = datetime(local.year, local.month, local.day, tzinfo=UTC)
    return day, timedelta(hours=local.hour, minutes=local.minute, seconds=local.second)


def composite_key(names: tuple[str, ...], record: dict[str, Any]) -> str:
    """The record id of a many-key entity: SAP's own key predicate, e.g. ``Product='A',ValuationArea='1'``."""
    return ",".join(f"{n}={literal('Edm.String', record.get(n) or '')}" for n in names)


def parse_composite_key(names: tuple[str, ...], text: str) -> dict[str, str] | None:
    found = {name: value.replace("''", "'") for name, value in _KEY.findall(text)}
    return found if set(found) == set(names) else None

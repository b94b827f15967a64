"""Odoo domains built as data, never by formatting strings.

A domain is a list in prefix notation: leaves ``[field, operator, value]`` and the operators
``"&"``, ``"|"``, ``"!"`` (consecutive terms are implicitly and-ed). Values travel as JSON/XML-RPC
values, so quotes in a name are harmless; what needs care is ``like``/``ilike``, where ``%``, ``_``
and ``\\`` are wildcards and escape: ``equals`` compares exactly, ``contains`` escapes them.

    all_of(equals("is_company", True), contains("name", "50%_off"))
    after_cursor(stamp, 42)   # the (write_date, id) keyset of incremental reads
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

__all__ = [
    "FALSE",
    "OPERATORS",
    "TRUE",
    "Domain",
    "after_cursor",
    "all_of",
    "any_of",
    "contains",
    "equals",
    "escape_like",
    "is_in",
    "leaf",
    "negate",
    "normalize",
    "odoo_datetime",
]

Domain = list[Any]
OPERATORS = frozenset(
    {
        "=",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "in",
        "not in",
        "like",
        "not like",
        "ilike",
        "not ilike",
        "=like",
        "=ilike",
        "child_of",
        "parent_of",
    }
)
TRUE: Domain = []
FALSE: Domain = [[0, "=", 1]]
_PATH = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")
_SCALARS = (str, int, float, bool)


def odoo_datetime(value: datetime) -> str:
    """A datetime as Odoo stores and compares it: UTC, ``YYYY-MM-DD HH:MM:SS`` (naive = UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _value(value: Any) -> Any:
    if value is None:
        return False
    if isinstance(value, datetime):
        return odoo_datetime(value)
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, _SCALARS):
        return value
    raise TypeError(
        f"a domain value must be a string, number, boolean, date or None, not {type(value).__name__}"
    )


def leaf(field: str, operator: str, value: Any) -> Domain:
    """One condition, checked: a field path of lowercase names, a known operator, plain values."""
    if not isinstance(field, str) or not _PATH.match(field):
        raise ValueError(f"not an Odoo field path: {field!r}")
    if operator not in OPERATORS:
        raise ValueError(f"unknown domain operator {operator!r} (known: {', '.join(sorted(OPERATORS))})")
    if operator in ("in", "not in"):
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise TypeError(f"{operator!r} takes a list of values, not {value!r}")
        return [[field, operator, [_value(v) for v in value]]]
    if operator in ("child_of", "parent_of") and isinstance(value, list | tuple):
        return [[field, operator, [_value(v) for v in value]]]
    return [[field, operator, _value(value)]]


def equals(field: str, value: Any) -> Domain:
    """Exact match (``=``): no wildcard in ``value`` means anything; ``None`` matches empty."""
    return leaf(field, "=", value)


def is_in(field: str, values: Iterable[Any]) -> Domain:
    return leaf(field, "in", list(values))


def escape_like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern: backslash-escape ``\\``, ``%`` and ``_``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(field: str, text: str, *, case_sensitive: bool = False) -> Domain:
    """``field`` contains ``text`` literally (Odoo wraps it in ``%``; ours are escaped first)."""
    return leaf(field, "like" if case_sensitive else "ilike", escape_like(text))


def _terms(domain: Sequence[Any]) -> int:
    """How many top-level terms a prefix domain holds (each consumes its operands)."""
    count = 0
    needed = 0
    for item in domain:
        if needed == 0:
            count += 1
        else:
            needed -= 1
        if item in ("&", "|"):
            needed += 2
        elif item == "!":
            needed += 1
    if needed:
        raise ValueError(f"malformed domain (operators lack operands): {domain!r}")
    return count


def normalize(domain: Sequence[Any]) -> Domain:
    """One explicit term: ``[a, b]`` -> ``["&", a, b]``; ``[]`` stays ``[]`` (true)."""
    items = list(domain)
    terms = _terms(items)
    return ["&"] * (terms - 1) + items if terms > 1 else items


def all_of(*domains: Sequence[Any]) -> Domain:
    parts = [normalize(d) for d in domains if list(d)]
    if not parts:
        return []
    return ["&"] * (len(parts) - 1) + [item for part in parts for item in part]


def any_of(*domains: Sequence[Any]) -> Domain:
    parts = [normalize(d) for d in domains]
    if not parts or any(not part for part in parts):
        return []  # an empty domain is true, and so is anything or-ed with it
    return ["|"] * (len(parts) - 1) + [item for part in parts for item in part]


def negate(domain: Sequence[Any]) -> Domain:
    items = normalize(domain)
    return ["!", *items] if items else list(FALSE)


def after_cursor(stamp: datetime, record_id: int, field: str = "write_date") -> Domain:
    """Records after ``(stamp, record_id)`` in ``(field, id)`` order: the keyset of incremental reads.

    Odoo stamps whole seconds, so many records share one; ``id`` breaks the tie."""
    return any_of(
        leaf(field, ">", stamp),
        all_of(leaf(field, "=", stamp), leaf("id", ">", int(record_id))),
    )

"""Tryton search domains, built as data (nested lists), never by joining strings.

A domain is sent as JSON: whatever a value holds (quotes, ``%``, CJK) travels as one literal
value. ``=`` compares exactly; ``ilike`` patterns are escaped with :func:`literal_pattern`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

__all__ = ["Domain", "all_of", "any_of", "changed_since", "equals", "in_", "literal_pattern"]

Domain = list[Any]


def equals(field: str, value: Any) -> Domain:
    return [field, "=", value]


def in_(field: str, values: Sequence[Any]) -> Domain:
    return [field, "in", list(values)]


def all_of(*domains: Domain) -> Domain:
    return ["AND", *domains]


def any_of(*domains: Domain) -> Domain:
    return ["OR", *domains]


def literal_pattern(text: str, *, escape: str = "\\") -> str:
    """``text`` as an ``ilike`` pattern that matches it literally (``%`` and ``_`` escaped)."""
    return "".join(escape + ch if ch in ("%", "_", escape) else ch for ch in text)


def changed_since(modified: datetime, after_id: int | None) -> Domain:
    """Keyset condition ``(last_modified_at, id) >= (modified, after_id)``.

    Tryton stamps every row of a transaction with the transaction's start time, so many records
    share one ``last_modified_at``: the id breaks ties and keeps pages exact across a boundary.
    """
    if after_id is None:
        return ["last_modified_at", ">=", modified]
    return any_of(
        ["last_modified_at", ">", modified],
        all_of(["last_modified_at", "=", modified], ["id", ">=", after_id]),
    )

"""SOQL values and dateTimes: every value a query carries goes through ``quote`` / ``soql_datetime``."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.base import Cursor

__all__ = ["parse_timestamp", "quote", "soql_datetime", "stamp_after"]

# The escapes Salesforce documents for quoted string literals; anything else is kept as is.
_ESCAPES = str.maketrans(
    {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
)


def quote(value: str) -> str:
    """A SOQL string literal: ``O'Brien \\ Sons`` -> ``'O\\'Brien \\\\ Sons'``."""
    return "'" + str(value).translate(_ESCAPES) + "'"


def soql_datetime(when: datetime) -> str:
    """A SOQL dateTime literal (whole seconds, UTC): ``2026-01-31T12:00:00Z``."""
    if when.tzinfo is None:
        raise ValueError("SOQL timestamps need a timezone")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    """``2026-01-31T12:00:00.000+0000`` -> aware UTC datetime."""
    value = text.replace("Z", "+00:00")
    if len(value) > 5 and value[-5] in "+-" and value[-3] != ":":
        value = f"{value[:-2]}:{value[-2:]}"
    return datetime.fromisoformat(value).astimezone(UTC)


def stamp_after(since: Cursor, *, tie_break: bool) -> str:
    """The SOQL condition "changed strictly after ``since``" on ``SystemModstamp`` (and ``Id``).

    dateTime fields hold whole seconds. A cursor on a whole second with an id continues inside that
    second by Id (``tie_break``; children, which have other ids, then count from the next second); a
    cursor between seconds continues at the next whole second; one without an id takes its second.
    """
    at = since.modified.astimezone(UTC)
    second = at.replace(microsecond=0)
    literal = soql_datetime(second)
    if at != second:
        return f"SystemModstamp > {literal}"
    if not since.id:
        return f"SystemModstamp >= {literal}"
    if not tie_break:
        return f"SystemModstamp > {literal}"
    return f"(SystemModstamp > {literal} OR (SystemModstamp = {literal} AND Id > {quote(since.id)}))"

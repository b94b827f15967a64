"""Writing values into SOQL safely: every value a query carries goes through these two functions."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["quote", "soql_datetime"]

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

"""Column types shared by the tables: UTC timestamps on every backend, JSON that keeps SQL NULL apart."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that always comes back in UTC, SQLite included.

    SQLite has no timezone type, so values are stored there as naive UTC and re-tagged on the way out.
    Naive datetimes are refused on the way in: guessing their zone is how cursors silently skip data.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"timestamp {value.isoformat()} has no timezone; pass an aware datetime (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def Json() -> JSON:
    """JSON where Python None is SQL NULL (so ``IS NULL`` works and nothing stores the text 'null')."""
    return JSON(none_as_null=True)

"""Clocks for the in-memory system: real time, or a hand-driven clock for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["ManualClock", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to, so tests can give many records the same timestamp.

    Each call returns the current time and then moves it on by ``step`` (default: not at all).
    """

    def __init__(self, start: datetime | None = None, step: timedelta = timedelta(0)) -> None:
        self.now = start or datetime(2026, 1, 1, tzinfo=UTC)
        if self.now.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time, e.g. datetime(..., tzinfo=UTC)")
        self.step = step

    def __call__(self) -> datetime:
        value = self.now
        self.now += self.step
        return value

    def advance(self, delta: timedelta = timedelta(seconds=1)) -> datetime:
        self.now += delta
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when

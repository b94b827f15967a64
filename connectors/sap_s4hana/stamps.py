"""Change stamps of SAP records: which properties say when a record changed, as an instant in UTC,
and the ``$filter`` that selects the records changed since a cursor.

- ``Instant``: one ``Edm.DateTimeOffset`` (``LastChangeDateTime``), an instant in UTC. SAP keeps it
  to 100 ns but its JSON shows milliseconds, so it is a *lossy* paging key.
- ``LocalMoment``: a date plus an ``Edm.Time`` of the SAP system's local wall clock (a business
  partner's ``LastChangeDate`` + ``LastChangeTime``); the connection's ``timezone`` makes it an
  instant.
- ``LocalDay``: a local date only (``PriceLastChangeDate``): a cursor cannot tell records of one day
  apart, so the whole day is read again (the engine's hashes drop what did not change).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.sap_s4hana.values import literal, local_instant, local_wall_clock

__all__ = ["Instant", "LocalDay", "LocalMoment", "Stamp"]


@dataclass(frozen=True)
class Instant:
    field: str

    exact = True
    """Records before the cursor's (modified, id) can be skipped: the stamp orders them exactly."""
    lossy = True

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        return ((self.field, "Edm.DateTimeOffset"),)

    def modified(self, raw: Mapping[str, Any], zone: ZoneInfo) -> datetime | None:
        value = raw.get(self.field)
        return value.astimezone(UTC) if isinstance(value, datetime) else None

    def since(self, when: datetime, zone: ZoneInfo) -> str:
        return f"{self.field} ge {literal('Edm.DateTimeOffset', when)}"


@dataclass(frozen=True)
class LocalMoment:
    day: str
    time: str

    exact = True
    lossy = False

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        return ((self.day, "Edm.DateTime"), (self.time, "Edm.Time"))

    def modified(self, raw: Mapping[str, Any], zone: ZoneInfo) -> datetime | None:
        return local_instant(raw.get(self.day), raw.get(self.time), zone)

    def since(self, when: datetime, zone: ZoneInfo) -> str:
        day, clock = local_wall_clock(when, zone)
        d, t = literal("Edm.DateTime", day), literal("Edm.Time", clock)
        return f"({self.day} gt {d} or ({self.day} eq {d} and {self.time} ge {t}))"


@dataclass(frozen=True)
class LocalDay:
    field: str

    exact = False
    lossy = False

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        return ((self.field, "Edm.DateTime"),)

    def modified(self, raw: Mapping[str, Any], zone: ZoneInfo) -> datetime | None:
        return local_instant(raw.get(self.field), None, zone)

    def since(self, when: datetime, zone: ZoneInfo) -> str:
        day, _ = local_wall_clock(when, zone)
        return f"{self.field} ge {literal('Edm.DateTime', day)}"


Stamp = Instant | LocalMoment | LocalDay

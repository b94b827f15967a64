"""A customer system of any size that holds no records: each one is generated from its index.

The engine benchmark needs a million customers without a million dicts in the process, so its
peak memory is the engine's and not the dataset's. :class:`SyntheticCustomers` is a real
:class:`connectors.base.Connector` in the native shape of ``mappings/memory/customer.yaml``.
Per index slot it keeps one integer (the record's modified time in µs, 0 = no record); records
changed since they were generated keep their native patch; an append-only journal of
``(time, index)`` answers cursor reads in ``(modified, id)`` order without sorting.

Ids carry the index (``E0000042``); a create learns the index from the tax id it writes
(``DE000000042``), which is how an engine-created copy of record 42 on the other side becomes
record 42 there too, generated rather than stored. That only holds while the memory mapping
turns a generated record into native data equal to the generated one: ``test_synthetic.py``
pins it down.
"""

from __future__ import annotations

import time
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import (
    Capabilities,
    ConnectionSettings,
    Connector,
    Cursor,
    NativeRecord,
    Page,
    PermanentError,
    WriteRequest,
    WriteResult,
)

__all__ = ["SyntheticClock", "SyntheticCustomers", "generate", "index_of_tax_id"]

EPOCH = datetime(2015, 1, 1, tzinfo=UTC)
"""Time 0 of the µs counters. Generated records were last modified one minute apart from here."""
BASE_STEP_US = 60_000_000
NOW_US = int((datetime(2026, 1, 1, tzinfo=UTC) - EPOCH).total_seconds()) * 1_000_000
"""Where the clock starts: after every generated record's time, even for millions of records."""

_COMPANIES = ("Müller Maschinenbau", "Dupont Logistique", "山田商事", "Van Dijk Bouw", "北京贸易", "Nordlys")
_FORMS = ("GmbH", "SARL", "KK", "BV", "Ltd", "AS")
_COUNTRIES = ("DE", "FR", "JP", "NL", "CN", "NO")
_CURRENCIES = ("EUR", "EUR", "JPY", "EUR", "CNY", "NOK")
_CITIES = ("Stuttgart", "Lyon", "大阪", "Utrecht", "北京", "Tromsø")
_TERMS = ("NET14", "NET30", "NET60", "PREPAID")
_FIRST = ("Anna", "Jan", "Hanako", "محمد", "Søren", "Zoë", "Li", "Jana")
_LAST = ("Müller", "van Dijk", "山田", "علي", "Hansen", "Dubois", "Wei", "Novak")
_ROLES = ("CEO", "Buyer", None, "Finance")


def index_of_tax_id(tax_id: Any) -> int | None:
    """The index a generated tax id encodes (two letters, nine digits), else None."""
    if isinstance(tax_id, str) and len(tax_id) == 11 and tax_id[2:].isdigit():
        return int(tax_id[2:])
    return None


def generate(index: int) -> dict[str, Any]:
    """Customer ``index`` as generated: 15 fields, 2 addresses, 3 contacts; same index, same record."""
    k = index % 6
    city = _CITIES[k]
    people = []
    for n in range(3):
        j = (index + n * 3) % 8
        people.append(
            {
                "first_name": _FIRST[j],
                "last_name": _LAST[(j + n) % 8],
                "email": f"contact{n}.{index}@example.com",
                "phone": None if (index + n) % 5 == 0 else f"+49 711 {index % 10_000:04d}{n}",
                "position": _ROLES[(index + n) % 4],
            }
        )
    return {
        "company": {"name": f"{_COMPANIES[k]} {index}", "legal_form": _FORMS[k]},
        "vat_number": f"{_COUNTRIES[k]}{index:09d}",
        "currency_code": _CURRENCIES[k],
        "finance": {
            "credit_limit": f"{(index % 500 + 1) * 100}.00",
            "credit_currency": _CURRENCIES[k],
            "payment_terms": _TERMS[index % 4],
        },
        "status": "I" if index % 17 == 0 else "A",
        "addresses": [
            {
                "type": "INV",
                "street_lines": f"Industriestr. {index % 200 + 1}\nHalle {index % 7 + 1}",
                "zip": f"{10_000 + index % 89_999}",
                "city": city,
                "state": None,
                "country_iso": _COUNTRIES[k],
            },
            {
                "type": "DEL",
                "street_lines": f"Lagerweg {index % 90 + 1}",
                "zip": f"{10_000 + (index + 1) % 89_999}",
                "city": city,
                "state": "BW" if k == 0 else None,
                "country_iso": _COUNTRIES[k],
            },
        ],
        "people": people,
    }


def _patched(target: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``target`` with ``changes`` applied as a PATCH would: objects merge key by key, lists replace."""
    out = dict(target)
    for key, value in changes.items():
        current = out.get(key)
        out[key] = (
            _patched(current, value) if isinstance(value, dict) and isinstance(current, dict) else value
        )
    return out


class SyntheticClock:
    """One clock for both systems of a benchmark: it moves 1 µs per change, so no two changes tie,
    and jumps ahead between runs as a scheduler would."""

    def __init__(self, start_us: int = NOW_US) -> None:
        self.now_us = start_us

    def tick(self) -> int:
        self.now_us += 1
        return self.now_us

    def advance(self, seconds: float) -> None:
        self.now_us += int(seconds * 1_000_000)


def _when(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def _us(when: datetime) -> int:
    delta = when - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_SCATTER = 2_654_435_761  # odd, so multiplying by it modulo 2**32 is a bijection (Knuth's hash constant)
_GATHER = pow(_SCATTER, -1, 2**32)  # its inverse: id -> index


class SyntheticCustomers(Connector):
    """Options: ``records`` (indexes 0..records-1 exist at the start), ``capacity`` (index slots,
    at least ``records``), ``prefix`` (one letter of the ids), ``scattered_ids`` (ids in no order, as
    the UUIDs of SuiteCRM or BottleCRM; else they follow the index, as an ERP's numbers do),
    ``change_tracking`` and ``clock``."""

    name = "synthetic"

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings, options)
        records = int(self.options.get("records", 0))
        capacity = int(self.options.get("capacity", records))
        self.prefix: str = self.options.get("prefix", "S")
        self.scattered_ids = bool(self.options.get("scattered_ids", False))
        self.clock: SyntheticClock = self.options.get("clock") or SyntheticClock()
        self.capabilities = Capabilities(
            entities=frozenset({"customer"}),
            change_tracking=self.options.get("change_tracking", "cursor"),
            upsert_by_external_id=False,
            max_batch_size=200,
            saves_as_sent=True,  # keeps what it is sent (a create must be one of its generated records)
        )
        # modified time per index in µs after EPOCH; 0 = no such record
        self.modified = array("q", (i * BASE_STEP_US + 1 for i in range(records)))
        self.modified.extend(array("q", bytes(8 * max(0, capacity - records))))
        self.patches: dict[int, dict[str, Any]] = {}
        self.journal_us = array("q")
        self.journal_index = array("q")
        self.spent = 0.0
        """Seconds spent inside this connector's calls (generating and storing records): the
        benchmark subtracts it to report the engine's own time."""

    @classmethod
    def system(
        cls,
        name: str,
        *,
        records: int,
        capacity: int,
        prefix: str,
        tracking: str,
        clock: SyntheticClock,
        scattered_ids: bool = False,
    ) -> SyntheticCustomers:
        options = {
            "records": records,
            "capacity": capacity,
            "prefix": prefix,
            "scattered_ids": scattered_ids,
            "change_tracking": tracking,
            "clock": clock,
        }
        return cls(ConnectionSettings("synthetic", host=name), options)

    # -- what the system holds -------------------------------------------------------------
    def footprint_bytes(self) -> int:
        """Memory of the bookkeeping arrays (patches left out: they are as many as the changes)."""
        arrays = (self.modified, self.journal_us, self.journal_index)
        return sum(a.itemsize * len(a) for a in arrays)

    def count(self) -> int:
        return sum(1 for us in self.modified if us)

    def record(self, index: int) -> dict[str, Any]:
        patch = self.patches.get(index)
        return generate(index) if patch is None else _patched(generate(index), patch)

    def _native(self, index: int) -> NativeRecord:
        return NativeRecord(self.id_of(index), self.record(index), _when(self.modified[index]))

    def id_of(self, index: int) -> str:
        """The id of record ``index``: scattered ids are the index times an odd number modulo 2**32,
        so each index has its own id and the id gives the index back, but consecutive records' ids
        fall anywhere in the id order, as random UUIDs do."""
        if self.scattered_ids:
            return f"{self.prefix}{index * _SCATTER % 2**32:010d}"
        return f"{self.prefix}{index:07d}"

    def _index(self, record_id: str | None) -> int | None:
        if record_id and record_id[:1] == self.prefix and record_id[1:].isdigit():
            index = int(record_id[1:])
            if self.scattered_ids:
                index = index * _GATHER % 2**32
            if index < len(self.modified) and self.modified[index]:
                return index
        return None

    def _touch(self, index: int) -> int:
        us = self.clock.tick()
        self.modified[index] = us
        self.journal_us.append(us)
        self.journal_index.append(index)
        return us

    def edit(self, index: int, changes: Mapping[str, Any]) -> None:
        """A user changes record ``index`` in this system (a native patch)."""
        if not self.modified[index]:
            raise KeyError(f"{self.settings.host} has no customer with index {index}")
        self.patches[index] = _patched(self.patches.get(index, {}), changes)
        self._touch(index)

    # -- reads -----------------------------------------------------------------------------
    def _indexes_since(self, since: Cursor | None) -> Iterator[int]:
        """Indexes in ``(modified, id)`` order from ``since``, as they stand when the read starts."""
        modified = self.modified
        if self.capabilities.change_tracking == "none":
            yield from (i for i in range(len(modified)) if modified[i])  # a snapshot, in index order
            return
        base_start = journal_start = 0
        if since is not None:
            since_us = _us(since.modified)
            base_start = max(0, -(-(since_us - 1) // BASE_STEP_US))
            journal_start = bisect_left(self.journal_us, since_us)
        journal_end = len(self.journal_us)
        # Untouched generated records come first (older than any change), in index order; a touched
        # one appears at its journal place instead.
        for i in range(base_start, len(modified)):
            if modified[i] == i * BASE_STEP_US + 1:
                yield i
        for j in range(journal_start, journal_end):
            i = self.journal_index[j]
            if modified[i] == self.journal_us[j]:
                yield i

    def read_changes(self, entity: str, since: Cursor | None, *, page_size: int = 500) -> Iterator[Page]:
        pages = self._read_changes(entity, since, page_size)
        while True:
            started = time.perf_counter()
            page = next(pages, None)
            self.spent += time.perf_counter() - started
            if page is None:
                return
            yield page

    def _read_changes(self, entity: str, since: Cursor | None, page_size: int) -> Iterator[Page]:
        self._check(entity)
        cursor = self.capabilities.change_tracking == "cursor"
        page: list[NativeRecord] = []
        for index in self._indexes_since(since):
            page.append(self._native(index))
            if len(page) >= page_size:
                last = page[-1]
                yield Page(page, Cursor(last.modified, last.id) if cursor and last.modified else None)
                page = []
        if page:
            last = page[-1]
            yield Page(page, Cursor(last.modified, last.id) if cursor and last.modified else None)

    def read_by_ids(self, entity: str, ids: Sequence[str]) -> list[NativeRecord]:
        started = time.perf_counter()
        self._check(entity)
        found = (self._index(record_id) for record_id in ids)
        records = [self._native(index) for index in found if index is not None]
        self.spent += time.perf_counter() - started
        return records

    # -- writes ----------------------------------------------------------------------------
    def write_batch(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        started = time.perf_counter()
        self._check(entity)
        results = [self._write_one(request) for request in requests]
        self.spent += time.perf_counter() - started
        return results

    def _write_one(self, request: WriteRequest) -> WriteResult:
        who = f"customer {request.id or request.ref} in {self.settings.host}"
        if request.op == "create":
            index = index_of_tax_id(request.data.get("vat_number"))
            if index is None or index >= len(self.modified):
                return WriteResult(
                    request.ref,
                    False,
                    error=f"{who}: field 'vat_number' {request.data.get('vat_number')!r} is not a "
                    f"generated tax id below {len(self.modified)}; only generated customers can be created",
                    field="vat_number",
                )
            if self.modified[index]:
                return WriteResult(
                    request.ref, False, error=f"{who}: index {index} already exists (a duplicate create)"
                )
            us = self._touch(index)
            return WriteResult(request.ref, True, self.id_of(index), modified=_when(us))
        index = self._index(request.id)
        if index is None:
            return WriteResult(request.ref, False, request.id, error=f"{who}: no such record")
        if request.op == "delete":
            self.modified[index] = 0
            self.patches.pop(index, None)
            return WriteResult(request.ref, True, request.id)
        self.patches[index] = _patched(self.patches.get(index, {}), request.data)
        us = self._touch(index)
        return WriteResult(request.ref, True, request.id, modified=_when(us))

    def _check(self, entity: str) -> None:
        if entity != "customer":
            raise PermanentError(
                f"synthetic system {self.settings.host!r} holds only customers, not {entity!r}"
            )

"""The data of one in-memory system: entity -> {id: record}, shared by name within a process.

Built for 100,000 - 1,000,000 records: rows are plain dicts, the ``(modified, id)`` order used by
incremental reads is sorted once after a change and reused until the next one, and nothing is
deep-copied unless it holds nested lists or dicts.
"""

from __future__ import annotations

import copy
import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from connectors.memory.clock import ManualClock, utc_now
from connectors.memory.faults import FaultPlan, RecordFault

__all__ = ["RESERVED_FIELDS", "MemoryDatabase", "Row", "Table"]

RESERVED_FIELDS = frozenset({"id", "modified", "synchub_ref"})
"""Fields the system keeps itself; never part of a record's native data."""

ID_PREFIXES = {
    "customer": "C",
    "product": "P",
    "quote": "Q",
    "sales_order": "SO",
    "product_cost": "PC",
    "complaint": "CP",
}


def own_copy(data: dict[str, Any]) -> dict[str, Any]:
    """A copy the caller cannot change behind our back: deep only when something is nested."""
    if any(isinstance(value, dict | list) for value in data.values()):
        return copy.deepcopy(data)
    return dict(data)


@dataclass(slots=True)
class Row:
    data: dict[str, Any]
    modified: datetime
    ref: str | None = None


class Table:
    """The records of one entity, their tombstones and the ref -> id index of upserts."""

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.prefix = ID_PREFIXES.get(entity, entity[:2].upper())
        self.rows: dict[str, Row] = {}
        self.tombstones: dict[str, datetime] = {}
        self.refs: dict[str, str] = {}
        self.next_number = 1
        self._order: list[tuple[datetime, str]] | None = None
        self._ids: list[str] | None = None

    def new_id(self) -> str:
        while True:
            record_id = f"{self.prefix}{self.next_number:06d}"
            self.next_number += 1
            if record_id not in self.rows and record_id not in self.tombstones:
                return record_id

    def touched(self) -> None:
        """Forget the sorted views; the next read sorts again (once)."""
        self._order = None
        self._ids = None

    def order(self) -> list[tuple[datetime, str]]:
        """Every row and tombstone as ``(modified, id)``, sorted. A new list after each change, so a
        reader half-way through the old one is not disturbed by writes."""
        if self._order is None:
            order = [(row.modified, record_id) for record_id, row in self.rows.items()]
            order.extend((when, record_id) for record_id, when in self.tombstones.items())
            order.sort()
            self._order = order
        return self._order

    def ids(self) -> list[str]:
        """Ids of rows and tombstones, sorted."""
        if self._ids is None:
            self._ids = sorted([*self.rows, *self.tombstones])
        return self._ids

    def store(self, record_id: str, data: dict[str, Any], modified: datetime, ref: str | None) -> None:
        self.tombstones.pop(record_id, None)
        self.rows[record_id] = Row(own_copy(_native(data)), modified, ref)
        if ref is not None:
            self.refs[ref] = record_id
        self.touched()

    def change(self, record_id: str, changes: dict[str, Any], modified: datetime) -> Row:
        row = self.rows[record_id]
        _deep_update(row.data, own_copy(_native(changes)))
        row.modified = modified
        self.touched()
        return row

    def remove(self, record_id: str, modified: datetime) -> bool:
        row = self.rows.pop(record_id, None)
        if row is None:
            return False
        if row.ref is not None and self.refs.get(row.ref) == record_id:
            del self.refs[row.ref]
        self.tombstones[record_id] = modified
        self.touched()
        return True


def _deep_update(target: dict[str, Any], changes: dict[str, Any]) -> None:
    """Apply a partial update: nested objects merge key by key (like a PATCH), lists are replaced."""
    for key, value in changes.items():
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            _deep_update(current, value)
        else:
            target[key] = value


def _native(data: dict[str, Any]) -> dict[str, Any]:
    if RESERVED_FIELDS.isdisjoint(data):
        return data
    return {key: value for key, value in data.items() if key not in RESERVED_FIELDS}


class MemoryDatabase:
    """The data of one in-memory system, plus test controls (clock, faults, out-of-band edits).

    Connectors opened with the same host share one database (:meth:`named`). With a ``path`` the
    database lives in that JSON file, shared by separate processes (CLI runs, Airflow tasks on
    several Celery workers) as a real system's database is: each write takes the file's lock,
    loads what other processes saved meanwhile, and saves; each read loads the file again if
    another process saved it since.
    """

    _named: ClassVar[dict[str, MemoryDatabase]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, name: str = "memory", *, clock: Callable[[], datetime] = utc_now) -> None:
        self.name = name
        self.clock = clock
        self.path: Path | None = None
        self.faults = FaultPlan()
        self.lock = threading.RLock()
        self._tables: dict[str, Table] = {}
        self._seen: tuple[int, int, int] | None = None  # the file as this process last loaded or saved it
        self._file_held = False

    def now(self) -> datetime:
        """The system's time now, without moving a hand-driven clock on."""
        clock = self.clock
        return clock.now if isinstance(clock, ManualClock) else clock()

    # -- sharing -----------------------------------------------------------------------------
    @classmethod
    def named(cls, name: str) -> MemoryDatabase:
        """The database of system ``name`` in this process (created empty on first use)."""
        with cls._registry_lock:
            database = cls._named.get(name)
            if database is None:
                database = cls._named[name] = cls(name)
            return database

    @classmethod
    def forget(cls, name: str | None = None) -> None:
        """Drop one shared database (or all): tests start from a clean slate."""
        with cls._registry_lock:
            if name is None:
                cls._named.clear()
            else:
                cls._named.pop(name, None)

    def table(self, entity: str) -> Table:
        table = self._tables.get(entity)
        if table is None:
            table = self._tables[entity] = Table(entity)
        return table

    # -- out-of-band edits: a user working on that system directly ----------------------------
    def put(
        self,
        entity: str,
        record_id: str | None,
        data: dict[str, Any],
        modified: datetime | None = None,
        ref: str | None = None,
    ) -> str:
        """Create or replace a record (all its fields); returns its id (a new one if None)."""
        with self.writing():
            table = self.table(entity)
            record_id = record_id or table.new_id()
            if ref is None and record_id in table.rows:
                ref = table.rows[record_id].ref
            table.store(record_id, data, modified or self.clock(), ref)
            return record_id

    def patch(
        self, entity: str, record_id: str, changes: dict[str, Any], modified: datetime | None = None
    ) -> None:
        """Change some fields of an existing record."""
        with self.writing():
            table = self.table(entity)
            if record_id not in table.rows:
                raise KeyError(f"no {entity} {record_id!r} in memory system {self.name!r}")
            table.change(record_id, changes, modified or self.clock())

    def delete(self, entity: str, record_id: str, modified: datetime | None = None) -> bool:
        """Delete a record (leaving a tombstone); False if there was none."""
        with self.writing():
            return self.table(entity).remove(record_id, modified or self.clock())

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        self.refresh()
        row = self.table(entity).rows.get(record_id)
        return own_copy(row.data) if row is not None else None

    def all(self, entity: str) -> dict[str, dict[str, Any]]:
        """Every record of ``entity``: id -> a copy of its native data."""
        self.refresh()
        return {record_id: own_copy(row.data) for record_id, row in self.table(entity).rows.items()}

    def count(self, entity: str) -> int:
        return len(self.table(entity).rows)

    def modified_at(self, entity: str, record_id: str) -> datetime | None:
        row = self.table(entity).rows.get(record_id)
        return row.modified if row is not None else self.table(entity).tombstones.get(record_id)

    # -- fault injection ----------------------------------------------------------------------
    def fail_next(
        self, n: int = 1, *, transient: bool = True, error: str | None = None, field: str | None = None
    ) -> None:
        """The next ``n`` record writes fail (transient: like a timeout; else like a rejection)."""
        default = "server timed out" if transient else "rejected by validation"
        self.faults.next_records.extend(RecordFault(transient, error or default, field) for _ in range(n))

    def fail_record(
        self,
        key: str,
        *,
        transient: bool = False,
        error: str | None = None,
        field: str | None = None,
        times: int | None = None,
    ) -> None:
        """Writes of the record with this id or ref fail (``times`` times, or always)."""
        default = "record locked by another user" if transient else "rejected by validation"
        self.faults.by_key[key] = RecordFault(transient, error or default, field, times)

    def fail_next_call(
        self, n: int = 1, *, transient: bool = True, error: str = "HTTP 503 Service Unavailable"
    ) -> None:
        """The next ``n`` connector calls (reads or writes) fail as a whole."""
        self.faults.next_calls.extend(RecordFault(transient, error) for _ in range(n))

    def crash_after(self, writes: int, exc: BaseException | None = None) -> None:
        """Raise ``exc`` (default :class:`SimulatedCrash`) once ``writes`` more records are written.

        The writes before the crash stay applied (and saved), as on a real system.
        """
        self.faults.crash_countdown, self.faults.crash = writes, exc

    def clear_faults(self) -> None:
        self.faults = FaultPlan()

    # -- persistence --------------------------------------------------------------------------
    def attach(self, path: str | os.PathLike[str]) -> None:
        """Persist to ``path``: load it now if it exists, save after every write from now on."""
        with self.lock:
            self.path, self._seen = Path(path), None
            self.refresh()

    def refresh(self) -> None:
        """Load the file again if another process (or another view of it) saved it since."""
        if self.path is None:
            return
        with self.lock, self._file_lock(fcntl.LOCK_SH):
            self._load_if_changed()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the database for a write: other processes' writes are loaded first, none can come
        between, and what was written is saved even if the block raises (as a real system keeps
        the rows it committed before a crash)."""
        with self.lock, self._file_lock(fcntl.LOCK_EX):
            self._load_if_changed()
            try:
                yield
            finally:
                self.save()

    @contextmanager
    def _file_lock(self, mode: int) -> Iterator[None]:
        # flock, not the file itself: os.replace swaps the data file's inode on every save.
        if self.path is None or self._file_held:
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as handle:
            fcntl.flock(handle, mode)
            self._file_held = True
            try:
                yield
            finally:
                self._file_held = False
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _stamp(self, path: Path) -> tuple[int, int, int] | None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    def _load_if_changed(self) -> None:
        if self.path is None:
            return
        stamp = self._stamp(self.path)
        if stamp is not None and stamp != self._seen:
            self._load(self.path)
            self._seen = stamp

    def save(self) -> None:
        if self.path is None:
            return
        state = {
            "name": self.name,
            "tables": {
                entity: {
                    "next_number": table.next_number,
                    "rows": {
                        record_id: {"data": row.data, "modified": row.modified, "ref": row.ref}
                        for record_id, row in table.rows.items()
                    },
                    "tombstones": table.tombstones,
                }
                for entity, table in self._tables.items()
            },
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Write-then-rename: a reader in another process never sees half a file.
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(state, out, ensure_ascii=False, default=_encode)
        os.replace(temp, self.path)
        self._seen = self._stamp(self.path)

    def _load(self, path: Path) -> None:
        try:
            state = json.loads(path.read_text(encoding="utf-8"), object_hook=_decode)
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"memory system {self.name!r}: cannot load {path}: {exc}; delete the file to start empty"
            ) from exc
        self._tables = {}
        for entity, saved in state.get("tables", {}).items():
            table = self.table(entity)
            table.next_number = saved.get("next_number", 1)
            for record_id, row in saved.get("rows", {}).items():
                table.store(record_id, row["data"], row["modified"], row.get("ref"))
            table.tombstones.update(saved.get("tombstones", {}))
            table.touched()


def _encode(value: Any) -> Any:
    """JSON for the few non-JSON types native data may hold; tagged so they load back exactly."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    raise TypeError(f"cannot store a {type(value).__name__} in a memory system file: {value!r}")


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        ((tag, text),) = obj.items()
        if tag == "$datetime":
            return datetime.fromisoformat(text)
        if tag == "$date":
            return date.fromisoformat(text)
        if tag == "$decimal":
            return Decimal(text)
    return obj

"""``memory``: a complete connector over an in-process :class:`MemoryDatabase`, on the connector SDK.

Used by the engine tests, the benchmarks and demo runs. Its capabilities are options, so one class
can play a system with change tracking and delete detection (``change_tracking: cursor``) or one
that only offers full snapshots (``change_tracking: none``), with or without upsert by ref.
Options are read from ``options`` first, then from the connection's ``extra`` (URI query), e.g.
``memory://crm?change_tracking=none&path=/tmp/crm.json``. The ``path`` file is rewritten after every
write batch: meant for demo-sized data shared between processes, not for benchmarks.

Options that make it behave like a real system for tests: ``rules`` (per entity ``required`` fields
and ``max_length``, refused per record), ``fills`` (per entity, fields it fills in on create when
left empty, as Tryton sets a party's company currency), ``record_url`` (a pattern with ``{entity}``
and ``{id}``, as if the system had a UI to link to), and the database's fault plan.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

from connectors.base import (
    Capabilities,
    ConnectionSettings,
    Connector,
    Cursor,
    Entity,
    NativeRecord,
    PermanentError,
    RecordError,
    WriteRequest,
    WriteResult,
)
from connectors.memory.database import MemoryDatabase, Row, Table, own_copy

__all__ = ["MemoryConnector"]

ALL_ENTITIES = ("customer", "product", "quote", "sales_order", "product_cost", "complaint")


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class MemoryEntity(Entity):
    """Any entity of the memory system: one table, ordered by (modified, id)."""

    connector: MemoryConnector

    def __init__(self, connector: Connector) -> None:
        super().__init__(connector)
        self.modified_field = "modified" if self.connector.tracking == "cursor" else None  # type: ignore[misc]

    @property
    def capabilities(self) -> Capabilities:
        return self.connector.capabilities_of_options(self.name)

    @property
    def table(self) -> Table:
        return self.connector.db.table(self.name)

    def _call(self, what: str) -> Table:
        db = self.connector.db
        db.faults.check_call(f"{what} {self.name}")
        db.refresh()  # what other processes wrote to the system's file meanwhile
        return self.table

    # -- reads ---------------------------------------------------------------------------------
    def pages(self, since: Cursor | None, page_size: int) -> Iterator[list[NativeRecord]]:
        table = self._call("read_changes")
        if self.modified_field is None:
            return self._scan(table, ((None, record_id) for record_id in table.ids()), page_size)
        order = table.order()
        # strictly after the cursor: the record at the mark was read already
        start = bisect_right(order, (since.modified, since.id)) if since is not None else 0
        return self._scan(table, (order[i] for i in range(start, len(order))), page_size)

    def _scan(
        self, table: Table, keys: Iterable[tuple[datetime | None, str]], page_size: int
    ) -> Iterator[list[NativeRecord]]:
        records: list[NativeRecord] = []
        for modified, record_id in keys:
            with self.connector.db.lock:  # writes may run on other threads meanwhile
                record = self._current(table, modified, record_id)
            if record is None:
                continue
            records.append(record)
            if len(records) >= page_size:
                yield records
                records = []
        if records:
            yield records

    def _current(self, table: Table, modified: datetime | None, record_id: str) -> NativeRecord | None:
        """The record as it stands, if it still stands where the read's order put it."""
        row = table.rows.get(record_id)
        if row is not None:
            # A row changed after the order was taken appears again later, at its new place.
            return None if modified is not None and row.modified != modified else _native(record_id, row)
        if self.capabilities.delete_detection and record_id in table.tombstones:
            when = table.tombstones[record_id]
            if modified is None or when == modified:
                return NativeRecord(id=record_id, data={}, modified=when, deleted=True)
        return None

    def fetch(self, ids: Sequence[str]) -> list[NativeRecord]:
        table = self._call("read_by_ids")
        with self.connector.db.lock:
            return [_native(record_id, table.rows[record_id]) for record_id in ids if record_id in table.rows]

    def list_ids(self) -> Iterator[str]:
        table = self._call("list_ids")
        return (record_id for record_id in table.ids() if record_id in table.rows)

    # -- writes --------------------------------------------------------------------------------
    def write_many(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        self._call("write_batch")
        if len(requests) > self.capabilities.max_batch_size:
            raise PermanentError(
                f"memory system {self.connector.db.name!r}: batch of {len(requests)} {self.name} writes "
                f"exceeds max_batch_size {self.capabilities.max_batch_size}; split it"
            )
        db = self.connector.db
        faults = db.faults
        results: list[WriteResult] = []
        with db.writing():  # what was written stays written, crash or not
            for request in requests:
                if faults.should_crash():  # the process 'dies': this must not become a result
                    raise faults.take_crash()
                results.append(self.write_one(request))
                faults.count_write()
            if faults.should_crash():
                raise faults.take_crash()
        return results

    def write_one(self, request: WriteRequest) -> WriteResult:
        fault = self.connector.db.faults.record_fault(request.id, request.ref)
        if fault is not None:
            exc = RecordError(f"{fault.error} (simulated)", field=fault.field, transient=fault.transient)
            return self.failure(request, exc)
        result = super().write_one(request)
        if result.ok and request.op == "update" and self.capabilities.upsert_by_external_id:
            # a record claimed by natural key learns the ref it is synced under, as a create would
            table = self.table
            row = table.rows[str(request.id)]
            if row.ref is None:
                row.ref = request.ref
                table.refs[request.ref] = str(request.id)
                result = replace(result, record=_native(str(request.id), row))
        return result

    def create(self, data: dict[str, Any], ref: str) -> NativeRecord:
        self._check_rules(data, creating=True)
        table, now = self.table, self.connector.db.clock()
        upsert = self.capabilities.upsert_by_external_id
        existing = table.refs.get(ref) if upsert else None
        if existing is not None and existing in table.rows:
            table.change(existing, data, now)
            return _native(existing, table.rows[existing])
        record_id = table.new_id()
        for name, value in self.connector.fills.get(self.name, {}).items():
            if data.get(name) in (None, ""):
                data[name] = value
        table.store(record_id, data, now, ref if upsert else None)
        return _native(record_id, table.rows[record_id])

    def update(self, record_id: str, data: dict[str, Any]) -> NativeRecord:
        self._check_rules(data, creating=False)
        table = self.table
        if record_id not in table.rows:
            raise RecordError(f"no such record in memory system {self.connector.db.name!r} (deleted?)")
        return _native(record_id, table.change(record_id, data, self.connector.db.clock()))

    def delete(self, record_id: str) -> None:
        # deleting what is already gone is a success: retries are safe
        self.table.remove(record_id, self.connector.db.clock())

    def record_url(self, record_id: str) -> str | None:
        pattern = self.connector.url_pattern
        return pattern.format(entity=self.name, id=quote(record_id, safe="")) if pattern else None

    def _check_rules(self, data: Mapping[str, Any], *, creating: bool) -> None:
        """The system's own validation (``options["rules"]``): required fields and maximum lengths."""
        rules = self.connector.rules.get(self.name)
        if not rules:
            return
        for name in rules.get("required", ()):
            if (creating or name in data) and data.get(name) in (None, "", []):
                raise RecordError(f"field {name!r} is required by this system; fill it on the other side",
                                  field=name)  # fmt: skip
        for name, limit in rules.get("max_length", {}).items():
            value = data.get(name)
            if isinstance(value, str) and len(value) > limit:
                raise RecordError(
                    f"field {name!r} is {len(value)} characters, this system allows {limit}; shorten it",
                    field=name,
                )


def _native(record_id: str, row: Row) -> NativeRecord:
    return NativeRecord(id=record_id, data=own_copy(row.data), modified=row.modified, ref=row.ref)


ENTITY_TYPES: tuple[type[MemoryEntity], ...] = tuple(
    type(f"Memory{entity.title().replace('_', '')}", (MemoryEntity,), {"name": entity, "native": entity})
    for entity in ALL_ENTITIES
)


class MemoryConnector(Connector):
    name = "memory"
    entity_types: ClassVar[Sequence[type[Entity]]] = ENTITY_TYPES

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings, options)
        self.tracking = self._option("change_tracking", "cursor")
        if self.tracking not in ("cursor", "none"):
            raise PermanentError(
                f"memory connector: change_tracking must be 'cursor' or 'none', not {self.tracking!r}"
            )
        entities = self._option("entities", ALL_ENTITIES)
        if isinstance(entities, str):
            entities = [e.strip() for e in entities.split(",") if e.strip()]
        self.capabilities = Capabilities(
            entities=frozenset(entities),
            change_tracking=self.tracking,
            delete_detection=_flag(self._option("delete_detection", self.tracking == "cursor")),
            upsert_by_external_id=_flag(self._option("upsert_by_external_id", True)),
            max_batch_size=int(self._option("max_batch_size", 200)),
        )
        self.rules: Mapping[str, Mapping[str, Any]] = self._option("rules", {})
        self.fills: Mapping[str, Mapping[str, Any]] = self._option("fills", {})
        self.url_pattern: str | None = self._option("record_url", None)
        self.db = MemoryDatabase.named(settings.host or settings.schema or "memory")
        path = self._option("path", None)
        if path:
            self.db.attach(path)

    def _option(self, key: str, default: Any) -> Any:
        if key in self.options:
            return self.options[key]
        return self.settings.extra.get(key, default)

    def entity(self, name: str) -> Entity:
        if name not in self.capabilities.entities:
            known = ", ".join(sorted(self.capabilities.entities))
            raise PermanentError(
                f"memory system {self.db.name!r} does not hold {name!r} (it holds: {known}); "
                "add it to the connector's 'entities' option"
            )
        return super().entity(name)

    def capabilities_of_options(self, entity: str) -> Capabilities:
        return Capabilities(
            entities=frozenset({entity}),
            change_tracking=self.capabilities.change_tracking,
            delete_detection=self.capabilities.delete_detection,
            upsert_by_external_id=self.capabilities.upsert_by_external_id,
            max_batch_size=self.capabilities.max_batch_size,
            # it stores what it is sent, unless told to fill fields in like a real system
            saves_as_sent=not self.fills.get(entity),
            concurrent_writes=True,  # every call holds the database's lock
        )

    def server_time(self) -> datetime:
        return self.db.now()

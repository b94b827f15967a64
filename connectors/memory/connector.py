"""``memory``: a complete connector over an in-process :class:`MemoryDatabase`.

Used by the engine tests, the benchmarks and demo runs. Its capabilities are options, so one class
can play a system with change tracking and delete detection (``change_tracking: cursor``) or one
that only offers full snapshots (``change_tracking: none``), with or without upsert by ref.
Options are read from ``options`` first, then from the connection's ``extra`` (URI query), e.g.
``memory://crm?change_tracking=none&path=/tmp/crm.json``. The ``path`` file is rewritten after every
write batch: meant for demo-sized data shared between processes, not for benchmarks.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
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
from connectors.memory.database import MemoryDatabase, Row, Table, own_copy

__all__ = ["MemoryConnector"]

ALL_ENTITIES = ("customer", "product", "quote", "sales_order", "product_cost", "complaint")


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class MemoryConnector(Connector):
    name = "memory"

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings, options)
        tracking = self._option("change_tracking", "cursor")
        if tracking not in ("cursor", "none"):
            raise PermanentError(
                f"memory connector: change_tracking must be 'cursor' or 'none', not {tracking!r}"
            )
        entities = self._option("entities", ALL_ENTITIES)
        if isinstance(entities, str):
            entities = [e.strip() for e in entities.split(",") if e.strip()]
        self.capabilities = Capabilities(
            entities=frozenset(entities),
            change_tracking=tracking,
            delete_detection=_flag(self._option("delete_detection", tracking == "cursor")),
            upsert_by_external_id=_flag(self._option("upsert_by_external_id", True)),
            max_batch_size=int(self._option("max_batch_size", 200)),
        )
        self.rules: Mapping[str, Mapping[str, Any]] = self._option("rules", {})
        self.db = MemoryDatabase.named(settings.host or settings.schema or "memory")
        path = self._option("path", None)
        if path:
            self.db.attach(path)

    def _option(self, key: str, default: Any) -> Any:
        if key in self.options:
            return self.options[key]
        return self.settings.extra.get(key, default)

    def _table(self, entity: str, what: str) -> Table:
        if entity not in self.capabilities.entities:
            known = ", ".join(sorted(self.capabilities.entities))
            raise PermanentError(
                f"memory system {self.db.name!r} does not hold {entity!r} (it holds: {known}); "
                "add it to the connector's 'entities' option"
            )
        self.db.faults.check_call(f"{what} {entity}")
        return self.db.table(entity)

    # -- reads ---------------------------------------------------------------------------------
    def read_changes(self, entity: str, since: Cursor | None, *, page_size: int = 500) -> Iterator[Page]:
        table = self._table(entity, "read_changes")
        if self.capabilities.change_tracking == "none":
            return self._pages(table, ((None, record_id) for record_id in table.ids()), page_size, False)
        order = table.order()
        start = bisect_left(order, (since.modified, since.id)) if since is not None else 0
        return self._pages(table, (order[i] for i in range(start, len(order))), page_size, True)

    def _pages(
        self,
        table: Table,
        keys: Iterable[tuple[datetime | None, str]],
        page_size: int,
        with_cursor: bool,
    ) -> Iterator[Page]:
        deletes = self.capabilities.delete_detection
        records: list[NativeRecord] = []
        last: tuple[datetime, str] | None = None
        for modified, record_id in keys:
            row = table.rows.get(record_id)
            if row is not None:
                # A row changed after the order was taken appears again later, at its new place.
                if modified is not None and row.modified != modified:
                    continue
                records.append(self._native(record_id, row))
                last = (row.modified, record_id)
            elif deletes and record_id in table.tombstones:
                when = table.tombstones[record_id]
                if modified is not None and when != modified:
                    continue
                records.append(NativeRecord(id=record_id, data={}, modified=when, deleted=True))
                last = (when, record_id)
            else:
                continue
            if len(records) >= page_size:
                yield Page(records, Cursor(*last) if with_cursor else None)
                records = []
        if records:
            assert last is not None
            yield Page(records, Cursor(*last) if with_cursor else None)

    @staticmethod
    def _native(record_id: str, row: Row) -> NativeRecord:
        return NativeRecord(id=record_id, data=own_copy(row.data), modified=row.modified, ref=row.ref)

    def server_time(self) -> datetime:
        return self.db.now()

    def read_by_ids(self, entity: str, ids: Sequence[str]) -> list[NativeRecord]:
        table = self._table(entity, "read_by_ids")
        return [
            self._native(record_id, table.rows[record_id]) for record_id in ids if record_id in table.rows
        ]

    def list_ids(self, entity: str) -> Iterator[str]:
        table = self._table(entity, "list_ids")
        return (record_id for record_id in table.ids() if record_id in table.rows)

    # -- writes --------------------------------------------------------------------------------
    def write_batch(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        table = self._table(entity, "write_batch")
        if len(requests) > self.capabilities.max_batch_size:
            raise PermanentError(
                f"memory system {self.db.name!r}: batch of {len(requests)} {entity} writes exceeds "
                f"max_batch_size {self.capabilities.max_batch_size}; split it"
            )
        faults = self.db.faults
        results: list[WriteResult] = []
        with self.db.lock:
            try:
                for request in requests:
                    if faults.should_crash():
                        raise faults.take_crash()
                    results.append(self._write_one(entity, table, request))
                    faults.count_write()
                if faults.should_crash():
                    raise faults.take_crash()
            finally:
                self.db.save()  # what was written stays written, crash or not
        return results

    def _write_one(self, entity: str, table: Table, request: WriteRequest) -> WriteResult:
        fault = self.db.faults.record_fault(request.id, request.ref)
        if fault is not None:
            return WriteResult(
                ref=request.ref,
                ok=False,
                id=request.id,
                error=f"{entity} {request.id or request.ref}: {fault.error} (simulated)",
                field=fault.field,
                transient=fault.transient,
            )
        if request.op != "delete":
            problem = self._check_rules(entity, request)
            if problem is not None:
                return problem
        now = self.db.clock()
        if request.op == "create":
            return self._create(table, request, now)
        if request.id is None:
            return WriteResult(
                ref=request.ref, ok=False, error=f"{entity} {request.ref}: {request.op} needs the record id"
            )
        if request.op == "delete":
            table.remove(request.id, now)  # deleting what is already gone is a success: retries are safe
            return WriteResult(
                ref=request.ref, ok=True, id=request.id, modified=table.tombstones.get(request.id, now)
            )
        if request.id not in table.rows:
            return WriteResult(
                ref=request.ref,
                ok=False,
                id=request.id,
                error=f"{entity} {request.id}: no such record in memory system {self.db.name!r} (deleted?)",
            )
        row = table.change(request.id, request.data, now)
        if self.capabilities.upsert_by_external_id and row.ref is None:
            row.ref = request.ref
            table.refs[request.ref] = request.id
        return self._saved(table, request, request.id, now)

    def _saved(self, table: Table, request: WriteRequest, record_id: str, now: datetime) -> WriteResult:
        """Success, carrying the record as stored (as an API that answers with the saved record)."""
        return WriteResult(
            ref=request.ref,
            ok=True,
            id=record_id,
            modified=now,
            record=self._native(record_id, table.rows[record_id]),
        )

    def _create(self, table: Table, request: WriteRequest, now: datetime) -> WriteResult:
        upsert = self.capabilities.upsert_by_external_id
        existing = table.refs.get(request.ref) if upsert else None
        if existing is not None and existing in table.rows:
            table.change(existing, request.data, now)
            return self._saved(table, request, existing, now)
        record_id = table.new_id()
        table.store(record_id, request.data, now, request.ref if upsert else None)
        return self._saved(table, request, record_id, now)

    def _check_rules(self, entity: str, request: WriteRequest) -> WriteResult | None:
        """The system's own validation (``options["rules"]``): required fields and maximum lengths."""
        rules = self.rules.get(entity)
        if not rules:
            return None
        who = f"{entity} {request.id or request.ref}"
        for name in rules.get("required", ()):
            if (request.op == "create" or name in request.data) and request.data.get(name) in (None, "", []):
                return WriteResult(
                    ref=request.ref,
                    ok=False,
                    id=request.id,
                    field=name,
                    error=f"{who}: field {name!r} is required by this system; fill it on the other side",
                )
        for name, limit in rules.get("max_length", {}).items():
            value = request.data.get(name)
            if isinstance(value, str) and len(value) > limit:
                return WriteResult(
                    ref=request.ref,
                    ok=False,
                    id=request.id,
                    field=name,
                    error=f"{who}: field {name!r} is {len(value)} characters, this system allows {limit}; "
                    "shorten it",
                )
        return None

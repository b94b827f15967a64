"""``tryton``: the Tryton ERP over JSON-RPC.

Connection: ``tryton://<user>:<password>@<host>:<port>/<database>?scheme=https&timeout=30``.
Options (system ``options`` in synchub.yaml, or URI query): ``accept_warnings`` (press buttons
again after a UserWarning such as a credit-limit warning), ``tax_identifier_type``,
``product_type``, ``invoice_method``, ``complaint_type``, ``web_url`` (where people open the Tryton
web client; default the server's own address, where trytond serves it when installed).

Each record is written in its own transaction (one RPC call), so a bad record fails alone; plain
creates go in one call per batch and fall back to one call per record when that call fails.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

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
from connectors.tryton.client import TrytonClient, TrytonError
from connectors.tryton.domains import changed_since, in_
from connectors.tryton.entities import ADAPTERS, EntityAdapter, RecordProblem
from connectors.tryton.refdata import ReferenceData, UnknownCode

__all__ = ["TrytonConnector"]

ORDER = (("last_modified_at", "ASC"), ("id", "ASC"))


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class TrytonConnector(Connector):
    name = "tryton"
    capabilities = Capabilities(
        entities=frozenset(ADAPTERS),
        change_tracking="cursor",
        delete_detection=False,  # deletes leave no trace in Tryton: reconcile with list_ids
        batch_writes=True,
        upsert_by_external_id=False,
        max_batch_size=200,
    )

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings, options)
        merged = {**dict(settings.extra), **self.options}
        merged["accept_warnings"] = _flag(merged.get("accept_warnings", False))
        self.options = merged
        if not settings.schema:
            raise PermanentError(
                "tryton connection has no database name: use tryton://user:password@host:port/<database>"
            )
        scheme = str(merged.get("scheme", "http"))
        host = settings.host or "127.0.0.1"
        port = settings.port or 8000
        self.server_url = f"{scheme}://{host}:{port}"
        self.client = TrytonClient(
            self.server_url,
            settings.schema,
            settings.login or "admin",
            settings.password or "",
            timeout=float(merged.get("timeout", 60)),
        )
        self.refs = ReferenceData(self.client)
        self._adapters: dict[str, EntityAdapter] = {}

    def adapter(self, entity: str) -> EntityAdapter:
        if entity not in self._adapters:
            cls = ADAPTERS.get(entity)
            if cls is None:
                known = ", ".join(sorted(ADAPTERS))
                raise PermanentError(f"the tryton connector has no entity {entity!r} (it has: {known})")
            self._adapters[entity] = cls(self.client, self.refs, self.options)
        return self._adapters[entity]

    def record_url(self, entity: str, record_id: str) -> str | None:
        """The record's form in the Tryton web client: ``<web_url>/#<database>/model/<model>/<id>``."""
        cls = ADAPTERS.get(entity)
        if cls is None or not str(record_id).isdigit():
            return None
        base = str(self.options.get("web_url") or self.server_url).rstrip("/")
        return f"{base}/#{quote(str(self.settings.schema), safe='')}/model/{cls.model}/{record_id}"

    # -- reads -------------------------------------------------------------------------------------
    def read_changes(self, entity: str, since: Cursor | None, *, page_size: int = 500) -> Iterator[Page]:
        adapter = self.adapter(entity)
        key: tuple[datetime, int | None] | None = None
        if since is not None:
            key = (_naive_utc(since.modified), int(since.id) if since.id.isdigit() else None)
        return self._pages(adapter, key, page_size)

    def _pages(
        self, adapter: EntityAdapter, key: tuple[datetime, int | None] | None, size: int
    ) -> Iterator[Page]:
        while True:
            domain = changed_since(*key) if key is not None else []
            rows = adapter.read_rows(domain, limit=size, order=ORDER)
            if not rows:
                return
            yield Page(
                self._records(adapter, rows),
                Cursor(_aware(rows[-1]["last_modified_at"]), str(rows[-1]["id"])),
            )
            if len(rows) < size:
                return
            # keyset: the next page starts right after the last row, even inside one timestamp
            key = (rows[-1]["last_modified_at"], rows[-1]["id"] + 1)

    def _records(self, adapter: EntityAdapter, rows: list[dict]) -> list[NativeRecord]:
        shaped = adapter.shape(rows)
        return [
            NativeRecord(id=str(row["id"]), data=data, modified=_aware(row["last_modified_at"]))
            for row, data in zip(rows, shaped, strict=True)
        ]

    def read_by_ids(self, entity: str, ids: Sequence[str]) -> list[NativeRecord]:
        adapter = self.adapter(entity)
        wanted = [int(i) for i in ids if str(i).isdigit()]
        if not wanted:
            return []
        rows = adapter.read_rows(in_("id", wanted), limit=None, order=ORDER)
        return self._records(adapter, rows)

    def list_ids(self, entity: str) -> Iterator[str]:
        adapter = self.adapter(entity)
        last = 0
        while True:
            ids = adapter.call("search", adapter.full_domain(["id", ">", last]), 0, 5000, [["id", "ASC"]])
            yield from (str(i) for i in ids)
            if len(ids) < 5000:
                return
            last = ids[-1]

    # -- writes ------------------------------------------------------------------------------------
    def write_batch(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        adapter = self.adapter(entity)
        results: dict[int, WriteResult] = {}
        creates = [(i, r) for i, r in enumerate(requests) if r.op == "create"]
        if adapter.batch_create and len(creates) > 1:
            results.update(self._create_together(adapter, creates))
        for index, request in enumerate(requests):
            if index not in results:
                results[index] = self._write_one(adapter, request)
        return [results[i] for i in range(len(requests))]

    def _create_together(
        self, adapter: EntityAdapter, creates: list[tuple[int, WriteRequest]]
    ) -> dict[int, WriteResult]:
        """One ``create`` call for many records; any failure leaves them to one call each."""
        values: list[tuple[int, WriteRequest, dict[str, Any]]] = []
        results: dict[int, WriteResult] = {}
        for index, request in creates:
            try:
                values.append((index, request, adapter.create_values(request.data)))
            except (RecordProblem, UnknownCode, TrytonError) as exc:
                results[index] = self._failure(adapter, request, exc)
        if not values:
            return results
        model = getattr(adapter, "create_model", lambda: adapter.model)()
        try:
            ids = adapter.call("create", [v for _, _, v in values], model=model)
        except TrytonError:
            return results  # the transaction rolled back: the records are retried one by one
        for (index, request, _), new_id in zip(values, ids, strict=True):
            record_id = adapter.created_id(new_id) if hasattr(adapter, "created_id") else new_id
            results[index] = WriteResult(ref=request.ref, ok=True, id=str(record_id))
        return results

    def _write_one(self, adapter: EntityAdapter, request: WriteRequest) -> WriteResult:
        try:
            if request.op == "create":
                record_id = self._create(adapter, request)
            else:
                record_id = self._existing_id(adapter, request)
                if request.op == "update":
                    adapter.update(record_id, request.data)
                else:
                    adapter.delete(record_id)
        except (RecordProblem, UnknownCode, TrytonError) as exc:
            return self._failure(adapter, request, exc)
        return WriteResult(ref=request.ref, ok=True, id=str(record_id))

    def _create(self, adapter: EntityAdapter, request: WriteRequest) -> int:
        if hasattr(adapter, "create_existing"):
            return int(adapter.create_existing(request.data))
        model = getattr(adapter, "create_model", lambda: adapter.model)()
        (new_id,) = adapter.call("create", [adapter.create_values(request.data)], model=model)
        record_id = adapter.created_id(new_id) if hasattr(adapter, "created_id") else int(new_id)
        adapter.after_create(record_id, request.data)
        return record_id

    @staticmethod
    def _existing_id(adapter: EntityAdapter, request: WriteRequest) -> int:
        if not request.id or not str(request.id).isdigit():
            raise RecordProblem(None, f"{request.op} needs the Tryton id of the record, got {request.id!r}")
        record_id = int(request.id)
        if not adapter.call("search", adapter.full_domain(["id", "=", record_id]), 0, 1, None):
            if request.op == "delete":
                return record_id  # already gone is deleted: retries stay safe
            raise RecordProblem(None, f"no {adapter.model} with id {record_id} (deleted in Tryton?)")
        return record_id

    def _failure(self, adapter: EntityAdapter, request: WriteRequest, exc: Exception) -> WriteResult:
        who = f"{adapter.entity} {request.id or request.ref}"
        if isinstance(exc, TrytonError):
            if exc.kind == "UserWarning":
                fix = "accept it in Tryton, or set the connection option accept_warnings: true"
            else:
                fix = "correct the record on the other side or in Tryton, then rerun"
            error = f"{who}: Tryton refused the {request.op} ({exc.kind}): {exc.message}; fix: {fix}"
            return WriteResult(ref=request.ref, ok=False, id=request.id, error=error)
        field = exc.field if isinstance(exc, RecordProblem) else None
        return WriteResult(ref=request.ref, ok=False, id=request.id, error=f"{who}: {exc}", field=field)

    def close(self) -> None:
        self.client.logout()


def _naive_utc(moment: datetime) -> datetime:
    """Tryton's timestamps are naive UTC; SyncHub's are aware."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None else None

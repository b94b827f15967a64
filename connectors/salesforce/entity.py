"""One SyncHub entity held by one Salesforce object: how it is read and written, whatever the entity.

Reads: SOQL ordered by ``(SystemModstamp, Id)``, strictly after the cursor, through ``queryAll`` so
deleted records arrive as tombstones in the same ordered stream; only fields the org has are
selected (its describe is read once per connector, i.e. once per run). A child edit or delete does
not move its parent's ``SystemModstamp``, so parents of children changed after the cursor are read
again at the end. Writes: creates upsert by the entity's external id, updates go by record Id, both
through sObject Collections (200 per request, ``allOrNone=false``) or, from ``bulk_threshold``
records on, through Bulk API 2.0; children are brought to the list sent afterwards (children.py).

Each entity subclass (customers.py, products.py, costs.py, quotes.py, orders.py, complaints.py)
declares its object, fields and children, and overrides the hooks its object's rules need.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from connectors.base import (
    Capabilities,
    ConnectorError,
    Cursor,
    Entity,
    NativeRecord,
    RecordError,
    WriteRequest,
    WriteResult,
)
from connectors.salesforce import children
from connectors.salesforce.batches import COLLECTION_SIZE, Outcome, delete_ids, send_records
from connectors.salesforce.bulk import bulk_write
from connectors.salesforce.children import Child
from connectors.salesforce.soql import parse_timestamp, quote, soql_datetime, stamp_after

if TYPE_CHECKING:
    from connectors.salesforce.client import SalesforceClient
    from connectors.salesforce.connector import SalesforceConnector

__all__ = ["Items", "SObjectEntity"]

Items = list[tuple[int, WriteRequest]]
"""Requests of a batch with their place in it."""

log = logging.getLogger(__name__)
RECYCLE_BIN = timedelta(days=15)
_FIXES = {
    "REQUIRED_FIELD_MISSING": "fill the field in the source record or map it in mappings/salesforce",
    "INVALID_FIELD": "create the custom field (docs/connectors/salesforce.md) or fix the mapping",
    "INVALID_FIELD_FOR_INSERT_UPDATE": "the field is read-only for the integration user (or always, see "
    "docs/connectors/salesforce.md); give it edit access or stop mapping it",
    "DUPLICATE_EXTERNAL_ID": "several Salesforce records hold this SyncHub id; clear it on all but one",
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": "the record breaks a validation rule in Salesforce; fix the value",
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": "add the value to the picklist or to the mapping's value map",
    "STRING_TOO_LONG": "shorten the value in the source system",
    "INVALID_CROSS_REFERENCE_KEY": "the referenced record does not exist in Salesforce; sync it first",
    "ENTITY_IS_LOCKED": "the record is locked in Salesforce (an activated order or an approval); "
    "change it there",
    "FIELD_INTEGRITY_EXCEPTION": "the values break a Salesforce rule (price book, currency, status); "
    "see the message",
    "STANDARD_PRICE_NOT_DEFINED": "give the product a standard price first (products flow)",
}


class SObjectEntity(Entity):
    """An entity stored in one Salesforce object (``native``), with nested children."""

    id_field = "Id"
    modified_field = "SystemModstamp"
    deletes_reported = True
    upsert_by_ref = True
    batch_size = COLLECTION_SIZE

    fields: ClassVar[tuple[str, ...]] = ()
    """Fields read and writable (besides Id, SystemModstamp, LastModifiedById, the external id)."""
    read_only: ClassVar[tuple[str, ...]] = ()
    external_id: ClassVar[str] = "SyncHub_Id__c"
    children: ClassVar[tuple[Child, ...]] = ()
    where: ClassVar[str | None] = None
    """A fixed filter: which records of the object are this entity."""

    connector: SalesforceConnector

    @property
    def capabilities(self) -> Capabilities:
        # The engine hands over batches this big, so that large ones can go through Bulk API 2.0.
        size = max(self.batch_size, self.connector.sf_settings.bulk_threshold)
        return replace(super().capabilities, max_batch_size=size)

    @property
    def client(self) -> SalesforceClient:
        return self.connector.client

    def record_url(self, record_id: str) -> str | None:
        return f"{self.connector.lightning_url()}/lightning/r/{self.native}/{record_id}/view"

    # -- what to select ----------------------------------------------------------------------------
    def conditions(self) -> list[str]:
        return [self.where] if self.where else []

    def select_fields(self) -> list[str]:
        names = ["Id", "SystemModstamp", "LastModifiedById", self.external_id, *self.fields, *self.read_only]
        return self.connector.schema.existing(self.native, names)

    # -- reads -------------------------------------------------------------------------------------
    def pages(self, since: Cursor | None, page_size: int) -> Iterator[list[NativeRecord]]:
        self.client.guard(f"reading {self.name}")
        fields = ", ".join([*self.select_fields(), "IsDeleted"])
        conditions = self.conditions()
        if since is not None:
            conditions.append(stamp_after(since, tie_break=True))
            self._check_delete_log(since.modified)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        soql = f"SELECT {fields} FROM {self.native}{where} ORDER BY SystemModstamp, Id"
        own = (
            self.client.user_id
            if (since is not None and self.connector.sf_settings.skip_own_changes)
            else None
        )
        size = max(1, page_size)
        seen: set[str] = set()
        for rows in self.client.query_pages(f"reading {self.name}", soql, include_deleted=since is not None):
            for start in range(0, len(rows), size):
                chunk = rows[start : start + size]
                seen.update(r["Id"] for r in chunk)
                # Our own writes come back with the integration user as last modifier: skip the echo.
                keep = [
                    r for r in chunk if own is None or r.get("LastModifiedById") != own or r.get("IsDeleted")
                ]
                if keep:
                    yield self.natives(keep)
        if since is not None:
            parents = self.changed_parents(since, own) - seen
            if parents:
                yield self.fetch(sorted(parents))

    def changed_parents(self, since: Cursor, own: str | None) -> set[str]:
        """Records whose children changed (or were deleted) after ``since``: their own mark stayed."""
        return children.changed_parents(self, since, own)

    def _check_delete_log(self, mark: datetime) -> None:
        """Deletions before the log's earliest date are gone from queryAll and ``deleted`` alike."""
        now = self.connector.server_time() or datetime.now(UTC)
        mark = mark.astimezone(UTC).replace(microsecond=0)
        earliest: datetime | None = None
        if now - mark <= RECYCLE_BIN:
            answer = self.client.rest(
                f"reading the delete log of {self.native}",
                f"sobjects/{self.native}/deleted/",
                "GET",
                params={"start": soql_datetime(mark), "end": soql_datetime(max(now, mark))},
            )
            text = (answer or {}).get("earliestDateAvailable")
            earliest = parse_timestamp(text) if text else None
            if earliest is not None and earliest <= mark:
                return
        self.connector.stale_deletes.add(self.name)
        log.warning(
            "salesforce %s: cursor %s is older than the org's delete log (earliest %s); deletions before "
            "then are not reported, so this run compares all ids",
            self.name,
            mark.isoformat(),
            earliest.isoformat() if earliest else "15 days ago",
        )

    def natives(self, rows: list[dict[str, Any]]) -> list[NativeRecord]:
        live = [r for r in rows if not r.get("IsDeleted")]
        found = children.read(self.connector, self.children, [r["Id"] for r in live])
        out = []
        for row in rows:
            modified = parse_timestamp(row["SystemModstamp"])
            if row.get("IsDeleted"):
                out.append(NativeRecord(id=row["Id"], data={}, modified=modified, deleted=True))
                continue
            data = {k: v for k, v in row.items() if k not in ("IsDeleted", "LastModifiedById")}
            if (
                "CurrencyIsoCode" in (*self.fields, *self.read_only)
                and not self.connector.schema.multi_currency
            ):
                data["CurrencyIsoCode"] = self.connector.schema.org_currency()
            self.shape_read(data)
            for child in self.children:
                got = found.get((child.key, row["Id"]), [])
                data[child.key] = got if child.many else (got[0] if got else None)
            out.append(
                NativeRecord(id=row["Id"], data=data, modified=modified, ref=row.get(self.external_id))
            )
        return self.finish(out)

    def shape_read(self, data: dict[str, Any]) -> None:
        """Reshape a read row's fields into the native record (e.g. addresses); nothing by default."""

    def finish(self, records: list[NativeRecord]) -> list[NativeRecord]:
        """Last touches on a page of records (e.g. an accepted quote's Order); none by default."""
        return records

    def fetch(self, ids: Sequence[str]) -> list[NativeRecord]:
        self.client.guard(f"reading {self.name}")
        out: list[NativeRecord] = []
        fields = ", ".join(self.select_fields())
        for start in range(0, len(ids), COLLECTION_SIZE):
            chunk = list(ids[start : start + COLLECTION_SIZE])
            where = " AND ".join([*self.conditions(), f"Id IN ({', '.join(quote(i) for i in chunk)})"])
            rows = self.client.query_all(
                f"reading {self.name}", f"SELECT {fields} FROM {self.native} WHERE {where}"
            )
            out.extend(self.natives(rows))
        return out

    def list_ids(self) -> Iterator[str]:
        self.client.guard(f"listing {self.name} ids")
        conditions = self.conditions()
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        for rows in self.client.query_pages(
            f"listing {self.name}", f"SELECT Id FROM {self.native}{where} ORDER BY Id"
        ):
            yield from (r["Id"] for r in rows)

    # -- writes ------------------------------------------------------------------------------------
    def write_many(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """One result per request; a whole-call failure is raised as the batch's error, never a raw
        client exception (the daily limit raises :class:`StopRun`)."""
        if not requests:
            return []
        try:
            self.client.guard(f"writing {len(requests)} {self.name} records")
            return self.write_requests(list(requests))
        except ConnectorError:  # StopRun, TransientError, PermanentError: the batch's error
            raise
        except Exception as exc:
            raise self.connector.classify(exc) from exc

    def write_requests(self, requests: list[WriteRequest]) -> list[WriteResult]:
        results: dict[int, WriteResult] = {}
        upserts = [(i, r) for i, r in enumerate(requests) if r.op == "create"]
        updates = [(i, r) for i, r in enumerate(requests) if r.op == "update"]
        deletes = [(i, r) for i, r in enumerate(requests) if r.op == "delete"]
        upserts, updates, extra, refused = self.prepare(upserts, updates)
        results.update(refused)
        rows: dict[int, dict[str, Any]] = {}
        for mode, items in (("upsert", upserts), ("update", updates)):
            for index, request in items:
                if index in results:
                    continue
                try:
                    row = {**self.row(request, mode), **extra.get(index, {})}
                    # A None among the extras means "do not send this field" (create-only fields).
                    rows[index] = {
                        k: v for k, v in row.items() if not (k in extra.get(index, {}) and v is None)
                    }
                except RecordError as exc:
                    results[index] = self.refused(request, str(exc), exc.field, transient=exc.transient)
        upserts = [(i, r) for i, r in upserts if i in rows]
        updates = [(i, r) for i, r in updates if i in rows]
        if len(upserts) + len(updates) >= self.connector.sf_settings.bulk_threshold:
            results.update(bulk_write(self, upserts, rows, "upsert"))
            results.update(bulk_write(self, updates, rows, "update"))
        else:
            for mode, items in (("upsert", upserts), ("update", updates)):
                path = (
                    f"composite/sobjects/{self.native}/{self.external_id}"
                    if mode == "upsert"
                    else "composite/sobjects"
                )
                outcomes = send_records(
                    self.client,
                    f"writing {self.native}",
                    path,
                    "PATCH",
                    self.native,
                    [rows[i] for i, _ in items],
                )
                for (index, request), outcome in zip(items, outcomes, strict=True):
                    results[index] = self.result(request, outcome)
        results.update(self.delete_requests(deletes))
        written = [(i, r) for i, r in [*upserts, *updates] if results[i].ok]
        results.update(children.write(self, written, results))
        return [results[i] for i in range(len(requests))]

    def prepare(
        self, upserts: Items, updates: Items
    ) -> tuple[Items, Items, dict[int, dict[str, Any]], dict[int, WriteResult]]:
        """Before the rows are built: the upserts and updates to send, extra fields per request, and
        the requests refused. By default every create is an upsert by the external id."""
        return upserts, updates, {}, {}

    def delete_requests(self, deletes: Items) -> dict[int, WriteResult]:
        outcomes = delete_ids(self.client, f"deleting {self.native}", [r.id or "" for _, r in deletes])
        return {
            index: self.result(request, outcome)
            for (index, request), outcome in zip(deletes, outcomes, strict=True)
        }

    def row(self, request: WriteRequest, mode: str) -> dict[str, Any]:
        """The fields sent for one record (children are written afterwards)."""
        data = request.data
        schema = self.connector.schema
        if "CurrencyIsoCode" in data and not schema.multi_currency:
            # A single-currency org has no CurrencyIsoCode: values must be its currency.
            wanted, have = data["CurrencyIsoCode"], schema.org_currency()
            if wanted not in (None, have):
                raise RecordError(
                    f"{self.native} {request.ref}: currency {wanted} but this Salesforce org has only "
                    f"{have} (no multi-currency); turn on multi-currency in Salesforce or keep this record "
                    "out of the flow",
                    field="CurrencyIsoCode",
                )
        allowed = set(self.fields) - ({"CurrencyIsoCode"} if not schema.multi_currency else set())
        row = {k: v for k, v in data.items() if k in allowed}
        self.shape_write(data, row, mode)
        row[self.external_id] = request.ref
        if mode == "update":
            if not request.id:
                raise RecordError(f"salesforce {self.native}: no record id for {request.ref}")
            row["Id"] = request.id
        return row

    def shape_write(self, data: dict[str, Any], row: dict[str, Any], mode: str) -> None:
        """Add what the object needs beyond its plain fields (addresses, a record type); none by default."""

    def result(self, request: WriteRequest, outcome: Outcome) -> WriteResult:
        if outcome.ok:
            return WriteResult(request.ref, True, outcome.id or request.id)
        fix = _FIXES.get(outcome.code or "", "correct the record in the source system or the mapping")
        return self.refused(
            request,
            f"{outcome.describe()}; fix: {fix}",
            outcome.fields[0] if outcome.fields else None,
            transient=outcome.transient,
        )

    def refused(
        self, request: WriteRequest, message: str, field: str | None, *, transient: bool = False
    ) -> WriteResult:
        who = f"{self.native} {self.external_id}={request.ref}"
        if request.id:
            who = f"{self.native} {request.id} ({self.external_id}={request.ref})"
        return WriteResult(
            request.ref, False, request.id, f"{who}: {message}", field=field, transient=transient
        )

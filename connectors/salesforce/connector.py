"""``salesforce``: Accounts, products, quotes, orders, costs and cases through the REST API.

Reads: SOQL ordered by ``(SystemModstamp, Id)`` from a compound cursor, through ``queryAll`` so
deleted records arrive as tombstones in the same ordered stream. Writes: creates upsert by the
``SyncHub_Id__c`` external id, updates go by record Id, both through sObject Collections (200 per
request, ``allOrNone=false``) or, from ``bulk_threshold`` records on, through Bulk API 2.0 ingest.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

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
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.objects import ENTITY_SPECS, Child, EntitySpec, flatten_addresses, nest_addresses
from connectors.salesforce.settings import SalesforceSettings
from connectors.salesforce.soql import quote, soql_datetime

__all__ = ["SalesforceConnector"]

log = logging.getLogger(__name__)
COLLECTION_SIZE = 200
RECYCLE_BIN = timedelta(days=15)
_TRANSIENT_CODES = {"UNABLE_TO_LOCK_ROW", "REQUEST_RUNNING_TOO_LONG", "SERVER_UNAVAILABLE"}
_FIXES = {
    "REQUIRED_FIELD_MISSING": "fill the field in the source record or map it in mappings/salesforce",
    "INVALID_FIELD": "create the custom field (docs/connectors/salesforce.md) or fix the mapping",
    "INVALID_FIELD_FOR_INSERT_UPDATE": "the field is read-only for the integration user; give it edit access",
    "DUPLICATE_EXTERNAL_ID": "several Salesforce records hold this SyncHub_Id__c; clear it on all but one",
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": "the record breaks a validation rule in Salesforce; fix the value",
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": "add the value to the picklist or to the mapping's value map",
}


def parse_timestamp(text: str) -> datetime:
    """``2026-01-31T12:00:00.000+0000`` -> aware UTC datetime."""
    value = text.replace("Z", "+00:00")
    if len(value) > 5 and value[-5] in "+-" and value[-3] != ":":
        value = f"{value[:-2]}:{value[-2:]}"
    return datetime.fromisoformat(value).astimezone(UTC)


class SalesforceConnector(Connector):
    name = "salesforce"

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings, options)
        self.sf_settings = SalesforceSettings.parse(settings, self.options)
        session = self.options.get("session")
        if session is not None and not isinstance(session, requests.Session):
            raise PermanentError("salesforce: option 'session' must be a requests.Session")
        self.client = SalesforceClient(self.sf_settings, session)
        self.capabilities = Capabilities(
            entities=frozenset(ENTITY_SPECS),
            change_tracking="cursor",
            delete_detection=True,
            batch_writes=True,
            upsert_by_external_id=True,
            max_batch_size=max(COLLECTION_SIZE, self.sf_settings.bulk_threshold),
        )
        self.stale_deletes: set[str] = set()
        """Entities whose cursor is older than the recycle bin: deletions may be missed, reconcile ids."""
        self._pricebook: str | None = None

    def needs_id_reconciliation(self, entity: str) -> bool:
        return entity in self.stale_deletes

    def _spec(self, entity: str) -> EntitySpec:
        try:
            return ENTITY_SPECS[entity]
        except KeyError:
            raise PermanentError(
                f"salesforce connector has no entity {entity!r} (it has: {', '.join(sorted(ENTITY_SPECS))})"
            ) from None

    # -- reads -------------------------------------------------------------------------------------
    def read_changes(self, entity: str, since: Cursor | None, *, page_size: int = 500) -> Iterator[Page]:
        spec = self._spec(entity)
        self.client.guard(f"reading {entity}")
        conditions = [spec.where] if spec.where else []
        if since is not None:
            # dateTime fields hold whole seconds: floor the mark so nothing at its second is lost.
            mark = since.modified.astimezone(UTC).replace(microsecond=0)
            if since.id and mark == since.modified:
                conditions.append(
                    f"(SystemModstamp > {soql_datetime(mark)} OR "
                    f"(SystemModstamp = {soql_datetime(mark)} AND Id >= {quote(since.id)}))"
                )
            else:
                conditions.append(f"SystemModstamp >= {soql_datetime(mark)}")
            if datetime.now(UTC) - mark > RECYCLE_BIN:
                self.stale_deletes.add(entity)
                log.warning(
                    "salesforce %s: cursor %s is older than the 15-day recycle bin; deletions before then "
                    "are not reported, so this run compares all ids",
                    entity,
                    mark.isoformat(),
                )
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        fields = ", ".join(dict.fromkeys([*spec.select(), "IsDeleted"]))
        soql = f"SELECT {fields} FROM {spec.sobject}{where} ORDER BY SystemModstamp, Id"
        own = self.client.user_id if (since is not None and self.sf_settings.skip_own_changes) else None
        return self._pages(entity, spec, soql, since, own, max(1, page_size))

    def _pages(
        self, entity: str, spec: EntitySpec, soql: str, since: Cursor | None, own: str | None, size: int
    ) -> Iterator[Page]:
        seen: set[str] = set()
        for rows in self.client.query_pages(f"reading {entity}", soql, include_deleted=since is not None):
            for start in range(0, len(rows), size):
                chunk = rows[start : start + size]
                last = chunk[-1]
                cursor = Cursor(parse_timestamp(last["SystemModstamp"]), last["Id"])
                # Our own writes come back with the integration user as last modifier: skip the echo.
                keep = [
                    r for r in chunk if own is None or r.get("LastModifiedById") != own or r.get("IsDeleted")
                ]
                seen.update(r["Id"] for r in chunk)
                yield Page(self._natives(spec, keep), cursor)
        if since is not None and spec.children:
            # A child edit (a Contact) does not touch its parent's SystemModstamp: fetch those parents.
            parents = self._parents_of_changed_children(entity, spec, since, own) - seen
            if parents:
                yield Page(self.read_by_ids(entity, sorted(parents)), None)

    def _parents_of_changed_children(
        self, entity: str, spec: EntitySpec, since: Cursor, own: str | None
    ) -> set[str]:
        mark = soql_datetime(since.modified.astimezone(UTC).replace(microsecond=0))
        found: set[str] = set()
        for child in spec.children:
            soql = (
                f"SELECT Id, {child.parent_field}, LastModifiedById FROM {child.sobject} "
                f"WHERE SystemModstamp >= {mark} ORDER BY SystemModstamp, Id"
            )
            for rows in self.client.query_pages(f"reading changed {child.sobject} of {entity}", soql):
                found.update(
                    r[child.parent_field]
                    for r in rows
                    if r.get(child.parent_field) and (own is None or r.get("LastModifiedById") != own)
                )
        return found

    def _natives(self, spec: EntitySpec, rows: list[dict[str, Any]]) -> list[NativeRecord]:
        live = [r for r in rows if not r.get("IsDeleted")]
        children = self._children(spec, [r["Id"] for r in live])
        out = []
        for row in rows:
            modified = parse_timestamp(row["SystemModstamp"])
            if row.get("IsDeleted"):
                out.append(NativeRecord(id=row["Id"], data={}, modified=modified, deleted=True))
                continue
            data = {k: v for k, v in row.items() if k not in ("IsDeleted", "LastModifiedById")}
            if spec.addresses:
                data["Addresses"] = nest_addresses(data)
            for child in spec.children:
                found = children.get((child.key, row["Id"]), [])
                data[child.key] = found if child.many else (found[0] if found else None)
            out.append(
                NativeRecord(id=row["Id"], data=data, modified=modified, ref=row.get(spec.external_id))
            )
        return out

    def _children(self, spec: EntitySpec, ids: list[str]) -> dict[tuple[str, str], list[dict[str, Any]]]:
        found: dict[tuple[str, str], list[dict[str, Any]]] = {}
        if not ids:
            return found
        for child in spec.children:
            extra = ""
            if child.sobject == "PricebookEntry":
                extra = f" AND Pricebook2Id = {quote(self._standard_pricebook())}"
            fields = ", ".join(dict.fromkeys(["Id", child.parent_field, *child.fields]))
            for start in range(0, len(ids), COLLECTION_SIZE):
                chunk = ids[start : start + COLLECTION_SIZE]
                soql = (
                    f"SELECT {fields} FROM {child.sobject} WHERE {child.parent_field} IN "
                    f"({', '.join(quote(i) for i in chunk)}){extra} ORDER BY Id"
                )
                for row in self.client.query_all(f"reading {child.sobject}", soql):
                    parent = row.pop(child.parent_field)
                    found.setdefault((child.key, parent), []).append(row)
        return found

    def read_by_ids(self, entity: str, ids: Sequence[str]) -> list[NativeRecord]:
        spec = self._spec(entity)
        self.client.guard(f"reading {entity}")
        out: list[NativeRecord] = []
        fields = ", ".join(dict.fromkeys(spec.select()))
        for start in range(0, len(ids), COLLECTION_SIZE):
            chunk = list(ids[start : start + COLLECTION_SIZE])
            where = f"Id IN ({', '.join(quote(i) for i in chunk)})"
            if spec.where:
                where = f"{spec.where} AND {where}"
            rows = self.client.query_all(
                f"reading {entity}", f"SELECT {fields} FROM {spec.sobject} WHERE {where}"
            )
            out.extend(self._natives(spec, rows))
        return out

    def list_ids(self, entity: str) -> Iterator[str]:
        spec = self._spec(entity)
        self.client.guard(f"listing {entity} ids")
        where = f" WHERE {spec.where}" if spec.where else ""
        for rows in self.client.query_pages(
            f"listing {entity}", f"SELECT Id FROM {spec.sobject}{where} ORDER BY Id"
        ):
            yield from (r["Id"] for r in rows)

    # -- writes ------------------------------------------------------------------------------------
    def write_batch(self, entity: str, requests_: Sequence[WriteRequest]) -> list[WriteResult]:
        spec = self._spec(entity)
        if not requests_:
            return []
        self.client.guard(f"writing {len(requests_)} {entity} records")
        results: dict[int, WriteResult] = {}
        upserts = [(i, r) for i, r in enumerate(requests_) if r.op == "create" and not spec.attach_to_id]
        updates = [
            (i, r)
            for i, r in enumerate(requests_)
            if r.op == "update" or (r.op == "create" and spec.attach_to_id)
        ]
        deletes = [(i, r) for i, r in enumerate(requests_) if r.op == "delete"]
        if len(upserts) + len(updates) >= self.sf_settings.bulk_threshold:
            results.update(self._bulk(spec, upserts, "upsert"))
            results.update(self._bulk(spec, updates, "update"))
        else:
            results.update(self._collection(spec, upserts, "upsert"))
            results.update(self._collection(spec, updates, "update"))
        results.update(self._delete(spec, deletes))
        written = [(i, r) for i, r in [*upserts, *updates] if results[i].ok]
        for child in spec.children:
            results.update(self._write_children(spec, child, written, results))
        return [results[i] for i in range(len(requests_))]

    def _row(self, spec: EntitySpec, request: WriteRequest, mode: str) -> dict[str, Any]:
        allowed = set(spec.fields)
        row = {k: v for k, v in request.data.items() if k in allowed}
        if spec.addresses and "Addresses" in request.data:
            row.update(flatten_addresses(request.data["Addresses"]))
        row[spec.external_id] = request.ref
        if mode == "upsert" and spec.needs_pricebook:
            row.setdefault("Pricebook2Id", self._standard_pricebook())
        if mode == "update":
            target = request.id or (request.data.get("Id") if spec.attach_to_id else None)
            if not target:
                raise PermanentError(f"salesforce {spec.sobject}: no record id for {request.ref}")
            row["Id"] = target
        return row

    def _collection(
        self, spec: EntitySpec, items: list[tuple[int, WriteRequest]], mode: str
    ) -> dict[int, WriteResult]:
        out: dict[int, WriteResult] = {}
        path = (
            f"composite/sobjects/{spec.sobject}/{spec.external_id}"
            if mode == "upsert"
            else "composite/sobjects"
        )
        for start in range(0, len(items), COLLECTION_SIZE):
            chunk = items[start : start + COLLECTION_SIZE]
            rows = []
            for index, request in chunk:
                try:
                    rows.append((index, request, self._row(spec, request, mode)))
                except PermanentError as exc:
                    out[index] = WriteResult(request.ref, False, request.id, f"{exc}; link the product first")
            body = {
                "allOrNone": False,
                "records": [{"attributes": {"type": spec.sobject}, **row} for _, _, row in rows],
            }
            if not rows:
                continue
            answer = self.client.rest(f"writing {len(rows)} {spec.sobject}", path, "PATCH", body)
            for (index, request, _), result in zip(rows, answer or [], strict=True):
                out[index] = self._result(spec, request, result)
        return out

    def _result(self, spec: EntitySpec, request: WriteRequest, result: dict[str, Any]) -> WriteResult:
        if result.get("success"):
            return WriteResult(request.ref, True, result.get("id") or request.id)
        errors = result.get("errors") or [{}]
        first = errors[0]
        code = str(first.get("statusCode", "UNKNOWN"))
        fields = first.get("fields") or []
        fix = _FIXES.get(code, "correct the record in the source system or the mapping")
        message = (
            f"{spec.sobject} {spec.external_id}={request.ref}: {code}: {first.get('message', '')}"
            + (f" (field {', '.join(fields)})" if fields else "")
            + f"; fix: {fix}"
        )
        return WriteResult(
            request.ref,
            False,
            request.id,
            message,
            field=fields[0] if fields else None,
            transient=code in _TRANSIENT_CODES,
        )

    def _delete(self, spec: EntitySpec, items: list[tuple[int, WriteRequest]]) -> dict[int, WriteResult]:
        out: dict[int, WriteResult] = {}
        for start in range(0, len(items), COLLECTION_SIZE):
            chunk = items[start : start + COLLECTION_SIZE]
            ids = ",".join(r.id or "" for _, r in chunk)
            answer = self.client.rest(
                f"deleting {len(chunk)} {spec.sobject}",
                "composite/sobjects",
                "DELETE",
                params={"ids": ids, "allOrNone": "false"},
            )
            for (index, request), result in zip(chunk, answer or [], strict=True):
                gone = (
                    not result.get("success")
                    and (result.get("errors") or [{}])[0].get("statusCode") == "ENTITY_IS_DELETED"
                )
                out[index] = (
                    WriteResult(request.ref, True, request.id)
                    if gone
                    else self._result(spec, request, result)
                )
        return out

    def _bulk(
        self, spec: EntitySpec, items: list[tuple[int, WriteRequest]], mode: str
    ) -> dict[int, WriteResult]:
        """One Bulk API 2.0 ingest job; results are matched back by external id (or record id)."""
        if not items:
            return {}
        rows = {index: self._row(spec, request, mode) for index, request in items}
        columns = sorted({k for row in rows.values() for k in row})
        table = [{c: _csv_cell(row.get(c)) for c in columns} for row in rows.values()]
        key = spec.external_id if mode == "upsert" else "Id"
        obj = spec.sobject
        poll = self.sf_settings.bulk_poll_seconds

        def run(sf: Any) -> dict[str, list[dict[str, str]]]:
            handler = getattr(sf.bulk2, obj)
            if mode == "upsert":
                jobs = handler.upsert(records=table, external_id_field=spec.external_id, wait=poll)
            else:
                jobs = handler.update(records=table, wait=poll)
            merged: dict[str, list[dict[str, str]]] = {"successfulRecords": [], "failedRecords": []}
            for job in jobs:
                got = handler.get_all_ingest_records(job["job_id"])
                merged["successfulRecords"] += got["successfulRecords"]
                merged["failedRecords"] += got["failedRecords"]
            return merged

        answer = self.client.call(f"bulk {mode} of {len(rows)} {obj}", run)
        by_key = {str(rows[i][key]): (i, r) for i, r in items}
        out: dict[int, WriteResult] = {}
        for row in answer["successfulRecords"]:
            index, request = by_key[row[key]]
            out[index] = WriteResult(request.ref, True, row["sf__Id"] or request.id)
        for row in answer["failedRecords"]:
            index, request = by_key[row[key]]
            code, _, rest = row["sf__Error"].partition(":")
            message, _, fields = rest.rpartition(":")
            names = [f for f in fields.replace(" --", "").split(",") if f]
            out[index] = self._result(
                spec,
                request,
                {"success": False, "errors": [{"statusCode": code, "message": message, "fields": names}]},
            )
        for index, request in items:
            out.setdefault(
                index,
                WriteResult(
                    request.ref, False, request.id, f"{obj}: not processed by the bulk job", transient=True
                ),
            )
        return out

    # -- children ------------------------------------------------------------------------------------
    def _write_children(
        self,
        spec: EntitySpec,
        child: Child,
        written: list[tuple[int, WriteRequest]],
        results: dict[int, WriteResult],
    ) -> dict[int, WriteResult]:
        """Bring each written parent's children to the list sent: match, update, create, delete."""
        wanted = {results[i].id: (i, r) for i, r in written if child.key in r.data and results[i].id}
        if not wanted:
            return {}
        existing = self._children(spec, list(wanted)) if spec.children else {}
        creates: list[tuple[int, dict[str, Any]]] = []
        updates: list[tuple[int, dict[str, Any]]] = []
        deletes: list[tuple[int, str]] = []
        prices = self._entries([r for _, r in wanted.values()], child) if child.priced else {}
        for parent, (index, request) in wanted.items():
            new = request.data.get(child.key)
            new_list = new if isinstance(new, list) else ([new] if new else [])
            current = {_child_key(child, c): c for c in existing.get((child.key, parent), [])}
            for item in new_list:
                row = {k: v for k, v in item.items() if k in child.fields}
                if child.priced:
                    entry = prices.get(str(row.get("Product2Id")))
                    if entry is None:
                        results[index] = WriteResult(
                            request.ref,
                            False,
                            parent,
                            f"{child.sobject} of {spec.sobject} {parent}: product {row.get('Product2Id')} "
                            "has no "
                            "standard price book entry; fix: sync the product (products flow) first",
                            field=child.key,
                            transient=True,
                        )
                        continue
                    row["PricebookEntryId"] = entry
                if child.sobject == "PricebookEntry":
                    row.setdefault("IsActive", True)
                match = current.pop(_child_key(child, row), None)
                if match is not None:
                    if child.priced:
                        row.pop("PricebookEntryId", None)
                        row.pop("Product2Id", None)
                    if child.sobject == "PricebookEntry":
                        row.pop("CurrencyIsoCode", None)
                    updates.append((index, {"Id": match["Id"], **row}))
                else:
                    if child.priced:
                        row.pop("Product2Id", None)
                    if child.sobject == "PricebookEntry":
                        row.update(Pricebook2Id=self._standard_pricebook(), Product2Id=parent)
                    else:
                        row[child.parent_field] = parent
                    creates.append((index, row))
            if child.many:
                deletes.extend((index, c["Id"]) for c in current.values())
        failures: dict[int, str] = {}
        for verb, method, batch in (("creating", "POST", creates), ("updating", "PATCH", updates)):
            for start in range(0, len(batch), COLLECTION_SIZE):
                chunk = batch[start : start + COLLECTION_SIZE]
                body = {
                    "allOrNone": False,
                    "records": [{"attributes": {"type": child.sobject}, **row} for _, row in chunk],
                }
                answer = self.client.rest(f"{verb} {child.sobject}", "composite/sobjects", method, body)
                for (index, _), res in zip(chunk, answer or [], strict=True):
                    if not res.get("success"):
                        err = (res.get("errors") or [{}])[0]
                        failures.setdefault(index, f"{err.get('statusCode')}: {err.get('message')}")
        for start in range(0, len(deletes), COLLECTION_SIZE):
            chunk = deletes[start : start + COLLECTION_SIZE]
            self.client.rest(
                f"deleting {child.sobject}",
                "composite/sobjects",
                "DELETE",
                params={"ids": ",".join(i for _, i in chunk), "allOrNone": "false"},
            )
        out: dict[int, WriteResult] = {}
        for index, message in failures.items():
            request = requests_by_index(written, index)
            out[index] = WriteResult(
                request.ref,
                False,
                results[index].id,
                f"{spec.sobject} {results[index].id}: its {child.key} were not all written: {message}; "
                "fix the child record data in the source system",
                field=child.key,
            )
        return out

    def _entries(self, requests_: list[WriteRequest], child: Child) -> dict[str, str]:
        """Standard price book entry ids of the products on these lines."""
        products = sorted(
            {
                str(i.get("Product2Id"))
                for r in requests_
                for i in r.data.get(child.key) or []
                if i.get("Product2Id")
            }
        )
        found: dict[str, str] = {}
        for start in range(0, len(products), COLLECTION_SIZE):
            chunk = products[start : start + COLLECTION_SIZE]
            soql = (
                "SELECT Id, Product2Id FROM PricebookEntry WHERE Pricebook2Id = "
                f"{quote(self._standard_pricebook())} AND Product2Id IN "
                f"({', '.join(quote(p) for p in chunk)})"
            )
            found.update(
                (r["Product2Id"], r["Id"]) for r in self.client.query_all("reading price book entries", soql)
            )
        return found

    def _standard_pricebook(self) -> str:
        if self._pricebook is None:
            rows = self.client.query_all(
                "finding the standard price book", "SELECT Id FROM Pricebook2 WHERE IsStandard = true"
            )
            if not rows:
                raise PermanentError("salesforce: the org has no standard price book; activate it in Setup")
            self._pricebook = rows[0]["Id"]
        return self._pricebook

    def close(self) -> None:
        self.client.session.close()


def requests_by_index(items: list[tuple[int, WriteRequest]], index: int) -> WriteRequest:
    return next(r for i, r in items if i == index)


def _child_key(child: Child, row: Mapping[str, Any]) -> str:
    for name in child.match:
        value = row.get(name)
        if value:
            return f"{name}:{str(value).lower()}"
    return f"row:{sorted(row.items())!r}"


def _csv_cell(value: Any) -> str:
    """Bulk API 2.0 CSV: ``#N/A`` sets a field to null; booleans as true/false."""
    if value is None:
        return "#N/A"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))

"""``salesforce``: Accounts, products, quotes, orders, costs and cases through the REST API.

Reads: SOQL ordered by ``(SystemModstamp, Id)`` from a compound cursor, through ``queryAll`` so
deleted records arrive as tombstones in the same ordered stream; only fields the org has are
selected (its describe is read once per connector, i.e. once per run). Writes: creates upsert by
the ``SyncHub_Id__c`` external id, updates go by record Id, both through sObject Collections (200
per request, ``allOrNone=false``) or, from ``bulk_threshold`` records on, through Bulk API 2.0.
Entity rules live beside: quotes.py (an Opportunity per quote), orders.py (accepted quote ->
Order), children.py (contacts, price book entries, lines), pricing.py (price books).
"""

from __future__ import annotations

import logging
import time
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
from connectors.salesforce import children, orders, quotes
from connectors.salesforce.batches import COLLECTION_SIZE, Outcome, delete_ids, send_records
from connectors.salesforce.bulk import bulk_write
from connectors.salesforce.client import ApiBudgetExceeded, SalesforceClient
from connectors.salesforce.objects import (
    ENTITY_SPECS,
    EntitySpec,
    address_fields,
    flatten_addresses,
    nest_addresses,
)
from connectors.salesforce.orgschema import OrgSchema
from connectors.salesforce.pricing import Pricing
from connectors.salesforce.settings import SalesforceSettings
from connectors.salesforce.soql import quote, soql_datetime

__all__ = ["RecordProblem", "SalesforceConnector", "parse_timestamp"]

log = logging.getLogger(__name__)
RECYCLE_BIN = timedelta(days=15)
_FIXES = {
    "REQUIRED_FIELD_MISSING": "fill the field in the source record or map it in mappings/salesforce",
    "INVALID_FIELD": "create the custom field (docs/connectors/salesforce.md) or fix the mapping",
    "INVALID_FIELD_FOR_INSERT_UPDATE": "the field is read-only for the integration user (or always, see "
    "docs/connectors/salesforce.md); give it edit access or stop mapping it",
    "DUPLICATE_EXTERNAL_ID": "several Salesforce records hold this SyncHub_Id__c; clear it on all but one",
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


class RecordProblem(Exception):
    """A record the connector refuses before sending it (per-record failure, naming field and fix)."""

    def __init__(self, message: str, field: str | None = None, *, transient: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.transient = transient


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
        self.schema = OrgSchema(self._describe, self.sf_settings.currency)
        self.pricing = Pricing(self.client, self.schema)
        self.capabilities = Capabilities(
            entities=frozenset(ENTITY_SPECS),
            change_tracking="cursor",
            delete_detection=True,
            batch_writes=True,
            upsert_by_external_id=True,
            max_batch_size=max(COLLECTION_SIZE, self.sf_settings.bulk_threshold),
        )
        self.stale_deletes: set[str] = set()
        """Entities whose cursor is older than the delete log: deletions may be missed, reconcile ids."""

    def _describe(self, sobject: str) -> dict[str, Any]:
        return self.client.call(
            f"reading the describe of {sobject}", lambda sf: getattr(sf, sobject).describe()
        )

    def server_time(self) -> datetime | None:
        """The org's time now: its last response's Date header plus the time elapsed since."""
        if self.client.clock is None:
            return None
        seen, at = self.client.clock
        return seen + timedelta(seconds=time.monotonic() - at)

    def needs_id_reconciliation(self, entity: str) -> bool:
        return entity in self.stale_deletes

    def spec(self, entity: str) -> EntitySpec:
        try:
            return ENTITY_SPECS[entity]
        except KeyError:
            raise PermanentError(
                f"salesforce connector has no entity {entity!r} (it has: {', '.join(sorted(ENTITY_SPECS))})"
            ) from None

    # -- the org's shape -----------------------------------------------------------------------------
    def currency_of(self, data: Mapping[str, Any]) -> str:
        """A record's currency: its field on multi-currency orgs, else the org's one currency."""
        if self.schema.multi_currency:
            return str(data.get("CurrencyIsoCode") or "")
        return self.schema.org_currency()

    def select_fields(self, spec: EntitySpec) -> list[str]:
        names = ["Id", "SystemModstamp", "LastModifiedById", spec.external_id, *spec.fields, *spec.read_only]
        if spec.addresses:
            names.extend(address_fields(self.schema.state_picklists))
        return self.schema.existing(spec.sobject, names)

    def conditions(self, entity: str, spec: EntitySpec) -> list[str]:
        out = [spec.where] if spec.where else []
        if entity == "customer" and self.schema.person_accounts:
            # Person accounts are individuals, not companies: SyncHub's customers are business accounts.
            out.append("IsPersonAccount = false")
        return out

    # -- reads -------------------------------------------------------------------------------------
    def read_changes(self, entity: str, since: Cursor | None, *, page_size: int = 500) -> Iterator[Page]:
        spec = self.spec(entity)
        self.client.guard(f"reading {entity}")
        conditions = self.conditions(entity, spec)
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
            self._check_delete_log(entity, spec, mark)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        fields = ", ".join([*self.select_fields(spec), "IsDeleted"])
        soql = f"SELECT {fields} FROM {spec.sobject}{where} ORDER BY SystemModstamp, Id"
        own = self.client.user_id if (since is not None and self.sf_settings.skip_own_changes) else None
        return self._pages(entity, spec, soql, since, own, max(1, page_size))

    def _check_delete_log(self, entity: str, spec: EntitySpec, mark: datetime) -> None:
        """Deletions before the log's earliest date are gone from queryAll and ``deleted`` alike."""
        now = datetime.now(UTC)
        if now - mark > RECYCLE_BIN:
            earliest: datetime | None = None
        else:
            answer = self.client.rest(
                f"reading the delete log of {spec.sobject}",
                f"sobjects/{spec.sobject}/deleted/",
                "GET",
                params={"start": soql_datetime(mark), "end": soql_datetime(now)},
            )
            text = (answer or {}).get("earliestDateAvailable")
            earliest = parse_timestamp(text) if text else None
            if earliest is not None and earliest <= mark:
                return
        self.stale_deletes.add(entity)
        log.warning(
            "salesforce %s: cursor %s is older than the org's delete log (earliest %s); deletions before "
            "then are not reported, so this run compares all ids",
            entity,
            mark.isoformat(),
            earliest.isoformat() if earliest else "15 days ago",
        )

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
                yield Page(self.natives(entity, spec, keep), cursor)
        if since is not None:
            # A child edit or delete (a Contact, a line, the Order of an accepted quote) does not touch
            # its parent's SystemModstamp: read those parents again.
            parents = children.changed_parents(self, entity, spec, since, own)
            if entity == "sales_order":
                parents |= orders.changed_quotes(
                    self, soql_datetime(since.modified.astimezone(UTC).replace(microsecond=0))
                )
            parents -= seen
            if parents:
                yield Page(self.read_by_ids(entity, sorted(parents)), None)

    def natives(self, entity: str, spec: EntitySpec, rows: list[dict[str, Any]]) -> list[NativeRecord]:
        live = [r for r in rows if not r.get("IsDeleted")]
        found = children.read(self, spec, [r["Id"] for r in live])
        out = []
        for row in rows:
            modified = parse_timestamp(row["SystemModstamp"])
            if row.get("IsDeleted"):
                out.append(NativeRecord(id=row["Id"], data={}, modified=modified, deleted=True))
                continue
            data = {k: v for k, v in row.items() if k not in ("IsDeleted", "LastModifiedById")}
            if "CurrencyIsoCode" in (*spec.fields, *spec.read_only) and not self.schema.multi_currency:
                data["CurrencyIsoCode"] = self.schema.org_currency()
            if spec.addresses:
                data["Addresses"] = nest_addresses(data, self.schema.state_picklists)
            for child in spec.children:
                got = found.get((child.key, row["Id"]), [])
                data[child.key] = got if child.many else (got[0] if got else None)
            out.append(
                NativeRecord(id=row["Id"], data=data, modified=modified, ref=row.get(spec.external_id))
            )
        if entity == "sales_order":
            out = orders.attach(self, out)
        return out

    def read_by_ids(self, entity: str, ids: Sequence[str]) -> list[NativeRecord]:
        spec = self.spec(entity)
        self.client.guard(f"reading {entity}")
        out: list[NativeRecord] = []
        fields = ", ".join(self.select_fields(spec))
        for start in range(0, len(ids), COLLECTION_SIZE):
            chunk = list(ids[start : start + COLLECTION_SIZE])
            where = " AND ".join(
                [*self.conditions(entity, spec), f"Id IN ({', '.join(quote(i) for i in chunk)})"]
            )
            rows = self.client.query_all(
                f"reading {entity}", f"SELECT {fields} FROM {spec.sobject} WHERE {where}"
            )
            out.extend(self.natives(entity, spec, rows))
        return out

    def list_ids(self, entity: str) -> Iterator[str]:
        spec = self.spec(entity)
        self.client.guard(f"listing {entity} ids")
        conditions = self.conditions(entity, spec)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        for rows in self.client.query_pages(
            f"listing {entity}", f"SELECT Id FROM {spec.sobject}{where} ORDER BY Id"
        ):
            yield from (r["Id"] for r in rows)

    # -- writes ------------------------------------------------------------------------------------
    def write_batch(self, entity: str, requests_: Sequence[WriteRequest]) -> list[WriteResult]:
        spec = self.spec(entity)
        if not requests_:
            return []
        try:
            self.client.guard(f"writing {len(requests_)} {entity} records")
            if entity == "sales_order":
                return orders.write(self, list(requests_))
            return self._write(entity, spec, list(requests_))
        except ApiBudgetExceeded as exc:
            # Nothing more is sent this run; each record is re-read and retried by the next run.
            return [WriteResult(r.ref, False, r.id, str(exc), transient=True) for r in requests_]

    def _write(self, entity: str, spec: EntitySpec, requests_: list[WriteRequest]) -> list[WriteResult]:
        results: dict[int, WriteResult] = {}
        upserts = [(i, r) for i, r in enumerate(requests_) if r.op == "create" and not spec.attach_to_id]
        updates = [
            (i, r)
            for i, r in enumerate(requests_)
            if r.op == "update" or (r.op == "create" and spec.attach_to_id)
        ]
        deletes = [(i, r) for i, r in enumerate(requests_) if r.op == "delete"]
        extra: dict[int, dict[str, Any]] = {}
        if entity == "quote":
            extra, refused = quotes.prepare(self, upserts, updates)
            results.update(refused)
        rows: dict[int, dict[str, Any]] = {}
        for mode, items in (("upsert", upserts), ("update", updates)):
            for index, request in items:
                if index in results:
                    continue
                try:
                    row = {**self.row(entity, spec, request, mode), **extra.get(index, {})}
                    rows[index] = {
                        k: v for k, v in row.items() if not (k in extra.get(index, {}) and v is None)
                    }
                except RecordProblem as exc:
                    results[index] = self.refused(spec, request, str(exc), exc.field, transient=exc.transient)
        upserts = [(i, r) for i, r in upserts if i in rows]
        updates = [(i, r) for i, r in updates if i in rows]
        if len(upserts) + len(updates) >= self.sf_settings.bulk_threshold:
            results.update(bulk_write(self, spec, upserts, rows, "upsert"))
            results.update(bulk_write(self, spec, updates, rows, "update"))
        else:
            for mode, items in (("upsert", upserts), ("update", updates)):
                path = (
                    f"composite/sobjects/{spec.sobject}/{spec.external_id}"
                    if mode == "upsert"
                    else "composite/sobjects"
                )
                outcomes = send_records(
                    self.client,
                    f"writing {spec.sobject}",
                    path,
                    "PATCH",
                    spec.sobject,
                    [rows[i] for i, _ in items],
                )
                for (index, request), outcome in zip(items, outcomes, strict=True):
                    results[index] = self.result(spec, request, outcome)
        for (index, request), outcome in zip(
            deletes,
            delete_ids(self.client, f"deleting {spec.sobject}", [r.id or "" for _, r in deletes]),
            strict=True,
        ):
            results[index] = self.result(spec, request, outcome)
        written = [(i, r) for i, r in [*upserts, *updates] if results[i].ok]
        results.update(children.write(self, spec, written, results))
        return [results[i] for i in range(len(requests_))]

    def row(self, entity: str, spec: EntitySpec, request: WriteRequest, mode: str) -> dict[str, Any]:
        """The fields sent for one record (children are written afterwards)."""
        data = request.data
        if "CurrencyIsoCode" in data and not self.schema.multi_currency:
            # A single-currency org has no CurrencyIsoCode: values must be its currency.
            wanted, have = data["CurrencyIsoCode"], self.schema.org_currency()
            if wanted not in (None, have):
                raise RecordProblem(
                    f"{spec.sobject} {request.ref}: currency {wanted} but this Salesforce org has only "
                    f"{have} (no multi-currency); turn on multi-currency in Salesforce or keep this record "
                    "out of the flow",
                    "CurrencyIsoCode",
                )
        allowed = set(spec.fields) - ({"CurrencyIsoCode"} if not self.schema.multi_currency else set())
        row = {k: v for k, v in data.items() if k in allowed}
        if spec.addresses and "Addresses" in data:
            row.update(flatten_addresses(data["Addresses"], self.schema.state_picklists))
        row[spec.external_id] = request.ref
        if mode == "upsert" and entity == "customer" and (record_type := self.schema.business_record_type()):
            row["RecordTypeId"] = record_type
        if mode == "update":
            target = request.id or (data.get("Id") if spec.attach_to_id else None)
            if not target:
                raise RecordProblem(
                    f"salesforce {spec.sobject}: no record id for {request.ref}; link the product first"
                )
            row["Id"] = target
        return row

    def result(self, spec: EntitySpec, request: WriteRequest, outcome: Outcome) -> WriteResult:
        if outcome.ok:
            return WriteResult(request.ref, True, outcome.id or request.id)
        fix = _FIXES.get(outcome.code or "", "correct the record in the source system or the mapping")
        return self.refused(
            spec,
            request,
            f"{outcome.describe()}; fix: {fix}",
            outcome.fields[0] if outcome.fields else None,
            transient=outcome.transient,
        )

    def refused(
        self,
        spec: EntitySpec,
        request: WriteRequest,
        message: str,
        field: str | None,
        *,
        transient: bool = False,
    ) -> WriteResult:
        who = (
            f"{spec.sobject} {request.id}"
            if request.id
            else f"{spec.sobject} {spec.external_id}={request.ref}"
        )
        return WriteResult(
            request.ref, False, request.id, f"{who}: {message}", field=field, transient=transient
        )

    def close(self) -> None:
        self.client.session.close()

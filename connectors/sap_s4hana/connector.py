"""``sap_s4hana``: SAP S/4HANA through its OData v2 APIs, spoken with pyodata (SAP's Python client).

Reads filter on SAP's change timestamps and follow the server's ``__next`` links; writes go one
record per request (deep insert for documents with items), CSRF-protected, with ``If-Match`` ETags.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pyodata
from pyodata.exceptions import HttpError, PyODataException
from pyodata.v2.model import Config

from connectors.base import (
    Capabilities,
    ConnectionSettings,
    Connector,
    Cursor,
    NativeRecord,
    Page,
    PermanentError,
    TransientError,
    WriteRequest,
    WriteResult,
)
from connectors.sap_s4hana.entities import ENTITY_SPECS, EntitySpec
from connectors.sap_s4hana.errors import gateway_message, is_transient
from connectors.sap_s4hana.session import OAuthTokens, SapSession
from connectors.sap_s4hana.settings import SapSettings
from connectors.sap_s4hana.values import (
    composite_key,
    literal,
    native_value,
    parse_composite_key,
    parse_time,
    write_value,
)

__all__ = ["SapS4HanaConnector"]

# SAP's $metadata carries many vocabulary annotations pyodata does not model; it logs each one.
logging.getLogger("pyodata").setLevel(logging.ERROR)


class _Concurrent(Exception):
    """HTTP 412: someone changed the record after we read it."""


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


class SapS4HanaConnector(Connector):
    name = "sap_s4hana"

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings, options)
        self.sap = SapSettings.from_connection(settings, self.options)
        self.capabilities = Capabilities(
            entities=frozenset(ENTITY_SPECS), change_tracking="cursor", batch_writes=False, max_batch_size=100
        )
        self._tokens = OAuthTokens(self.sap) if self.sap.auth == "oauth" else None
        self._services: dict[str, Any] = {}
        self._sessions: list[SapSession] = []
        self._etags: dict[tuple[str, str], str] = {}
        """ETag of each record as we last read it: an update must not overwrite a later change."""

    # -- plumbing -------------------------------------------------------------------------------
    def _service(self, name: str) -> Any:
        if name not in self._services:
            url = self.sap.service_url(name)
            session = SapSession(self.sap, url, self._tokens)
            self._sessions.append(session)
            try:
                self._services[name] = pyodata.Client(url, session, config=Config(retain_null=True))
            except HttpError as exc:
                text, _ = gateway_message(exc.response)
                error = TransientError if is_transient(exc.response.status_code) else PermanentError
                raise error(f"sap_s4hana: cannot load $metadata of {url}: {text}") from exc
        return self._services[name]

    def _spec(self, entity: str) -> EntitySpec:
        try:
            return ENTITY_SPECS[entity]
        except KeyError:
            known = ", ".join(sorted(ENTITY_SPECS))
            raise PermanentError(f"sap_s4hana does not hold {entity!r} (it holds: {known})") from None

    def _entity_set(self, spec: EntitySpec) -> Any:
        return getattr(self._service(spec.service).entity_sets, spec.entity_set)

    def _etype(self, spec: EntitySpec) -> Any:
        return self._service(spec.service).schema.entity_set(spec.entity_set).entity_type

    def _fields(self, spec: EntitySpec) -> tuple[str, ...]:
        chosen = (self.options.get("fields") or {}).get(spec.entity)
        return tuple(chosen) if chosen else spec.fields

    def _select(self, spec: EntitySpec) -> str:
        return ",".join(self._fields(spec) + tuple(spec.expand))

    def _run(self, request: Any) -> Any:
        """Execute a pyodata request; whole-call failures become Transient/PermanentError."""
        try:
            return request.execute()
        except HttpError as exc:
            text, _ = gateway_message(exc.response)
            status = exc.response.status_code
            if is_transient(status):
                raise TransientError(f"sap_s4hana: HTTP {status}: {text}") from exc
            raise PermanentError(f"sap_s4hana: HTTP {status}: {text}") from exc

    def close(self) -> None:
        for session in self._sessions:
            session.close()
        self._sessions.clear()
        self._services.clear()

    # -- native records -------------------------------------------------------------------------
    def _to_dict(self, etype: Any, proxy: Any, fields: Sequence[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in fields:
            prop = etype.proprty(name)
            out[name] = native_value(prop.typ.name, prop.date, getattr(proxy, name))
        return out

    def _native(self, spec: EntitySpec, proxy: Any) -> NativeRecord:
        etype = self._etype(spec)
        data = self._to_dict(etype, proxy, self._fields(spec))
        for nav_name, child_fields in spec.expand.items():
            child_type = etype.nav_proprty(nav_name).to_role.entity_type
            value = getattr(proxy, nav_name)
            if isinstance(value, list):
                data[nav_name] = [self._to_dict(child_type, c, child_fields) for c in value]
            else:
                data[nav_name] = self._to_dict(child_type, value, child_fields) if value is not None else None
        raw = {name: getattr(proxy, name) for name in self._fields(spec)}
        record_id = raw[spec.key[0]] if len(spec.key) == 1 else composite_key(spec.key, raw)
        modified = self._modified(spec, raw)
        self._shape_for_mapping(spec, data)
        if proxy.etag:
            self._etags[(spec.entity, record_id)] = proxy.etag
        ref = data.get("ExternalDocumentID") if spec.entity == "sales_order" else None
        return NativeRecord(id=str(record_id), data=data, modified=modified, ref=ref or None)

    @staticmethod
    def _modified(spec: EntitySpec, raw: dict[str, Any]) -> datetime | None:
        if spec.stamps == "bp":
            day, time = raw.get("LastChangeDate"), raw.get("LastChangeTime")
            if day is None:  # never changed since creation: SAP leaves the change stamps empty
                day, time = raw.get("CreationDate"), raw.get("CreationTime")
            return day + parse_time(time) if day is not None else None
        value = raw.get(spec.stamp_field)
        return value.astimezone(UTC) if isinstance(value, datetime) else None

    def _shape_for_mapping(self, spec: EntitySpec, data: dict[str, Any]) -> None:
        """Values SAP keeps in child records, lifted to where a mapping can reach them (documented)."""
        if spec.entity == "product":
            texts = data.pop("to_Description", None) or []
            wanted = [t for t in texts if t.get("Language") == self.sap.language]
            data["ProductDescription"] = wanted[0]["ProductDescription"] if wanted else None
        elif spec.entity == "product_cost":
            price = data.get("StandardPrice") if data.get("InventoryValuationProcedure") != "V" else None
            price = _decimal(price if price is not None else data.get("MovingAveragePrice"))
            per = _decimal(data.get("PriceUnitQty")) or Decimal(1)
            data["UnitCost"] = str((price / per).normalize()) if price is not None else None
        elif spec.entity == "sales_order":
            for item in data.get("to_Item") or []:
                amount, qty = _decimal(item.get("NetAmount")), _decimal(item.get("RequestedQuantity"))
                item["NetPriceAmount"] = (
                    str((amount / qty).quantize(Decimal("0.01"))) if amount and qty else None
                )

    # -- reads ----------------------------------------------------------------------------------
    def _query(self, spec: EntitySpec, filter_text: str | None, orderby: str) -> Iterator[NativeRecord]:
        """Every record the query matches, page by page along SAP's ``__next`` links."""
        entity_set = self._entity_set(spec)
        request = entity_set.get_entities().select(self._select(spec)).order_by(orderby)
        if spec.expand:
            request = request.expand(",".join(spec.expand))
        if filter_text:
            request = request.filter(filter_text)
        while True:
            batch = self._run(request)
            for proxy in batch:
                yield self._native(spec, proxy)
            if not batch.next_url:
                return
            request = entity_set.get_entities().next_url(batch.next_url)

    def _streams(self, spec: EntitySpec, since: Cursor | None) -> list[Iterator[NativeRecord]]:
        keys = ",".join(spec.key)
        scope = self._scope(spec)
        if spec.stamps == "bp":
            changed = "LastChangeDate ne null"
            fresh = "LastChangeDate eq null"
            if since is not None:
                day = since.modified.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
                clock = since.modified.astimezone(UTC) - day
                d, t = literal("Edm.DateTime", day), literal("Edm.Time", clock)
                changed = f"(LastChangeDate gt {d} or (LastChangeDate eq {d} and LastChangeTime ge {t}))"
                fresh += f" and (CreationDate gt {d} or (CreationDate eq {d} and CreationTime ge {t}))"
            return [
                self._query(spec, _and(changed, scope), f"LastChangeDate,LastChangeTime,{keys}"),
                self._query(spec, _and(fresh, scope), f"CreationDate,CreationTime,{keys}"),
            ]
        condition = None
        if since is not None:
            if spec.stamps == "date":  # day granularity: re-read the whole day, hashes drop repeats
                day = since.modified.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
                condition = f"{spec.stamp_field} ge {literal('Edm.DateTime', day)}"
            else:
                condition = f"{spec.stamp_field} ge {literal('Edm.DateTimeOffset', since.modified)}"
        return [self._query(spec, _and(condition, scope), f"{spec.stamp_field},{keys}")]

    def _scope(self, spec: EntitySpec) -> str | None:
        if spec.entity == "product_cost" and self.sap.valuation_area:
            return f"ValuationArea eq {literal('Edm.String', self.sap.valuation_area)}"
        return None

    def read_changes(self, entity: str, since: Cursor | None, *, page_size: int = 500) -> Iterator[Page]:
        spec = self._spec(entity)
        streams = self._streams(spec, since)
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        merged = heapq.merge(*streams, key=lambda r: (r.modified or epoch, r.id))
        records: list[NativeRecord] = []
        for rec in merged:
            exact = since is not None and spec.stamps != "date" and rec.modified is not None
            if exact and (rec.modified, rec.id) < (since.modified, since.id):  # type: ignore[union-attr]
                continue
            records.append(rec)
            if len(records) >= page_size:
                yield self._page(records)
                records = []
        if records:
            yield self._page(records)

    @staticmethod
    def _page(records: list[NativeRecord]) -> Page:
        last = records[-1]
        return Page(records, Cursor(last.modified, last.id) if last.modified is not None else None)

    def _key_args(self, spec: EntitySpec, record_id: str) -> dict[str, str] | None:
        if len(spec.key) == 1:
            return {spec.key[0]: record_id}
        return parse_composite_key(spec.key, record_id)

    def read_by_ids(self, entity: str, ids: Sequence[str]) -> list[NativeRecord]:
        spec = self._spec(entity)
        out: list[NativeRecord] = []
        for record_id in ids:
            proxy = self._get(spec, record_id)
            if proxy is not None:
                out.append(self._native(spec, proxy))
        return out

    def _get(self, spec: EntitySpec, record_id: str) -> Any | None:
        key = self._key_args(spec, record_id)
        if key is None:
            return None
        request = self._entity_set(spec).get_entity(**key).select(self._select(spec))
        if spec.expand:
            request = request.expand(",".join(spec.expand))
        try:
            return request.execute()
        except HttpError as exc:
            if exc.response.status_code == 404:
                return None
            text, _ = gateway_message(exc.response)
            error = TransientError if is_transient(exc.response.status_code) else PermanentError
            raise error(f"sap_s4hana: reading {spec.entity} {record_id}: {text}") from exc

    # -- writes ---------------------------------------------------------------------------------
    def write_batch(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        spec = self._spec(entity)
        return [self._write_one(spec, request) for request in requests]

    def _write_one(self, spec: EntitySpec, request: WriteRequest) -> WriteResult:
        who = f"{spec.entity} {request.id or request.ref}"
        if not spec.writable:
            return WriteResult(
                request.ref,
                False,
                request.id,
                f"{who}: SyncHub reads {spec.entity_set} from SAP but does not write it; "
                "make the flow erp_to_crm",
            )
        try:
            if request.op == "create":
                record_id = self._create(spec, request)
            elif request.id is None:
                return WriteResult(request.ref, False, None, f"{who}: {request.op} needs the SAP id")
            elif request.op == "update":
                record_id = self._update(spec, request.id, request.data)
            else:
                record_id = self._delete(spec, request.id)
        except _Concurrent:
            self._etags.pop((spec.entity, request.id or ""), None)
            return WriteResult(
                request.ref,
                False,
                request.id,
                f"{who}: changed concurrently in SAP (HTTP 412, ETag mismatch) after SyncHub read it; "
                "nothing was written, the next run reads it again and merges",
                transient=True,
            )
        except HttpError as exc:
            text, target = gateway_message(exc.response)
            return WriteResult(
                request.ref,
                False,
                request.id,
                f"{who}: SAP refused the {request.op} (HTTP {exc.response.status_code}): {text}",
                field=target,
                transient=is_transient(exc.response.status_code),
            )
        except TransientError as exc:
            return WriteResult(request.ref, False, request.id, f"{who}: {exc}", transient=True)
        except PyODataException as exc:  # e.g. a property the metadata does not define
            return WriteResult(request.ref, False, request.id, f"{who}: {exc}; fix the sap_s4hana mapping")
        return WriteResult(request.ref, True, record_id)

    def _body(self, etype: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        """Native values in request form, navigations (deep insert) recursively."""
        out: dict[str, Any] = {}
        for name, value in data.items():
            if name in {p.name for p in etype.nav_proprties}:
                child = etype.nav_proprty(name).to_role.entity_type
                if isinstance(value, list):
                    out[name] = [self._body(child, v) for v in value]
                elif value is not None:
                    out[name] = self._body(child, value)
                continue
            try:
                prop = etype.proprty(name)
            except KeyError:
                raise PyODataException(
                    f"property {name!r} is not defined for {etype.name} in SAP's metadata"
                ) from None
            out[name] = write_value(prop.typ.name, value)
        return out

    def _create(self, spec: EntitySpec, request: WriteRequest) -> str:
        data = dict(request.data)
        s = self.sap
        if spec.entity == "sales_order":
            existing = self._find_order(request.ref)
            if existing is not None:  # a retry after a lost answer: the order is already there
                return existing
            data["ExternalDocumentID"] = request.ref
            data.setdefault("SalesOrderType", s.order_type)
            for item in data.get("to_Item") or []:
                price, qty = (
                    _decimal(item.pop("NetPriceAmount", None)),
                    _decimal(item.get("RequestedQuantity")),
                )
                if price is not None and qty is not None:
                    item["NetAmount"] = str(price * qty)
        if spec.entity == "complaint":
            data.setdefault("CustomerReturnType", s.return_type)
        if spec.entity in ("sales_order", "complaint"):
            data.setdefault("SalesOrganization", s.sales_organization)
            data.setdefault("DistributionChannel", s.distribution_channel)
            data.setdefault("OrganizationDivision", s.division)
        if spec.entity == "product" and "ProductDescription" in data:
            text = data.pop("ProductDescription")
            data["to_Description"] = [{"Language": s.language, "ProductDescription": text}] if text else []
        body = self._body(self._etype(spec), data)
        proxy = self._entity_set(spec).create_entity().set(**body).execute()
        raw = {k: getattr(proxy, k) for k in spec.key}
        return str(raw[spec.key[0]]) if len(spec.key) == 1 else composite_key(spec.key, raw)

    def _find_order(self, ref: str) -> str | None:
        spec = ENTITY_SPECS["sales_order"]
        found = self._run(
            self._entity_set(spec)
            .get_entities()
            .select("SalesOrder")
            .filter(f"ExternalDocumentID eq {literal('Edm.String', ref)}")
            .top(1)
        )
        return str(found[0].SalesOrder) if found else None

    def _patch(
        self, spec: EntitySpec, entity_set: str, key: dict[str, str], data: dict[str, Any], etag: str
    ) -> None:
        es = getattr(self._service(spec.service).entity_sets, entity_set)
        etype = self._service(spec.service).schema.entity_set(entity_set).entity_type
        request = es.update_entity(**key).set(**self._body(etype, data))
        request.add_headers({"If-Match": etag})
        try:
            request.execute()
        except HttpError as exc:
            if exc.response.status_code == 412:
                raise _Concurrent from exc
            raise

    def _current_etag(self, service: str, entity_set: str, key: dict[str, str]) -> str:
        proxy = getattr(self._service(service).entity_sets, entity_set).get_entity(**key).execute()
        return proxy.etag or "*"

    def _update(self, spec: EntitySpec, record_id: str, data: Mapping[str, Any]) -> str:
        key = self._key_args(spec, record_id)
        if key is None:
            raise PyODataException(f"{record_id!r} is not an id of {spec.entity_set}")
        etype = self._etype(spec)
        navs = {p.name for p in etype.nav_proprties}
        top = {
            k: v for k, v in data.items() if k not in navs and k not in spec.key and k != "ProductDescription"
        }
        if top:
            etag = self._etags.get((spec.entity, record_id)) or self._current_etag(
                spec.service, spec.entity_set, key
            )
            self._patch(spec, spec.entity_set, key, top, etag)
            self._etags.pop((spec.entity, record_id), None)
        if spec.entity == "customer":
            self._update_customer_parts(spec, record_id, data)
        if spec.entity == "product" and "ProductDescription" in data:
            self._upsert_child(
                spec,
                "A_ProductDescription",
                {"Product": record_id, "Language": self.sap.language},
                {"ProductDescription": data["ProductDescription"]},
            )
        # Items of an existing sales order are left to SAP (pricing, delivery); see the docs.
        return record_id

    def _upsert_child(
        self, spec: EntitySpec, entity_set: str, key: dict[str, str], values: dict[str, Any]
    ) -> None:
        es = getattr(self._service(spec.service).entity_sets, entity_set)
        try:
            etag = self._current_etag(spec.service, entity_set, key)
        except HttpError as exc:
            if exc.response.status_code != 404:
                raise
            etype = self._service(spec.service).schema.entity_set(entity_set).entity_type
            es.create_entity().set(**self._body(etype, {**key, **values})).execute()
            return
        self._patch(spec, entity_set, key, values, etag)

    def _update_customer_parts(self, spec: EntitySpec, record_id: str, data: Mapping[str, Any]) -> None:
        customer = data.get("to_Customer")
        if customer:
            values = {k: v for k, v in customer.items() if k != "Customer"}
            if values:
                self._upsert_child(spec, "A_Customer", {"Customer": record_id}, values)
        addresses = data.get("to_BusinessPartnerAddress")
        if addresses is None:
            return
        current = self._get(spec, record_id)
        existing = [a.AddressID for a in (current.to_BusinessPartnerAddress if current is not None else [])]
        es = self._service(spec.service).entity_sets.A_BusinessPartnerAddress
        etype = self._service(spec.service).schema.entity_set("A_BusinessPartnerAddress").entity_type
        for i, address in enumerate(addresses):
            values = {k: v for k, v in address.items() if k not in ("AddressID", "BusinessPartner")}
            if i < len(existing):
                key = {"BusinessPartner": record_id, "AddressID": existing[i]}
                etag = self._current_etag(spec.service, "A_BusinessPartnerAddress", key)
                self._patch(spec, "A_BusinessPartnerAddress", key, values, etag)
            else:
                es.create_entity().set(
                    **self._body(etype, {"BusinessPartner": record_id, **values})
                ).execute()

    def _delete(self, spec: EntitySpec, record_id: str) -> str:
        key = self._key_args(spec, record_id)
        if key is None:
            raise PyODataException(f"{record_id!r} is not an id of {spec.entity_set}")
        try:
            etag = self._current_etag(spec.service, spec.entity_set, key)
        except HttpError as exc:
            if exc.response.status_code == 404:  # already gone: deleting twice is a success
                return record_id
            raise
        request = self._entity_set(spec).delete_entity(**key)
        request.add_headers({"If-Match": etag})
        try:
            request.execute()
        except HttpError as exc:
            if exc.response.status_code == 412:
                raise _Concurrent from exc
            raise
        return record_id


def _and(*parts: str | None) -> str | None:
    present = [p for p in parts if p]
    if not present:
        return None
    return " and ".join(f"({p})" if " or " in p else p for p in present)

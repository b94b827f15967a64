"""``bottlecrm``: SyncHub's connector for BottleCRM (PyPI ``django-crm``) over its REST API.

BottleCRM offers no usable modified-since filter (accounts do not even carry ``updated_at``), so
the connector declares ``change_tracking="none"``: every read is a full snapshot and the engine
finds changes by comparing snapshot hashes. Writes go one record per call (the API has no batch
endpoint); one refused record is reported in its :class:`WriteResult` and the rest go on.

Connection: ``bottlecrm://:TOKEN@host:port/?scheme=http&timeout=30`` or an Airflow Connection
(host, port, password = personal access token, extra ``scheme``, ``timeout``, ``org``, ``web_url``:
where people open BottleCRM's web app, a separate site from the API; without it no record links).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
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
    TransientError,
    WriteRequest,
    WriteResult,
)
from connectors.bottlecrm.cases import Cases
from connectors.bottlecrm.client import ApiRefusal, BottleCrmClient
from connectors.bottlecrm.costs import ProductCosts
from connectors.bottlecrm.customers import Customers
from connectors.bottlecrm.estimates import Quotes, SalesOrders
from connectors.bottlecrm.products import Products
from connectors.bottlecrm.resource import Resource, SessionInfo

__all__ = ["BottleCrmConnector"]

# Pages of BottleCRM's web app per entity. Estimates (quotes, accepted ones = sales orders) have no
# page of their own there (only the list), so they get no link.
WEB_PAGES = {
    "customer": "accounts/{id}",
    "complaint": "cases/{id}",
    "product": "invoices/products/{id}/edit",
    "product_cost": "invoices/products/{id}/edit",
}

RESOURCES: dict[str, type[Resource]] = {
    "customer": Customers,
    "product": Products,
    "quote": Quotes,
    "sales_order": SalesOrders,
    "complaint": Cases,
    "product_cost": ProductCosts,
}


class BottleCrmConnector(Connector):
    name = "bottlecrm"
    capabilities = Capabilities(
        entities=frozenset(RESOURCES),
        change_tracking="none",
        delete_detection=False,
        batch_writes=False,
        upsert_by_external_id=False,
        max_batch_size=50,
    )

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings, options)
        self.client = BottleCrmClient(settings, self.options)
        session = SessionInfo(self.client)
        self.resources = {entity: cls(self.client, session) for entity, cls in RESOURCES.items()}

    def _resource(self, entity: str) -> Resource:
        try:
            return self.resources[entity]
        except KeyError:
            known = ", ".join(sorted(self.resources))
            raise PermanentError(
                f"BottleCRM holds no {entity!r} records (it holds: {known}); check the flow's entity"
            ) from None

    def read_changes(self, entity: str, since: Cursor | None, *, page_size: int = 500) -> Iterator[Page]:
        resource = self._resource(entity)
        size = max(1, min(page_size, 200))  # larger pages only make BottleCRM's list queries slower
        try:
            for rows in resource.scan(size):
                yield Page([_record(row) for row in rows], cursor=None)
        except ApiRefusal as exc:
            raise PermanentError(f"BottleCRM refused to list {entity} records: {exc}") from exc

    def read_by_ids(self, entity: str, ids: Sequence[str]) -> list[NativeRecord]:
        resource = self._resource(entity)
        out = []
        for record_id in ids:
            try:
                row = resource.fetch(record_id)
            except ApiRefusal as exc:
                if exc.status == 400:  # not an id BottleCRM can parse: it cannot exist there
                    continue
                raise PermanentError(f"BottleCRM {entity} {record_id}: {exc}") from exc
            if row is not None:
                out.append(_record(row))
        return out

    def write_batch(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        resource = self._resource(entity)
        return [self._write_one(entity, resource, request) for request in requests]

    def _write_one(self, entity: str, resource: Resource, request: WriteRequest) -> WriteResult:
        who = f"BottleCRM {entity} {request.id or request.ref}"
        try:
            if request.op == "create":
                return WriteResult(ref=request.ref, ok=True, id=resource.create(dict(request.data)))
            if request.id is None:
                return WriteResult(
                    ref=request.ref, ok=False, error=f"{who}: {request.op} needs the record id"
                )
            if request.op == "update":
                resource.update(request.id, dict(request.data))
            else:
                resource.delete(request.id)
            return WriteResult(ref=request.ref, ok=True, id=request.id)
        except ApiRefusal as exc:
            where = f"field {exc.field!r}: " if exc.field else ""
            return WriteResult(
                ref=request.ref,
                ok=False,
                id=request.id,
                field=exc.field,
                error=f"{who}: BottleCRM refused the {request.op}: {where}{exc.message}; "
                "fix the record on the other side (or its mapping) and it is retried next run",
            )
        except TransientError as exc:
            # Earlier records of the batch are written: report this one for a later run, not the batch.
            return WriteResult(
                ref=request.ref, ok=False, id=request.id, error=f"{who}: {exc}", transient=True
            )

    def record_url(self, entity: str, record_id: str) -> str | None:
        """The record's page in BottleCRM's web app at the ``web_url`` option, where it has one."""
        base = self.options.get("web_url") or self.settings.extra.get("web_url")
        page = WEB_PAGES.get(entity)
        if not base or page is None:
            return None
        return f"{str(base).rstrip('/')}/{page.format(id=quote(str(record_id), safe=''))}"

    def close(self) -> None:
        self.client.close()


def _record(row: dict[str, Any]) -> NativeRecord:
    data = dict(row)
    record_id = str(data.pop("id"))
    return NativeRecord(id=record_id, data=data)

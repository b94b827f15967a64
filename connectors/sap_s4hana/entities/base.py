"""One SAP business object as SyncHub sees it: where it lives, how its changes are found, how a
native record is read and written. Each entity module declares one subclass."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from connectors.base import Cursor, NativeRecord, Page, WriteRequest
from connectors.sap_s4hana.api import SapApi
from connectors.sap_s4hana.contract import require_query
from connectors.sap_s4hana.errors import Concurrent, RecordRefused
from connectors.sap_s4hana.paging import Order, and_, pages
from connectors.sap_s4hana.settings import SapSettings
from connectors.sap_s4hana.stamps import Stamp
from connectors.sap_s4hana.values import composite_key, native_value, parse_composite_key

__all__ = ["Nav", "SapEntity", "Stream"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Nav:
    """A navigation read along with the record (``$expand``): its properties and its own navigations."""

    fields: tuple[str, ...]
    expand: Mapping[str, Nav] = field(default_factory=dict)


@dataclass(frozen=True)
class Stream:
    """One query of changed records: a condition and the stamp that orders and dates them."""

    condition: str | None
    stamp: Stamp


class SapEntity:
    name: ClassVar[str]
    """The canonical entity."""
    service: ClassVar[str]
    entity_set: ClassVar[str]
    key: ClassVar[tuple[str, ...]]
    fields: ClassVar[tuple[str, ...]]
    """``$select``: the properties the default mapping uses (option ``fields`` overrides)."""
    expand: ClassVar[Mapping[str, Nav]] = {}
    filtered: ClassVar[tuple[str, ...]] = ()
    """Properties the entity's own conditions filter on (checked against the metadata)."""
    lifted: ClassVar[tuple[str, ...]] = ()
    """Native fields the connector adds for mappings (documented per entity), not SAP properties."""
    change_stamp: ClassVar[tuple[str, ...]] = ()
    """Where SAP declares no ETag: the properties compared before an update, so a change made in SAP
    after SyncHub read the record is not overwritten silently."""
    writable: ClassVar[bool] = True
    archive_hint: ClassVar[str] = ""
    """What ``deletes: archive`` sets instead of a delete SAP does not allow."""

    def __init__(self, api: SapApi, settings: SapSettings, select: Sequence[str] | None = None) -> None:
        self.api = api
        self.settings = settings
        # An overridden $select still carries what SyncHub itself needs: the key and the stamps.
        needed = [*self.key, *self.change_stamp, *(n for s in self.streams() for n, _ in s.stamp.fields)]
        self.selected = tuple(dict.fromkeys([*needed, *select])) if select else self.fields
        self._etags: dict[str, str] = {}
        self._stamps: dict[str, tuple[Any, ...]] = {}
        self._checked: set[str] = set()
        """Orderings whose properties the metadata was asked about."""

    # -- declared by each entity ----------------------------------------------------------------
    def streams(self) -> list[Stream]:
        raise NotImplementedError

    def scope(self) -> str | None:
        """A condition every read of the entity carries (e.g. only business partners that are customers)."""
        return None

    def shape(self, data: dict[str, Any]) -> None:
        """Lift values SAP keeps elsewhere to where a mapping can reach them (documented per entity)."""

    # -- reads ----------------------------------------------------------------------------------
    def _navigations(self) -> list[tuple[str, Nav]]:
        """(path, navigation) of every expanded navigation, parents first: ``to_Item/to_PricingElement``."""
        found: list[tuple[str, Nav]] = []
        queue = list(self.expand.items())
        while queue:
            path, nav = queue.pop(0)
            found.append((path, nav))
            queue += [(f"{path}/{name}", child) for name, child in nav.expand.items()]
        return found

    def _select(self) -> str:
        return ",".join(
            [*self.selected, *(f"{path}/{f}" for path, nav in self._navigations() for f in nav.fields)]
        )

    def _expand(self) -> str:
        return ",".join(path for path, _ in self._navigations())

    def _order(self, stream: Stream) -> Order:
        etype = self.api.etype(self.service, self.entity_set)
        keys = tuple((k, etype.proprty(k).typ.name) for k in self.key)
        order = Order(stream.stamp.fields + keys, lossy=stream.stamp.lossy)
        if order.orderby not in self._checked:
            names = [n for n, _ in order.fields]
            require_query(etype, [*names, *self.filtered], names)
            self._checked.add(order.orderby)
        return order

    def _scan(self, stream: Stream, since: Cursor | None, page_size: int) -> Iterator[NativeRecord]:
        order = self._order(stream)
        changed = stream.stamp.since(since.modified, self.settings.timezone) if since is not None else None
        fetch = self.api.fetch(
            self.service, self.entity_set, select=self._select(), expand=self._expand(), orderby=order.orderby
        )
        for batch in pages(fetch, and_(stream.condition, self.scope(), changed), order, page_size):
            for proxy in batch:
                yield self.native(proxy, stream)

    def read_changes(self, since: Cursor | None, page_size: int) -> Iterator[Page]:
        size = max(1, min(page_size, self.settings.page_size))
        scans = [self._scan(stream, since, size) for stream in self.streams()]
        merged = heapq.merge(*scans, key=lambda r: (r.modified or EPOCH, r.id))
        exact = all(stream.stamp.exact for stream in self.streams())
        records: list[NativeRecord] = []
        for record in merged:
            if exact and _before(record, since):
                continue  # the query repeats the cursor's instant; records before it were read
            records.append(record)
            if len(records) >= page_size:
                yield _page(records)
                records = []
        if records:
            yield _page(records)

    def key_args(self, record_id: str) -> dict[str, str] | None:
        if len(self.key) == 1:
            return {self.key[0]: record_id}
        return parse_composite_key(self.key, record_id)

    def fetch_one(self, record_id: str) -> Any | None:
        key = self.key_args(record_id)
        if key is None:
            return None
        return self.api.get(self.service, self.entity_set, key, select=self._select(), expand=self._expand())

    def read_by_ids(self, ids: Sequence[str]) -> list[NativeRecord]:
        out = []
        for record_id in ids:
            proxy = self.fetch_one(record_id)
            if proxy is not None:
                out.append(self.native(proxy))
        return out

    def native(self, proxy: Any, stream: Stream | None = None) -> NativeRecord:
        etype = self.api.etype(self.service, self.entity_set)
        data = _to_dict(etype, proxy, self.selected, self.expand)
        raw = {name: getattr(proxy, name) for name in self.selected}
        record_id = str(raw[self.key[0]]) if len(self.key) == 1 else composite_key(self.key, raw)
        streams = [stream] if stream is not None else self.streams()
        modified = next(
            (m for s in streams if (m := s.stamp.modified(raw, self.settings.timezone)) is not None), None
        )
        if proxy.etag:
            self._etags[record_id] = proxy.etag
        if self.change_stamp:
            self._stamps[record_id] = tuple(raw.get(f) for f in self.change_stamp)
        self.shape(data)
        return NativeRecord(id=record_id, data=data, modified=modified)

    # -- writes ---------------------------------------------------------------------------------
    def write(self, request: WriteRequest) -> str:
        if not self.writable:
            raise RecordRefused(
                f"SyncHub reads {self.entity_set} from SAP but does not write it; make the flow erp_to_crm"
            )
        if request.op == "create":
            return self.create(request)
        if request.id is None:
            raise RecordRefused(f"{request.op} needs the SAP id")
        if request.op == "update":
            return self.update(request.id, request.data)
        return self.delete(request.id)

    def create(self, request: WriteRequest) -> str:
        proxy = self.api.create(self.service, self.entity_set, request.data)
        return self.id_of(proxy)

    def id_of(self, proxy: Any) -> str:
        raw = {k: getattr(proxy, k) for k in self.key}
        return str(raw[self.key[0]]) if len(self.key) == 1 else composite_key(self.key, raw)

    def _key_or_refuse(self, record_id: str) -> dict[str, str]:
        key = self.key_args(record_id)
        if key is None:
            raise RecordRefused(f"{record_id!r} is not an id of {self.entity_set}")
        return key

    def update(self, record_id: str, data: Mapping[str, Any]) -> str:
        """PATCH the record's own properties (navigations and lifted fields are the entity's business),
        once it is known that SAP's record has not changed since SyncHub read it."""
        key = self._key_or_refuse(record_id)
        etag = self.precondition(record_id, key)
        navs = {p.name for p in self.api.etype(self.service, self.entity_set).nav_proprties}
        values = {
            k: v for k, v in data.items() if k not in navs and k not in self.key and k not in self.lifted
        }
        if values:
            self.api.update(self.service, self.entity_set, key, values, etag)
        return record_id

    def precondition(self, record_id: str, key: dict[str, str]) -> str | None:
        """What keeps an update from overwriting a change made in SAP after SyncHub's read: the ETag of
        that read (sent as ``If-Match``), or, where SAP declares no ETag, a fresh look at the change
        stamp (``Concurrent`` when it moved)."""
        etag = self._etags.pop(record_id, None)
        if etag is not None and not self.change_stamp:
            return etag
        current = self.api.get(
            self.service, self.entity_set, key, select=",".join(self.key + self.change_stamp)
        )
        if current is None:
            raise RecordRefused(f"{self.entity_set} {record_id} no longer exists in SAP")
        seen = self._stamps.pop(record_id, None)
        if seen is not None and tuple(getattr(current, f) for f in self.change_stamp) != seen:
            raise Concurrent
        return etag or current.etag or None

    def delete(self, record_id: str) -> str:
        entity_set = self.api.entity_set(self.service, self.entity_set)
        if not entity_set.deletable:
            raise RecordRefused(
                f"SAP does not allow deleting {self.entity_set} "
                f"({self.service} $metadata: sap:deletable=false); "
                f"set `deletes: archive` on the flow{self.archive_hint}, or `deletes: ignore`"
            )
        key = self._key_or_refuse(record_id)
        current = self.api.get(self.service, self.entity_set, key, select=",".join(self.key))
        if current is None:  # already gone: deleting twice is a success
            return record_id
        self.api.delete(self.service, self.entity_set, key, current.etag or None)
        return record_id


def _before(record: NativeRecord, since: Cursor | None) -> bool:
    if since is None or record.modified is None:
        return False
    return (record.modified, record.id) < (since.modified, since.id)


def _page(records: list[NativeRecord]) -> Page:
    last = records[-1]
    return Page(records, Cursor(last.modified, last.id) if last.modified is not None else None)


def _to_dict(etype: Any, proxy: Any, fields: Sequence[str], expand: Mapping[str, Nav]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        prop = etype.proprty(name)
        out[name] = native_value(prop.typ.name, prop.date, getattr(proxy, name))
    for nav_name, nav in expand.items():
        child_type = etype.nav_proprty(nav_name).to_role.entity_type
        value = getattr(proxy, nav_name)
        if isinstance(value, list):
            out[nav_name] = [_to_dict(child_type, c, nav.fields, nav.expand) for c in value]
        else:
            out[nav_name] = _to_dict(child_type, value, nav.fields, nav.expand) if value is not None else None
    return out

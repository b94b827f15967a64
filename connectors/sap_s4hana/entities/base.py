"""One SAP business object as SyncHub sees it: where it lives, how its changes are found, how a
native record is read and written. Each entity module declares one subclass (an SDK ``Entity``)."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from connectors.base import Cursor, Entity, NativeRecord, RecordError, WriteRequest, WriteResult
from connectors.sap_s4hana.contract import require_query
from connectors.sap_s4hana.errors import CHANGED_IN_SAP
from connectors.sap_s4hana.paging import Order, and_, pages
from connectors.sap_s4hana.stamps import Stamp
from connectors.sap_s4hana.values import composite_key, native_value, parse_composite_key

if TYPE_CHECKING:
    from connectors.sap_s4hana.connector import SapS4HanaConnector

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


class SapEntity(Entity):
    """An SAP entity set read in change-stamp order (or, without ``modified_field``, as a snapshot in
    key order), written one request per record. ``can_*`` are true to the EDMX's ``sap:creatable``,
    ``sap:updatable`` and ``sap:deletable`` (``tests/sap`` checks them) or narrower by choice."""

    connector: SapS4HanaConnector
    service: ClassVar[str]
    """The OData service (``API_BUSINESS_PARTNER``); ``native`` is its entity set."""
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
    archive_hint: ClassVar[str] = ""
    """What ``deletes: archive`` sets instead of a delete SAP does not allow."""
    fiori: ClassVar[tuple[str, str]]
    """The Fiori launchpad intent showing one record (``SemanticObject-action``) and its parameter."""
    batch_size = 100

    def __init__(self, connector: SapS4HanaConnector) -> None:  # type: ignore[override]
        super().__init__(connector)
        self.api = connector.api
        self.settings = connector.sap
        select = (connector.options.get("fields") or {}).get(self.name)
        # An overridden $select still carries what SyncHub itself needs: the key and the stamps.
        needed = [*self.key, *self.change_stamp, *(n for s in self.streams() for n, _ in s.stamp.fields)]
        self.selected = tuple(dict.fromkeys([*needed, *select])) if select else self.fields
        self._etags: dict[str, str] = {}
        self._stamps: dict[str, tuple[Any, ...]] = {}
        self._checked: set[str] = set()
        """Orderings whose properties the metadata was asked about."""

    # -- declared by each entity ----------------------------------------------------------------
    def streams(self) -> list[Stream]:
        """The queries that find changed records; none for a snapshot entity."""
        return []

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

    def _order(self, stamp_fields: tuple[tuple[str, str], ...], lossy: bool = False) -> Order:
        """Stamp fields, then the key: a stable ``$orderby`` the metadata allows to filter and sort."""
        etype = self.api.etype(self.service, self.native)
        keys = tuple((k, etype.proprty(k).typ.name) for k in self.key)
        order = Order(stamp_fields + keys, lossy=lossy)
        if order.orderby not in self._checked:
            names = [n for n, _ in order.fields]
            require_query(etype, [*names, *self.filtered], names)
            self._checked.add(order.orderby)
        return order

    def _query(
        self, order: Order, condition: str | None, size: int, select: str | None = None
    ) -> Iterator[list[Any]]:
        """Pages of the entity's records (in its scope) matching ``condition``; all it reads unless
        ``select`` names less (then nothing is expanded)."""
        expand = self._expand() if select is None else ""
        fetch = self.api.fetch(
            self.service, self.native, select=select or self._select(), expand=expand, orderby=order.orderby
        )
        return pages(fetch, and_(condition, self.scope()), order, size)

    def pages(self, since: Cursor | None, page_size: int) -> Iterator[list[NativeRecord]]:
        """Cursor entities: each stream's records after ``since``, merged in (modified, id) order.
        Snapshot entities: every record, in key order. ``$top`` is at most the ``page_size`` setting."""
        size = max(1, min(page_size, self.settings.page_size))
        if self.modified_field is None:
            scan = self._query(self._order(()), None, size)
            records: Iterator[NativeRecord] = (self.to_record(proxy) for batch in scan for proxy in batch)
        else:
            records = heapq.merge(
                *(self._changes(stream, since, size) for stream in self.streams()),
                key=lambda r: (r.modified or EPOCH, self.id_order(r.id)),
            )
        page: list[NativeRecord] = []
        for record in records:
            page.append(record)
            if len(page) >= page_size:
                yield page
                page = []
        if page:
            yield page

    def _changes(self, stream: Stream, since: Cursor | None, size: int) -> Iterator[NativeRecord]:
        stamp = stream.stamp
        order = self._order(stamp.fields, stamp.lossy)
        changed = stamp.since(since.modified, self.settings.timezone) if since is not None else None
        mark = (stamp.shown(since.modified), self.id_order(since.id)) if since is not None else None
        for batch in self._query(order, and_(stream.condition, changed), size):
            for proxy in batch:
                record = self.to_record(proxy, stream)
                # The query starts at the cursor's instant; an exact stamp drops what was read up to
                # the cursor. A day-only stamp cannot tell: its whole day is read again.
                done = mark is not None and record.modified is not None and stamp.exact
                if done and (record.modified, self.id_order(record.id)) <= mark:
                    continue
                yield record

    def list_ids(self) -> Iterator[str]:
        """Every id in the entity's scope: a key-only scan (``$select`` of the key)."""
        for batch in self._query(self._order(()), None, 1000, select=",".join(self.key)):
            yield from (self.id_of(proxy) for proxy in batch)

    def key_args(self, record_id: str) -> dict[str, str] | None:
        if len(self.key) == 1:
            return {self.key[0]: record_id}
        return parse_composite_key(self.key, record_id)

    def fetch_one(self, record_id: str) -> Any | None:
        key = self.key_args(record_id)
        if key is None:
            return None
        return self.api.get(self.service, self.native, key, select=self._select(), expand=self._expand())

    def fetch(self, ids: Sequence[str]) -> list[NativeRecord]:
        out = []
        for record_id in ids:
            proxy = self.fetch_one(record_id)
            if proxy is not None:
                out.append(self.to_record(proxy))
        return out

    def to_record(self, proxy: Any, stream: Stream | None = None) -> NativeRecord:
        etype = self.api.etype(self.service, self.native)
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
    def write_one(self, request: WriteRequest) -> WriteResult:
        refusal = self.refusal(request.op)
        if refusal is not None:  # said before the base's generic refusal: with the metadata's reason
            return self.failure(request, RecordError(refusal))
        return super().write_one(request)

    def refusal(self, op: str) -> str | None:
        """Why SyncHub does not send this operation for this entity; None when it does."""
        if op == "delete" and not self.can_delete:
            return self._not_deletable()
        return None

    def _not_deletable(self) -> str:
        return (
            f"SAP does not allow deleting {self.native} ({self.service} $metadata: sap:deletable=false); "
            f"set `deletes: archive` on the flow{self.archive_hint}, or `deletes: ignore`"
        )

    def create(self, data: dict[str, Any], ref: str) -> str | NativeRecord:
        return self.saved(self.api.create(self.service, self.native, data))

    def saved(self, proxy: Any) -> str | NativeRecord:
        """SAP's answer to a create as the saved record, when it carries all a read would show (the
        engine then needs no read back); else the new id."""
        answer = self.api.answer(self.service)
        if answer is not None and _carries(answer, self.selected, self.expand):
            return self.to_record(proxy)
        return self.id_of(proxy)

    def id_of(self, proxy: Any) -> str:
        raw = {k: getattr(proxy, k) for k in self.key}
        return str(raw[self.key[0]]) if len(self.key) == 1 else composite_key(self.key, raw)

    def _key_or_refuse(self, record_id: str) -> dict[str, str]:
        key = self.key_args(record_id)
        if key is None:
            raise RecordError(f"{record_id!r} is not an id of {self.native}")
        return key

    def update(self, record_id: str, data: dict[str, Any]) -> str:
        """PATCH the record's own properties (navigations and lifted fields are the entity's business),
        once it is known that SAP's record has not changed since SyncHub read it. SAP answers 204
        without the record: the engine reads it back."""
        key = self._key_or_refuse(record_id)
        etag = self.precondition(record_id, key)
        navs = {p.name for p in self.api.etype(self.service, self.native).nav_proprties}
        values = {
            k: v for k, v in data.items() if k not in navs and k not in self.key and k not in self.lifted
        }
        if values:
            self.api.update(self.service, self.native, key, values, etag)
        return record_id

    def precondition(self, record_id: str, key: dict[str, str]) -> str | None:
        """What keeps an update from overwriting a change made in SAP after SyncHub's read: the ETag of
        that read (sent as ``If-Match``), or, where SAP declares no ETag, a fresh look at the change
        stamp (a transient refusal when it moved)."""
        etag = self._etags.pop(record_id, None)
        if etag is not None and not self.change_stamp:
            return etag
        current = self.api.get(self.service, self.native, key, select=",".join(self.key + self.change_stamp))
        if current is None:
            raise RecordError(f"{self.native} {record_id} no longer exists in SAP")
        seen = self._stamps.pop(record_id, None)
        if seen is not None and tuple(getattr(current, f) for f in self.change_stamp) != seen:
            raise RecordError(CHANGED_IN_SAP, transient=True)
        return etag or current.etag or None

    def delete(self, record_id: str) -> None:
        if not self.api.entity_set(self.service, self.native).deletable:  # a system stricter than ours
            raise RecordError(self._not_deletable())
        key = self._key_or_refuse(record_id)
        current = self.api.get(self.service, self.native, key, select=",".join(self.key))
        if current is None:  # already gone: deleting twice is a success
            return
        self.api.delete(self.service, self.native, key, current.etag or None)

    def record_url(self, record_id: str) -> str | None:
        """The record in SAP's Fiori launchpad, by intent-based navigation:
        ``<launchpad>?sap-client=<c>#<Object>-<action>?<Key>=<id>`` (options: ``fiori_intents``,
        ``launchpad_url``)."""
        key = self.key_args(record_id)
        if key is None:
            return None
        intent, parameter = self.fiori
        intent = (self.settings.fiori_intents or {}).get(self.name, intent)
        client = f"?sap-client={quote(self.settings.sap_client)}" if self.settings.sap_client else ""
        value = quote(key[self.key[0]], safe="")
        return f"{self.settings.launchpad_url}{client}#{intent}?{parameter}={value}"


def _carries(answer: Mapping[str, Any], fields: Sequence[str], expand: Mapping[str, Nav]) -> bool:
    """Whether SAP's answer holds these properties and, inline, these navigations (a navigation it
    did not expand comes as a ``__deferred`` link, which pyodata would take for an empty list)."""
    if any(name not in answer for name in fields):
        return False
    for name, nav in expand.items():
        value = answer.get(name, {"__deferred": {}})
        if isinstance(value, Mapping) and "__deferred" in value:
            return False
        children = value.get("results", [value]) if isinstance(value, Mapping) else value or []
        if not all(isinstance(c, Mapping) and _carries(c, nav.fields, nav.expand) for c in children):
            return False
    return True


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

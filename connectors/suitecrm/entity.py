"""What every SuiteCRM entity shares: one V8 module read by keyset, written one record per call.

Reads follow ``date_modified`` as the API shows it (:mod:`.keyset`); deletions leave no trace the
API can list, so they are found by id scans (``list_ids``) and by the 400 "not found" on a read.
Creates choose the record's id: SyncHub's canonical id (a GUID) where the request's ref is one, else
a UUID derived from the ref, so a create repeated after a crash meets the record it made
(``RecordExists``) and updates it instead of making a second one. Reads report that id as the
record's ``ref``, which lets the engine re-link a record whose create it did not get to commit.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from connectors.base import Cursor, Entity, NativeRecord, RecordError
from connectors.suitecrm.client import Filter, Record, SuiteCrmClient
from connectors.suitecrm.errors import RecordExists, RecordNotFound
from connectors.suitecrm.fields import Spec, encode, plain_decimal
from connectors.suitecrm.keyset import read_after
from connectors.suitecrm.values import parse_date, parse_datetime, truncate

if TYPE_CHECKING:
    from connectors.suitecrm.connector import SuiteCrmConnector

__all__ = ["ID_NAMESPACE", "CurrencyMixin", "SuiteCrmEntity", "positional_id", "record_id_for"]

ID_NAMESPACE = uuid.UUID("5e1a7c2d-8f0b-4c5e-9a47-3d2b6f1e0c11")
"""Namespace of the ids SyncHub derives for records it creates (refs that are not GUIDs)."""
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ID_PAGE = 500


def record_id_for(ref: str, part: str = "") -> str:
    """The id a record created for ``ref`` gets: ``ref`` itself when it is a GUID (SyncHub's canonical
    ids are), else a UUID derived from it; ``part`` names a child record (a contact, a quote line)."""
    if not part and _GUID.fullmatch(ref):
        return ref
    return str(uuid.uuid5(ID_NAMESPACE, f"{ref}/{part}" if part else ref))


def positional_id(parent_id: str, kind: str, position: int) -> str:
    """The id of the child (``kind``: contact, line) SyncHub writes at ``position`` under a parent: derived
    from the parent, with ``position`` as its first eight hex digits, so id order is position order."""
    derived = uuid.uuid5(uuid.UUID(int=0), f"{parent_id}/{kind}").hex
    return str(uuid.UUID(f"{position:08x}{derived[8:]}"))


class SuiteCrmEntity(Entity):
    """One canonical entity as one SuiteCRM module.

    Subclasses declare ``native`` (the module), ``read_fields`` (attributes to read), ``specs`` (what
    SyncHub writes and how each value is checked) and may add ``filters`` (which records of the
    module belong to the entity), :meth:`shape` (attributes -> native data) and children (contacts,
    quote lines) in :meth:`with_children` and :meth:`write_children`.
    """

    modified_field = "date_modified"
    deletes_reported = False  # soft deletes are invisible to V8: the engine compares ids
    batch_size = 50  # one call per record: V8 has no batch endpoint
    concurrent_writes = True  # one HTTP session per thread (client.py); SuiteCRM saves each bean alone
    read_fields: ClassVar[tuple[str, ...]]
    specs: ClassVar[Mapping[str, Spec]]
    decimals: ClassVar[tuple[str, ...]] = ()
    dates: ClassVar[tuple[str, ...]] = ()
    filters: ClassVar[tuple[Filter, ...]] = ()

    connector: SuiteCrmConnector

    @property
    def client(self) -> SuiteCrmClient:
        return self.connector.client

    @property
    def precision(self) -> timedelta:
        return self.connector.precision

    def record_url(self, record_id: str) -> str | None:
        return self.connector.record_url_of(self.native, record_id)

    # -- reads -------------------------------------------------------------------------------------
    def read_after(self, after: Cursor | None, limit: int) -> Sequence[NativeRecord]:
        rows = read_after(
            self.client,
            self.native,
            after,
            limit,
            fields=self.read_fields,
            precision=self.precision,
            filters=self.filters,
        )
        return self.records(rows)

    def fetch(self, ids: Sequence[str]) -> list[NativeRecord]:
        rows = []
        for record_id in dict.fromkeys(ids):
            if not _GUID.fullmatch(record_id) and not record_id.isalnum():
                continue  # not an id SuiteCRM can hold
            try:
                row = self.client.get(self.native, record_id, fields=["date_modified", *self.read_fields])
            except RecordNotFound:
                continue  # deleted (or never there): SuiteCRM answers 400, not 404
            if self.belongs(row):
                rows.append(row)
        return self.records(rows)

    def list_ids(self) -> Iterator[str]:
        for row in self.client.scan(self.native, filters=self.filters, page_size=ID_PAGE):
            yield row.id

    def belongs(self, row: Record) -> bool:
        """Whether a record read by id is one of this entity's (see ``filters``)."""
        for f in self.filters:
            value = row.attributes.get(f.field, "")
            if (f.op == "eq" and value != f.value) or (f.op == "neq" and value in ("", None, f.value)):
                return False
        return True

    def records(self, rows: Sequence[Record]) -> list[NativeRecord]:
        datas = self.with_children([self.shape(row) for row in rows], rows)
        out = []
        for row, data in zip(rows, datas, strict=True):
            modified = row.modified
            out.append(
                NativeRecord(
                    id=row.id,
                    data=data,
                    modified=truncate(modified, self.precision) if modified else None,
                    ref=row.id,
                )
            )
        return out

    def shape(self, row: Record) -> dict[str, Any]:
        """Native data of one record: text as read, ``""`` as None, decimals exact, dates ISO."""
        data: dict[str, Any] = {}
        for name in self.read_fields:
            raw = row.attributes.get(name, "")
            if name in self.decimals:
                data[name] = plain_decimal(raw)
            elif name in self.dates:
                parsed = parse_date(raw) if isinstance(raw, str) else None
                data[name] = parsed.isoformat() if parsed else None
            elif name.startswith("date_"):
                parsed_at = parse_datetime(raw) if isinstance(raw, str) else None
                data[name] = parsed_at.isoformat() if parsed_at else None
            else:
                data[name] = None if raw == "" else raw
        return data

    def with_children(self, datas: list[dict[str, Any]], rows: Sequence[Record]) -> list[dict[str, Any]]:
        """Add nested records (contacts, lines) to each record's data; none by default."""
        return datas

    # -- writes ------------------------------------------------------------------------------------
    def attributes(self, data: Mapping[str, Any], *, creating: bool) -> dict[str, str]:
        """The wire attributes of ``data`` (checked field by field); children are written apart."""
        own = {k: v for k, v in data.items() if k not in self.child_fields()}
        return encode(self.specs, own, self.native)

    def child_fields(self) -> tuple[str, ...]:
        return ()

    def create(self, data: dict[str, Any], ref: str) -> NativeRecord:
        attributes = self.attributes(data, creating=True)
        record_id = record_id_for(ref)
        try:
            row = self.client.create(self.native, attributes, record_id=record_id)
        except RecordExists:
            # Made by an earlier try of this create (a crash before its link was kept): update it.
            try:
                row = self.client.update(self.native, record_id, attributes)
            except RecordNotFound:
                raise RecordError(
                    f"SuiteCRM {self.native} {record_id} made for this record was deleted in SuiteCRM and "
                    "keeps its id; restore it in SuiteCRM, or unlink the record in SyncHub",
                ) from None
        self.write_children(row.id, data, created=True)
        return self.saved(row, data)

    def update(self, record_id: str, data: dict[str, Any]) -> NativeRecord:
        attributes = self.attributes(data, creating=False)
        try:
            row = (
                self.client.update(self.native, record_id, attributes)
                if attributes
                else self.client.get(self.native, record_id, fields=["date_modified", *self.read_fields])
            )
        except RecordNotFound:
            raise RecordError(
                f"it was deleted in SuiteCRM ({self.native} {record_id} is not found); restore it there or "
                "let the next reconciliation remove the link"
            ) from None
        self.write_children(record_id, data, created=False)
        return self.saved(row, data)

    def saved(self, row: Record, data: Mapping[str, Any]) -> NativeRecord:
        """The record as saved: the answer's attributes, and children read again where written."""
        wanted = {"id", "date_modified", *self.read_fields}
        trimmed = Record(row.module, row.id, {k: v for k, v in row.attributes.items() if k in wanted})
        return self.records([trimmed])[0]

    def write_children(self, record_id: str, data: Mapping[str, Any], *, created: bool) -> None:
        """Write nested records (contacts, lines) after their parent; none by default."""

    def delete(self, record_id: str) -> None:
        with contextlib.suppress(RecordNotFound):  # already gone: a retried delete succeeds
            self.client.delete(self.native, record_id)


class CurrencyMixin(SuiteCrmEntity):
    """Amounts in the system currency: ``currency`` is read as it and a write in another is refused."""

    def shape(self, row: Record) -> dict[str, Any]:
        return {**super().shape(row), "currency": self.connector.currency}

    def attributes(self, data: Mapping[str, Any], *, creating: bool) -> dict[str, str]:
        currency = data.get("currency")
        if currency not in (None, "", self.connector.currency):
            raise RecordError(
                f"field 'currency': {currency!r} is not SuiteCRM's system currency "
                f"{self.connector.currency!r}; SyncHub writes amounts in it only (set the connection's "
                "currency option if SuiteCRM's is another)",
                field="currency",
            )
        return super().attributes({k: v for k, v in data.items() if k != "currency"}, creating=creating)

"""One side of a flow (a system in the role erp or crm): its records in, its writes out.

A :class:`Side` bundles what the run needs to talk to one system for one entity: the connector,
the compiled mapping (both halves), reference lookups through the store, and which canonical fields
the side holds. :meth:`Side.prepare` turns a page of native records into :class:`Change` objects:
mapped, filled from the last synced snapshot for the fields this side does not hold, validated once,
hashed. :meth:`Side.request` turns a decision back into the native write this side needs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from connectors.base import Capabilities, Connector, NativeRecord, WriteRequest
from sync_engine.identity import record_hash
from sync_engine.mapping import Mapping, MappingError, UnresolvedReference
from sync_engine.merge import Role, values_equal
from sync_engine.report import RunReport
from sync_engine.store import LinkRecord, Store

OTHER: dict[str, Role] = {"erp": "crm", "crm": "erp"}
_NO: frozenset[str] = frozenset()


class ReferenceLookup:
    """The mapping's window onto links of other entities (``customer_ref`` -> canonical customer id).

    Lookups are cached for the run: a referenced record belongs to another flow, which does not
    change while this one runs.
    """

    def __init__(self, store: Store, system: str) -> None:
        self.store = store
        self.system = system
        self._to_canonical: dict[tuple[str, str], str | None] = {}
        self._to_external: dict[tuple[str, str], str | None] = {}

    def canonical_id(self, entity: str, external_id: str) -> str | None:
        key = (entity, str(external_id))
        if key not in self._to_canonical:
            found = self.store.resolve_references(entity, self.system, [key[1]])
            self._to_canonical[key] = found.get(key[1])
        return self._to_canonical[key]

    def external_id(self, entity: str, canonical_id: str) -> str | None:
        key = (entity, canonical_id)
        if key not in self._to_external:
            found = self.store.external_ids_for(entity, self.system, [canonical_id])
            self._to_external[key] = found.get(canonical_id)
        return self._to_external[key]


@dataclass(slots=True)
class Change:
    """A record of one side that needs the engine's attention this run."""

    side: Side
    ext_id: str
    record: dict[str, Any] | None
    """Canonical JSON form, filled and validated; None for a deletion."""
    changed_at: datetime | None
    deleted: bool = False
    ref: str | None = None
    link: LinkRecord | None = None
    hash: str | None = None
    native: dict[str, Any] | None = None
    native_hash: str | None = None
    """:meth:`Side.native_hash` of ``native``, computed once when the page was read."""
    echoed: frozenset[str] = frozenset()
    """Fields whose value is what this side saved of our last write (``meta.as_saved``): shown here
    as the snapshot's value, so a system's own rendering of a value is not taken for a change."""
    unstored: frozenset[str] = frozenset()
    """Fields marked ``store_default`` that read as their default because the native value is empty:
    this side does not hold them yet (see ``Mapping.unstored``)."""


@dataclass
class Rejection:
    """A record that could not be read, mapped or validated: it becomes a dead letter."""

    side: Side
    ext_id: str
    stage: str
    reason: str
    field: str | None
    payload: Any
    deferred: bool = False


@dataclass
class Side:
    role: Role
    system: str
    entity: str
    connector: Connector
    mapping: Mapping
    model: type[BaseModel]
    writable: bool
    refs: ReferenceLookup
    read_fields: frozenset[str] = field(default_factory=frozenset)
    """Top-level canonical fields this side's mapping produces; the rest come from the snapshot."""
    store_defaults: frozenset[str] = field(default_factory=frozenset)
    """``store_default`` fields worth writing here: this side is written and the other reads them."""

    @property
    def capabilities(self) -> Capabilities:
        return self.connector.capabilities_for(self.entity)

    @property
    def tracks_changes(self) -> bool:
        return self.capabilities.change_tracking == "cursor"

    @property
    def writes(self) -> frozenset[str]:
        """Top-level canonical fields this side's mapping can write."""
        return getattr(self.mapping, "written_fields", frozenset())

    def request(
        self, action: str, ref: str, merged: dict[str, Any] | None, patch: dict[str, Any], ext_id: str | None
    ) -> WriteRequest | None:
        """The native write that brings this side to ``merged`` (None: nothing it can write).

        Raises the mapping's :class:`MappingError` / :class:`UnresolvedReference`.
        """
        if action == "delete":
            return WriteRequest("delete", ref, {}, ext_id) if ext_id else None
        assert merged is not None
        if action == "create" or ext_id is None:
            return WriteRequest("create", ref, self.mapping.to_native(merged, self.refs), None)
        data = self.mapping.to_native(merged, self.refs, fields=set(patch))
        return WriteRequest("update", ref, data, ext_id) if data else None

    def native_hash(self, data: dict[str, Any]) -> str:
        """A native record's hash under this side's mapping version: equal means it maps the same."""
        key = getattr(self.mapping, "version", "").encode()
        return hashlib.blake2b(_native_bytes(data), digest_size=16, key=key).hexdigest()

    def native_hashes(self, records: Sequence[NativeRecord]) -> dict[str, str]:
        """:meth:`native_hash` of a page's live records, id -> hash (the hot loop of a quiet run)."""
        key = getattr(self.mapping, "version", "").encode()
        blake2b = hashlib.blake2b
        return {
            rec.id: blake2b(_native_bytes(rec.data), digest_size=16, key=key).hexdigest()
            for rec in records
            if not rec.deleted
        }

    def canonical(self, record: NativeRecord, fill: dict[str, Any] | None) -> dict[str, Any] | None:
        """One native record in canonical form, fields it does not hold taken from ``fill``; None
        when it does not map or validate (the caller keeps what it knew)."""
        try:
            mapped = self.mapping.to_canonical(record.data, self.refs)
            return self.model.model_validate({**fill, **mapped} if fill else mapped).model_dump(mode="json")
        except (MappingError, ValidationError):
            return None

    def prepare(
        self,
        records: Sequence[NativeRecord],
        links: dict[str, LinkRecord],
        report: RunReport,
        reject: Callable[[Rejection], None],
        unchanged: list[str] | None = None,
        native_hashes: dict[str, str] | None = None,
    ) -> list[Change]:
        """Changes among ``records``; unchanged ones (equal to their link's snapshot) are dropped, their
        ids appended to ``unchanged``. ``native_hashes``: the records' :meth:`native_hash`, if known."""
        out: list[Change] = []
        counts = report.sides[self.role]
        mapped_ok: list[tuple[NativeRecord, LinkRecord | None, dict[str, Any]]] = []
        with report.timed("map"):
            for rec in records:
                link = links.get(rec.id)
                if rec.deleted:
                    if link is not None:
                        out.append(Change(self, rec.id, None, rec.modified, deleted=True, link=link))
                    continue
                try:
                    mapped_ok.append((rec, link, self.mapping.to_canonical(rec.data, self.refs)))
                except UnresolvedReference as exc:
                    reject(Rejection(self, rec.id, "reference", str(exc), exc.field, rec.data, deferred=True))
                except MappingError as exc:
                    reject(Rejection(self, rec.id, "map", str(exc), exc.field, rec.data))
        with report.timed("validate"):
            validated: list[tuple[NativeRecord, LinkRecord | None, dict[str, Any]]] = []
            for rec, link, mapped in mapped_ok:
                base = link.snapshot if link is not None and link.snapshot else None
                filled = {**base, **mapped} if base else mapped
                try:
                    canon = self.model.model_validate(filled).model_dump(mode="json")
                except ValidationError as exc:
                    first = exc.errors()[0]
                    where = ".".join(str(p) for p in first["loc"]) or None
                    reason = (
                        f"{self.system} {self.entity} {rec.id}: field '{where}': {first['msg']}"
                        f" (value {first.get('input')!r}); fix the record in {self.system} or its mapping"
                    )
                    reject(Rejection(self, rec.id, "validate", reason, where, rec.data))
                    continue
                validated.append((rec, link, canon))
        with report.timed("hash"):
            for rec, link, canon in validated:
                echoed = _echo_saved(canon, link, self.role)
                digest = record_hash(canon)
                unstored = (
                    self.mapping.unstored(rec.data) & self.store_defaults if self.store_defaults else _NO
                )
                # Equal to the snapshot is "unchanged", unless an open conflict holds fields (the
                # snapshot keeps the old base, and this side may have moved back to it), or a field
                # the pair agrees on is empty here (the agreed value is still to be written).
                if (
                    link is not None
                    and link.hash == digest
                    and self.system in link.external_ids
                    and "held" not in link.meta
                    and not (unstored and len(link.external_ids) > 1)
                ):
                    counts.unchanged += 1
                    if unchanged is not None and "deleted" not in link.meta:
                        unchanged.append(rec.id)
                    continue
                out.append(
                    Change(
                        self,
                        rec.id,
                        canon,
                        rec.modified,
                        ref=rec.ref,
                        link=link,
                        hash=digest,
                        native=rec.data,
                        native_hash=native_hashes.get(rec.id) if native_hashes else None,
                        echoed=echoed,
                        unstored=unstored,
                    )
                )
        return out


def _echo_saved(canon: dict[str, Any], link: LinkRecord | None, role: str) -> frozenset[str]:
    """Put back the snapshot's value where this side still holds what it saved of our last write."""
    saved = link.meta.get("as_saved", {}).get(role) if link is not None and link.snapshot else None
    if not saved:
        return frozenset()
    assert link is not None and link.snapshot is not None
    echoed = [name for name, value in saved.items() if values_equal(name, canon.get(name), value)]
    for name in echoed:
        canon[name] = link.snapshot.get(name)
    return frozenset(echoed)


_NATIVE_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def _native_bytes(data: dict[str, Any]) -> bytes:
    try:  # text keys and JSON types, as nearly every record: a third faster than with number keys
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        pass
    try:  # the same bytes for text keys; number keys and other types as text
        return orjson.dumps(data, option=_NATIVE_OPTIONS, default=str)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()

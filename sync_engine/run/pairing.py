"""Pairing: which records of the two sides are one record.

The first side's changes wait in a :class:`Spool` while the second side streams past. A change is
paired with its counterpart: the spooled change of the same link; else the link's snapshot (the
other side did not change); else an unlinked first-side record that carries the id we created it
under, or has the same natural key. Several candidates are a :class:`Duplicate`: a person decides.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from sync_engine.identity import KeyIndex, natural_keys
from sync_engine.run.sides import Change
from sync_engine.store import LinkRecord

__all__ = ["Duplicate", "Pair", "Spool", "canonical_id_for", "former_canonical_id_for", "pair_with"]


@dataclass
class Pair:
    """Changes of one record (one or both sides), with the link they belong to."""

    cid: str
    link: LinkRecord | None
    changes: dict[str, Change]
    """Role -> the change read from that side this run."""
    base_link: LinkRecord | None
    """Whose snapshot is the merge's base (None: never synced, e.g. matched by natural key)."""


@dataclass
class Duplicate:
    """A change whose natural key leads to several unlinked records of the other side."""

    change: Change
    candidates: list[str]


def canonical_id_for(flow: str, system: str, external_id: str) -> str:
    """The canonical id a new record gets: derived from where it came from, so a rerun after a crash
    gives the same id (and an upsert keyed by it finds what the crashed run created).

    In UUID form (SuiteCRM takes it as the new record's id). The first 12 hex digits follow the
    external id (its number, else its first six bytes), the other 20 hash flow, system and id: records
    a system numbers in order get canonical ids in about that order, so a batch of new links lands on
    a few neighbouring pages of the canonical-id index, not on a random page each.
    """
    # blake2b rather than uuid5: the same stability at a tenth of the cost
    digest = hashlib.blake2b(f"{flow}\x1f{system}\x1f{external_id}".encode(), digest_size=10)
    return _uuid_form(_ordered_prefix(external_id) + digest.hexdigest())


def _ordered_prefix(external_id: str) -> str:
    """12 hex digits that sort as the external id does: a number below 2**48 (most ERPs' ids) by
    value, anything else by its first six bytes."""
    if len(external_id) <= 15 and external_id.isascii() and external_id.isdigit():
        number = int(external_id)
        if number < 1 << 48:
            return f"{number:012x}"
    return external_id.encode()[:6].ljust(6, b"\0").hex()


def former_canonical_id_for(flow: str, system: str, external_id: str) -> str:
    """The canonical id earlier versions derived (a hash alone): records they created carry it as
    their SyncHub id, and a run re-pairing them (after a crash, or with a new state store) must know it."""
    return _uuid_form(
        hashlib.blake2b(f"{flow}\x1f{system}\x1f{external_id}".encode(), digest_size=16).hexdigest()
    )


def _uuid_form(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


class Spool:
    """The first side's changes, held while the second side streams past.

    Linked changes wait for their counterpart by canonical id; unlinked ones can be claimed by a
    second-side record with the same natural key, or through the SyncHub id a system stored.
    """

    def __init__(self, flow: str, other_system: str, match_keys: list[list[str]]) -> None:
        self.flow = flow
        self.other_system = other_system
        self.match_keys = match_keys
        self.linked: dict[str, Change] = {}
        self.new: dict[str, Change] = {}
        self._keys = KeyIndex()
        self._by_cid: dict[str, str] = {}
        self._by_former_cid: dict[str, str] | None = None  # built when first asked
        self._by_ref: dict[str, str] = {}

    def add(self, ch: Change) -> None:
        if ch.link is not None and ch.link.external_ids.get(self.other_system):
            self.linked[ch.link.canonical_id] = ch
            return
        self.new[ch.ext_id] = ch
        self._by_cid[canonical_id_for(self.flow, ch.side.system, ch.ext_id)] = ch.ext_id
        if self._by_former_cid is not None:
            self._by_former_cid[former_canonical_id_for(self.flow, ch.side.system, ch.ext_id)] = ch.ext_id
        if ch.ref:
            self._by_ref[ch.ref] = ch.ext_id
        if ch.record is not None:
            self._keys.add(ch.ext_id, natural_keys(ch.record, self.match_keys))

    def match(self, ch: Change) -> list[str]:
        """External ids of unlinked first-side records that are the same record as ``ch``."""
        # A record we created carries the id it was created under: an exact match.
        cid = canonical_id_for(self.flow, ch.side.system, ch.ext_id)
        for key in (self._by_cid.get(ch.ref or ""), self._by_ref.get(cid)):
            if key is not None and key in self.new:
                return [key]
        # or the id an earlier version derived, for records it created (this state may not know them)
        if ch.ref and (key := self._former_cids().get(ch.ref)) is not None and key in self.new:
            return [key]
        if self._by_ref:
            key = self._by_ref.get(former_canonical_id_for(self.flow, ch.side.system, ch.ext_id))
            if key is not None and key in self.new:
                return [key]
        assert ch.record is not None
        return [k for k in self._keys.match(natural_keys(ch.record, self.match_keys)) if k in self.new]

    def _former_cids(self) -> dict[str, str]:
        """The earlier versions' canonical ids of the unlinked records spooled, by id."""
        if self._by_former_cid is None:
            self._by_former_cid = {
                former_canonical_id_for(self.flow, ch.side.system, ext): ext for ext, ch in self.new.items()
            }
        return self._by_former_cid

    def leftovers(self, first: str) -> Iterator[Pair]:
        """What changed on the first side only (linked, or new there), emptying the spool."""
        for cid, ch in list(self.linked.items()):
            del self.linked[cid]
            yield Pair(cid, ch.link, {first: ch}, ch.link)
        for ch in list(self.new.values()):
            if ch.link is not None:
                yield Pair(ch.link.canonical_id, ch.link, {first: ch}, ch.link)
            else:
                yield Pair(canonical_id_for(self.flow, ch.side.system, ch.ext_id), None, {first: ch}, None)
        self.new.clear()


def pair_with(
    ch: Change, first: str, first_system: str, spool: Spool, entity: str
) -> Pair | Duplicate | None:
    """The counterpart of a second-side change ``ch`` in the spool (None: a deletion of nothing)."""
    link = ch.link
    flow = spool.flow
    if link is not None:
        # The counterpart is the first side's change of the same link, if it changed.
        other = spool.linked.pop(link.canonical_id, None)
        first_ext = link.external_ids.get(first_system)
        if other is None and first_ext and first_ext in spool.new:
            other = spool.new.pop(first_ext)
        if other is not None or first_ext:
            if other is not None and other.link is not None:
                link.external_ids.update(other.link.external_ids)
            changes = {ch.side.role: ch, **({first: other} if other is not None else {})}
            return Pair(link.canonical_id, link, changes, link)
    if ch.record is None:
        return None
    matches = spool.match(ch) if spool.new else []  # nothing unlinked waits: no key to compute
    if len(matches) > 1:
        return Duplicate(ch, matches)
    if matches:
        other = spool.new.pop(matches[0])
        base_link = link or other.link
        erp_side = ch if ch.side.role == "erp" else other
        cid = (
            base_link.canonical_id
            if base_link
            else canonical_id_for(flow, erp_side.side.system, erp_side.ext_id)
        )
        merged_link = base_link or LinkRecord(flow, entity, cid, {})
        merged_link.external_ids[ch.side.system] = ch.ext_id
        merged_link.external_ids[other.side.system] = other.ext_id
        return Pair(cid, merged_link, {ch.side.role: ch, first: other}, None)
    if link is not None:
        return Pair(link.canonical_id, link, {ch.side.role: ch}, link)
    return Pair(canonical_id_for(flow, ch.side.system, ch.ext_id), None, {ch.side.role: ch}, None)

"""One run of a flow: read both sides, map, validate, identify, merge, write, commit.

The algorithm (see docs/architecture.md for the why):

1. Under the flow's lock, read the *first* side completely (the target of a one-way flow, else the
   CRM) and keep only what changed since the last sync (a "spool": small in incremental runs).
2. Stream the *second* side page by page; pair each change with its counterpart (the spooled change
   of the same link, the link's snapshot when the other side did not change, or an unlinked record of
   the first side with the same natural key), merge, and write in batches.
3. Merge what is left in the spool (changed on the first side only, or new there).
4. Apply resolutions people made to conflicts on records this run did not touch.
5. Commit cursors only when every page was processed; failed records are dead letters that the next
   run (deferred and transient ones) or ``synchub deadletters retry`` re-reads by id.

Writes are idempotent: a new record's canonical id is derived from its first system and id, and a
create is sent as an upsert keyed by that id where the connector supports it. A crash between the
write and the commit is therefore repaired by the rerun without a duplicate: the rerun derives the
same id (and upserts again), or recognises the created record by the id it carries or by its
natural key.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import (
    Connector,
    ConnectorError,
    Cursor,
    NativeRecord,
    Page,
    PermanentError,
    TransientError,
    WriteRequest,
    WriteResult,
)
from sync_engine.identity import KeyIndex, natural_keys, record_hash
from sync_engine.mapping import Mapping, MappingError, UnresolvedReference
from sync_engine.merge import MergePolicy, MergeResult, SideState, merge, values_equal
from sync_engine.model import entity_model
from sync_engine.report import PlannedWrite, RunReport, SideCounts
from sync_engine.retrying import RetryPolicy
from sync_engine.sides import OTHER, Change, ReferenceLookup, Rejection, Role, Side
from sync_engine.store import AuditEntry, CursorState, LinkRecord, Store

log = logging.getLogger(__name__)

Hook = Callable[[str], None]
Progress = Callable[[str, int], None]


@dataclass
class FlowSpec:
    """What the engine needs to know about a flow (built from ``FlowConfig``)."""

    name: str
    entity: str
    erp: str
    crm: str
    direction: str = "both"
    conflict_policy: str = "manual"
    field_owners: dict[str, str] = field(default_factory=dict)
    match_keys: list[list[str]] = field(default_factory=list)
    deletes: str = "propagate"
    reconcile_every: timedelta | None = timedelta(days=1)
    """How often ids of a cursor system without delete tracking are compared with the links."""
    overlap_seconds: int = 120
    batch_size: int = 200
    page_size: int = 500

    @classmethod
    def from_config(cls, flow: Any) -> FlowSpec:
        return cls(
            name=flow.name,
            entity=flow.entity,
            erp=flow.erp,
            crm=flow.crm,
            direction=flow.direction,
            conflict_policy=flow.conflict_policy,
            field_owners=dict(flow.field_owners),
            match_keys=[list(rule) for rule in flow.match_keys],
            deletes=flow.deletes,
            reconcile_every=flow.reconcile_every,
            overlap_seconds=flow.overlap_seconds,
            batch_size=flow.batch_size,
            page_size=flow.page_size,
        )


@dataclass
class _Item:
    """One record's decided outcome, waiting in the write batch."""

    cid: str
    link: LinkRecord
    result: MergeResult
    sources: list[Change]
    requests: dict[str, WriteRequest] = field(default_factory=dict)
    resolution_ids: list[int] = field(default_factory=list)
    held: dict[str, dict[str, Any]] = field(default_factory=dict)
    snapshot: dict[str, Any] | None = None
    """The snapshot after the writes, from what the targets saved (None: the merge's snapshot)."""
    as_saved: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per side, fields it saved differently from the snapshot and the other side cannot take."""
    settle: dict[str, WriteRequest] = field(default_factory=dict)
    """Follow-up writes: values one target filled in or changed, for the other side to hold too."""
    settled_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    read_back: set[str] = field(default_factory=set)
    """Sides whose saved record was read back after this run's write."""


def _now() -> datetime:
    return datetime.now(UTC)


def _source(system: str, record_id: str, native: Any) -> dict[str, Any]:
    """A dead letter's source record, with the hash that tells a later run whether it changed."""
    digest = record_hash(native) if isinstance(native, dict) else None
    return {"system": system, "id": record_id, "hash": digest}


@dataclass
class _ReadState:
    """One side's read in this run: when it began, the mark it reached, whether ids were compared."""

    started: datetime
    high: Cursor | None = None
    reconciled: bool = False


def _resume_point(stored: CursorState | None, overlap_seconds: int) -> Cursor | None:
    """Where a cursor read resumes.

    A transaction that began before our last read may commit after it, with a change mark older than
    our cursor; we allow ``overlap_seconds`` for that. Such a record's mark is later than (last read's
    start - overlap), so the read goes back to that point, and no further: once the last read began
    more than the overlap after the cursor's mark, it resumes exactly at the mark and re-reads nothing.
    """
    if stored is None:
        return None
    if overlap_seconds:
        anchor = stored.read_at or stored.modified  # cursors saved before read times were kept
        window = anchor - timedelta(seconds=overlap_seconds)
        if window < stored.modified:
            return Cursor(window, "")
    return Cursor(stored.modified, stored.record_id)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class FlowRunner:
    """Runs one flow between two connectors against the state store.

    ``hook(step)`` is called at "after_read", "after_write", "before_commit" (inside the commit's
    transaction) and "after_commit": tests raise there to prove a crash at each step loses nothing.
    ``progress(event, n)`` reports records read and written for a progress display.
    """

    def __init__(
        self,
        spec: FlowSpec,
        store: Store,
        connectors: dict[str, Connector],
        mappings: dict[str, Mapping],
        *,
        retry: RetryPolicy | None = None,
        hook: Hook | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.spec = spec
        self.store = store
        self.retry = retry or RetryPolicy()
        self.hook = hook or (lambda step: None)
        self.progress = progress or (lambda event, n: None)
        self.model = entity_model(spec.entity)
        self.policy = MergePolicy(
            conflict_policy=spec.conflict_policy,  # type: ignore[arg-type]
            field_owners=dict(spec.field_owners),  # type: ignore[arg-type]
            direction=spec.direction,  # type: ignore[arg-type]
            deletes=spec.deletes,  # type: ignore[arg-type]
        )
        systems = {"erp": spec.erp, "crm": spec.crm}
        self.sides: dict[str, Side] = {}
        for role, system in systems.items():
            mapping = mappings[role]
            self.sides[role] = Side(
                role=role,  # type: ignore[arg-type]
                system=system,
                entity=spec.entity,
                connector=connectors[role],
                mapping=mapping,
                model=self.model,
                writable=spec.direction == "both" or spec.direction.endswith(f"to_{role}"),
                refs=ReferenceLookup(store, system),
                read_fields=frozenset(getattr(mapping, "canonical_fields", ()) or ()),
            )

    # ------------------------------------------------------------------ entry point

    def run(self, *, dry_run: bool = False, reconcile_deletes: bool = False) -> RunReport:
        spec = self.spec
        report = RunReport(
            flow=spec.name,
            entity=spec.entity,
            sides={role: SideCounts(system=side.system) for role, side in self.sides.items()},
            dry_run=dry_run,
        )
        self.report = report
        self.dry_run = dry_run
        self._pending: list[_Item] = []
        self._failed_keys: set[tuple[str, str]] = set()
        with self.store.lock_flow(spec.name):
            if not dry_run:
                report.run_id = self.store.start_run(spec.name, dry_run=False)
            try:
                self._run(reconcile_deletes=reconcile_deletes)
            except BaseException as exc:
                report.finish("failed", f"{type(exc).__name__}: {exc}")
                if report.run_id is not None:
                    self.store.finish_run(
                        report.run_id, status="failed", counts=report.counts(), error=report.error
                    )
                raise
            status = "partial" if report.dead_letters or report.deferred else "success"
            report.open_conflicts = self.store.count_conflicts(flow=spec.name)
            report.finish(status)
            if report.run_id is not None:
                self.store.finish_run(report.run_id, status=status, counts=report.counts())
        return report

    def _run(self, *, reconcile_deletes: bool) -> None:
        spec = self.spec
        first: Role = "crm" if spec.direction in ("both", "erp_to_crm") else "erp"
        second: Role = OTHER[first]
        self.resolutions = self._load_resolutions()
        # Most runs of a settled flow have no open conflict to supersede: skip that lookup per batch.
        self._conflicts_open = self.store.count_conflicts(flow=spec.name) > 0
        retries = self._load_retries()
        self._waiting = self._load_waiting()
        self._resumed: dict[int, tuple[str, str]] = {}

        # 1. the first side, completely; keep what changed
        spool = _Spool()
        reads: dict[str, _ReadState] = {}
        first_side = self.sides[first]
        other_system = self.sides[second].system
        for changes in self._changes(first_side, retries.get(first, []), reads, reconcile_deletes):
            for ch in changes:
                spool.add(ch, other_system, spec.match_keys, self._cid_for(ch))
        self.hook("after_read")

        # 2. stream the second side
        second_side = self.sides[second]
        for changes in self._changes(second_side, retries.get(second, []), reads, reconcile_deletes):
            for ch in changes:
                self._pair_and_merge(ch, first, spool)
            self._flush_if_full()

        # 3. what changed on the first side only
        for cid, ch in list(spool.linked.items()):
            del spool.linked[cid]
            self._decide(cid, ch.link, {first: ch}, ch.link)
            self._flush_if_full()
        for ch in list(spool.new.values()):
            if ch.link is not None:
                self._decide(ch.link.canonical_id, ch.link, {first: ch}, ch.link)
            else:
                self._decide(self._cid_for(ch), None, {first: ch}, None)
            self._flush_if_full()
        spool.new.clear()

        # 4. resolutions on records nobody touched this run
        self._apply_untouched_resolutions()
        self._flush()

        # 5. cursors, reconciliations and dead letters this run settled
        if not self.dry_run:
            with self.store.transaction() as tx:
                for role, read in reads.items():
                    system = self.sides[role].system
                    if read.high is not None:
                        self.store.set_cursor(
                            spec.name, system, read.high.modified, read.high.id, read_at=read.started, tx=tx
                        )
                    if read.reconciled:
                        self.store.set_reconciled(spec.name, system, read.started, tx=tx)
                done = [
                    dl_id
                    for role_retries in retries.values()
                    for dl_id, system, ext_id in role_retries
                    if (system, ext_id) not in self._failed_keys
                ]
                # records that waited on an open dead letter, changed, and went through this time
                done += [dl_id for dl_id, key in self._resumed.items() if key not in self._failed_keys]
                if done:
                    self.store.set_dead_letter_status(done, "resolved", tx=tx)
        self.hook("after_commit")

    # ------------------------------------------------------------------ reading

    def _changes(
        self,
        side: Side,
        retries: list[tuple[int, str, str]],
        reads: dict[str, _ReadState],
        reconcile_deletes: bool,
    ) -> Iterator[list[Change]]:
        """Pages of changes of one side: retried dead letters first, then the change stream."""
        spec = self.spec
        report = self.report
        read = reads[side.role] = _ReadState(started=side.connector.server_time() or _now())
        retried: set[str] = set()
        if retries:
            ids = [ext_id for _, _, ext_id in retries]
            records = self.retry.call(lambda: side.connector.read_by_ids(spec.entity, ids))
            retried.update(r.id for r in records)
            yield self._prepare(side, records)

        stored = self.store.get_cursor(spec.name, side.system) if side.tracks_changes else None
        since = _resume_point(stored, spec.overlap_seconds)
        high = Cursor(stored.modified, stored.record_id) if stored is not None else None
        reconcile = side.tracks_changes and (reconcile_deletes or self._reconcile_due(side, read.started))
        overlap_seen: set[str] = set()
        seen_all: set[str] | None = set() if (not side.tracks_changes or reconcile) else None
        for records in self._read_pages(side, since):
            report.sides[side.role].read += len(records)
            fresh: list[NativeRecord] = []
            for rec in records:
                if seen_all is not None:
                    seen_all.add(rec.id)
                if rec.id in retried:  # already taken this run, from its dead letter
                    continue
                # Records inside the overlap window may come twice across restarts of the read;
                # keep the first of each.
                if stored is not None and rec.modified is not None and rec.modified <= stored.modified:
                    if rec.id in overlap_seen:
                        continue
                    overlap_seen.add(rec.id)
                fresh.append(rec)
                if rec.modified is not None:
                    mark = Cursor(rec.modified, rec.id)
                    if high is None or mark > high:
                        high = mark
            self.progress(f"read {side.system}", len(records))
            yield self._prepare(side, fresh)
        if side.tracks_changes:
            read.high = high
            if not reconcile and side.connector.needs_id_reconciliation(spec.entity):
                # The change feed cannot report every deletion this time: compare ids instead.
                reconcile = True
        if reconcile:
            seen_all = set(self.retry.call(lambda: list(side.connector.list_ids(spec.entity))))
            read.reconciled = True
        if seen_all is not None:
            yield from self._vanished(side, seen_all)

    def _reconcile_due(self, side: Side, now: datetime) -> bool:
        """A cursor system that leaves no trace of deletions gets its ids compared on the flow's schedule."""
        every = self.spec.reconcile_every
        if every is None or side.connector.capabilities.delete_detection:
            return False
        last = self.store.reconciled_at(self.spec.name, side.system)
        return last is None or now - last >= every

    def _read_pages(self, side: Side, since: Cursor | None) -> Iterator[list[NativeRecord]]:
        """The connector's pages, restarted after the last good page when a transient error strikes."""
        attempts = 0
        resume = since
        done_ids: set[str] = set()
        pages: Iterator[Page] | None = None
        while True:
            try:
                # Only the connector's own work is retried (and timed as "read"), not ours.
                with self.report.timed("read"):
                    if pages is None:
                        pages = iter(
                            side.connector.read_changes(
                                self.spec.entity, resume, page_size=self.spec.page_size
                            )
                        )
                    page = next(pages, None)
            except TransientError as exc:
                attempts += 1
                if attempts >= self.retry.attempts:
                    raise
                time.sleep(self.retry.pause(attempts, exc))
                pages = None
                continue
            if page is None:
                return
            attempts = 0
            records = [r for r in page.records if r.id not in done_ids] if done_ids else page.records
            yield records
            if page.cursor is not None:
                resume = page.cursor
            elif not side.tracks_changes:
                done_ids.update(r.id for r in page.records)

    def _vanished(self, side: Side, seen: set[str]) -> Iterator[list[Change]]:
        """Links whose record no longer exists on a side: deletions detected by a complete scan."""
        batch: list[Change] = []
        for link in self.store.iter_links(self.spec.name):
            ext = link.external_ids.get(side.system)
            if ext is None or ext in seen or side.role in link.meta.get("deleted", ()):
                continue
            batch.append(Change(side, ext, None, None, deleted=True, link=link))
            if len(batch) >= self.spec.page_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _prepare(self, side: Side, records: list[NativeRecord]) -> list[Change]:
        if self._waiting and records:
            records = self._without_waiting(side, records)
        if not records:
            return []
        with self.report.timed("identify"):
            links = self.store.find_links(self.spec.name, side.system, [r.id for r in records])
            unlinked_refs = [r.ref for r in records if r.ref and r.id not in links]
            if unlinked_refs:
                by_ref = self.store.get_links(self.spec.name, unlinked_refs)
                for rec in records:
                    link = by_ref.get(rec.ref or "")
                    if (
                        link is not None
                        and rec.id not in links
                        and link.external_ids.get(side.system) in (None, rec.id)
                    ):
                        link.external_ids[side.system] = rec.id
                        links[rec.id] = link
        return side.prepare(records, links, self.report, self._reject)

    def _without_waiting(self, side: Side, records: list[NativeRecord]) -> list[NativeRecord]:
        """Leave out records that failed for good before and have not changed since: they wait for
        a change or ``synchub deadletters retry`` instead of failing again on every run."""
        kept = []
        for rec in records:
            waiting = self._waiting.get((side.system, rec.id))
            if waiting is not None:
                dl_id, digest = waiting
                if not rec.deleted and digest == record_hash(rec.data):
                    self.report.sides[side.role].waiting += 1
                    continue
                self._resumed[dl_id] = (side.system, rec.id)  # changed: try again, resolve if it passes
            kept.append(rec)
        return kept

    # ------------------------------------------------------------------ deciding

    def _cid_for(self, ch: Change) -> str:
        """The canonical id a new record gets: derived from where it came from, so a rerun after a
        crash gives the same id (and an upsert keyed by it finds what the crashed run created)."""
        # blake2b rather than uuid5: the same stability at a tenth of the cost, in UUID form.
        h = hashlib.blake2b(
            f"{self.spec.name}\x1f{ch.side.system}\x1f{ch.ext_id}".encode(), digest_size=16
        ).hexdigest()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _pair_and_merge(self, ch: Change, first: Role, spool: _Spool) -> None:
        """Find the counterpart of a second-side change, then merge the pair."""
        link = ch.link
        first_system = self.sides[first].system
        if link is not None:
            # The counterpart is the first side's change of the same link, if it changed.
            other = spool.linked.pop(link.canonical_id, None)
            first_ext = link.external_ids.get(first_system)
            if other is None and first_ext and first_ext in spool.new:
                other = spool.new.pop(first_ext)
            if other is not None or first_ext:
                if other is not None and other.link is not None:
                    link.external_ids.update(other.link.external_ids)
                pair = {ch.side.role: ch, **({first: other} if other is not None else {})}
                self._decide(link.canonical_id, link, pair, link)
                return
        if ch.record is None:
            return
        with self.report.timed("identify"):
            matches = spool.match(ch, self.spec.match_keys, self._cid_for(ch))
        if len(matches) > 1:
            self._duplicate(ch, matches)
            return
        if matches:
            other = spool.new.pop(matches[0])
            base_link = link or other.link
            erp_side = ch if ch.side.role == "erp" else other
            cid = base_link.canonical_id if base_link else self._cid_for(erp_side)
            merged_link = base_link or LinkRecord(self.spec.name, self.spec.entity, cid, {})
            merged_link.external_ids[ch.side.system] = ch.ext_id
            merged_link.external_ids[other.side.system] = other.ext_id
            self._decide(cid, merged_link, {ch.side.role: ch, first: other}, None)
            return
        if link is not None:
            self._decide(link.canonical_id, link, {ch.side.role: ch}, link)
        else:
            self._decide(self._cid_for(ch), None, {ch.side.role: ch}, None)

    def _duplicate(self, ch: Change, matches: list[str]) -> None:
        """Several candidates share the natural key: a person decides, SyncHub never guesses."""
        self.report.duplicates += 1
        cid = f"duplicate:{ch.side.system}:{ch.ext_id}"
        if self.dry_run:
            self.report.conflicts += not self.store.open_conflicts_for(self.spec.name, [cid])
            return
        _, opened = self.store.report_conflict(
            flow=self.spec.name,
            entity=self.spec.entity,
            canonical_id=cid,
            field="*",
            base=None,
            values={ch.side.role: ch.record, "candidates": matches},
            systems={role: side.system for role, side in self.sides.items()},
            changed_at={ch.side.role: _iso(ch.changed_at)},
            kind="duplicate",
            run_id=self.report.run_id,
        )
        self.report.conflicts += opened

    def _state(
        self, role: str, ch: Change | None, link: LinkRecord | None, base: dict[str, Any] | None
    ) -> SideState:
        if ch is not None:
            return SideState(record=ch.record, changed_at=ch.changed_at, deleted=ch.deleted)
        system = self.sides[role].system
        if link is not None and role in link.meta.get("deleted", ()):
            return SideState(record=None, changed_at=None, deleted=True)
        if link is not None and link.external_ids.get(system) and base is not None:
            # Not in this run's changes: the side still holds what we last synced, except the
            # fields held by an open conflict, where it keeps its own value.
            held = link.meta.get("held", {}).get(role)
            return SideState(record={**base, **held} if held else base, changed_at=link.synced_at)
        return SideState(record=None, changed_at=None)

    def _decide(
        self,
        cid: str,
        link: LinkRecord | None,
        changes: dict[str, Change],
        base_link: LinkRecord | None,
    ) -> None:
        base = base_link.snapshot if base_link is not None else None
        link = link or LinkRecord(self.spec.name, self.spec.entity, cid, {})
        for ch in changes.values():
            link.external_ids.setdefault(ch.side.system, ch.ext_id)
            if ch.record is not None and base is None:
                # Fill what one side does not hold from the other side's record (no snapshot yet).
                others = [o.record for o in changes.values() if o is not ch and o.record is not None]
                if others:
                    ch.record, ch.hash = self._refill(ch, others[0]), None
        states = {role: self._state(role, changes.get(role), link, base) for role in ("erp", "crm")}
        resolutions = self.resolutions.pop(cid, None)
        with self.report.timed("merge"):
            result = merge(
                base, states["erp"], states["crm"], self.policy, resolutions[0] if resolutions else {}
            )
        item = _Item(
            cid, link, result, list(changes.values()), resolution_ids=resolutions[1] if resolutions else []
        )
        item.held = self._held_values(result, states)
        self._queue(item)

    @staticmethod
    def _held_values(result: MergeResult, states: dict[str, SideState]) -> dict[str, dict[str, Any]]:
        """Each side's own value of the top-level fields an open conflict holds (kept in the link)."""
        tops = {c.field.split("[")[0].split(".")[0] for c in result.conflicts if c.kind == "field"}
        # A delete-against-update conflict holds the whole record of the side that still has it.
        whole = any(c.kind == "delete" for c in result.conflicts)
        held: dict[str, dict[str, Any]] = {}
        for role, state in states.items():
            if state.record is not None and (tops or whole):
                held[role] = dict(state.record) if whole else {top: state.record.get(top) for top in tops}
        return held

    def _refill(self, ch: Change, other: dict[str, Any]) -> dict[str, Any]:
        assert ch.record is not None
        if not ch.side.read_fields:
            return ch.record
        mine = {k: v for k, v in ch.record.items() if k in ch.side.read_fields}
        return {**other, **mine}

    # ------------------------------------------------------------------ writing

    def _queue(self, item: _Item) -> None:
        result = item.result
        for role in ("erp", "crm"):
            action = getattr(result, f"{role}_action")
            if action == "none":
                continue
            side = self.sides[role]
            if not side.writable:
                continue
            ext_id = item.link.external_ids.get(side.system)
            try:
                request = self._request(side, action, item, ext_id)
            except UnresolvedReference as exc:
                self._defer_item(item, str(exc), exc.field)
                return
            except MappingError as exc:
                for src in item.sources:
                    self._reject(Rejection(src.side, src.ext_id, "map", str(exc), exc.field, src.record))
                return
            if request is not None:
                item.requests[role] = request
        self._pending.append(item)

    def _request(self, side: Side, action: str, item: _Item, ext_id: str | None) -> WriteRequest | None:
        merged = item.result.merged
        if action == "delete":
            return WriteRequest("delete", item.cid, {}, ext_id) if ext_id else None
        assert merged is not None
        if action == "create" or ext_id is None:
            data = side.mapping.to_native(merged, side.refs)
            return WriteRequest("create", item.cid, data, None)
        patch = getattr(item.result, f"{side.role}_patch")
        data = side.mapping.to_native(merged, side.refs, fields=set(patch))
        if not data:
            return None
        return WriteRequest("update", item.cid, data, ext_id)

    def _defer_item(self, item: _Item, reason: str, field_name: str | None) -> None:
        for src in item.sources:
            self._reject(
                Rejection(src.side, src.ext_id, "reference", reason, field_name, src.record, deferred=True)
            )

    def _flush_if_full(self) -> None:
        if len(self._pending) >= self.spec.batch_size:
            self._flush()

    def _flush(self) -> None:
        items, self._pending = self._pending, []
        if not items:
            return
        report = self.report
        if self.dry_run:
            held = any(i.result.conflicts for i in items)
            already = self.store.open_conflicts_for(self.spec.name, [i.cid for i in items]) if held else {}
            for item in items:
                known = {c.field for c in already.get(item.cid, ())}
                report.conflicts += sum(c.field not in known for c in item.result.conflicts)
                for role, req in item.requests.items():
                    side = self.sides[role]
                    report.plan.append(
                        PlannedWrite(role, side.system, req.op, item.cid, req.id, sorted(req.data))
                    )
                    self._count_write(role, req.op)
            return
        with report.timed("write"):
            results = self._write_all(items, lambda item: item.requests)
        self.hook("after_write")
        with report.timed("settle"):
            settled = self._settle(items, results)
        with report.timed("commit"):
            self._commit(items, results, settled)
        self.progress("written", len(items))

    def _write_all(
        self, items: list[_Item], requests_of: Callable[[_Item], dict[str, WriteRequest]]
    ) -> dict[tuple[str, str], WriteResult]:
        results: dict[tuple[str, str], WriteResult] = {}
        for role in ("erp", "crm"):
            reqs = [requests_of(item)[role] for item in items if role in requests_of(item)]
            if reqs:
                for res in self._write(self.sides[role], reqs):
                    results[(role, res.ref)] = res
        return results

    # ------------------------------------------------------------------ settling

    def _settle(
        self, items: list[_Item], results: dict[tuple[str, str], WriteResult]
    ) -> dict[tuple[str, str], WriteResult]:
        """Make each link's snapshot what the targets saved, not what we sent.

        A target may fill in what we left empty (Tryton: the company currency), assign values (order
        numbers, states after its own workflow) or render a value its way. Such a value goes to the
        other side in a follow-up write when it can take it; when it cannot, the link remembers it as
        that side's rendering (``meta.as_saved``), so the next run does not take it for a change.
        """
        saved = self._read_back(items, lambda item: item.requests, results)
        for item in items:
            self._plan_settle(item, results, saved)
        if not any(item.settle for item in items):
            return {}
        settled = self._write_all(items, lambda item: item.settle)
        saved_again = self._read_back(items, lambda item: item.settle, settled)
        for item in items:
            self._check_settled(item, settled, saved_again)
        return settled

    def _read_back(
        self,
        items: list[_Item],
        requests_of: Callable[[_Item], dict[str, WriteRequest]],
        results: dict[tuple[str, str], WriteResult],
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """(role, canonical id) -> the record as the side saved it, canonical, for written records."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for role, side in self.sides.items():
            targets: dict[str, _Item] = {}
            natives: dict[str, NativeRecord] = {}
            for item in items:
                req = requests_of(item).get(role)
                res = results.get((role, req.ref)) if req is not None else None
                if req is None or res is None or not res.ok or req.op == "delete" or not (res.id or req.id):
                    continue
                ext = str(res.id or req.id)
                targets[ext] = item
                if res.record is not None:
                    natives[ext] = res.record
            missing = [ext for ext in targets if ext not in natives]
            if missing:
                try:
                    records = self.retry.call(
                        lambda side=side, missing=missing: side.connector.read_by_ids(
                            self.spec.entity, missing
                        )
                    )
                except ConnectorError as exc:
                    # the snapshot stays what we sent; the next run sees any difference as a change
                    log.warning("could not read back %d %s records from %s: %s",
                                len(missing), self.spec.entity, side.system, exc)  # fmt: skip
                    records = []
                natives.update((rec.id, rec) for rec in records)
            for ext, rec in natives.items():
                item = targets.get(ext)
                if item is not None and item.result.merged is not None:
                    canon = side.canonical(rec, item.result.merged)
                    if canon is not None:
                        out[(role, item.cid)] = canon
        return out

    def _plan_settle(
        self, item: _Item, results: dict[tuple[str, str], WriteResult], saved: dict[tuple[str, str], dict]
    ) -> None:
        merged = item.result.merged
        if merged is None:
            return
        held = {top for values in item.held.values() for top in values}
        differences: dict[str, dict[str, Any]] = {}
        for role in ("erp", "crm"):
            record = saved.get((role, item.cid))
            if record is None:
                continue
            item.read_back.add(role)
            names = self.sides[role].read_fields or frozenset(record)
            differences[role] = {
                name: record.get(name)
                for name in names
                if name not in held and not values_equal(name, record.get(name), merged.get(name))
            }
        snapshot = dict(item.result.snapshot if item.result.snapshot is not None else merged)
        for role, changed in differences.items():
            other_role = OTHER[role]
            other = self.sides[other_role]
            settle: dict[str, Any] = {}
            for name, value in changed.items():
                if name in differences.get(other_role, {}):
                    # both targets saved it their own way: each keeps its rendering
                    item.as_saved.setdefault(role, {})[name] = value
                elif other.read_fields and name not in other.read_fields:
                    snapshot[name] = value  # the other side never holds this field
                elif self._can_take(item, other_role, name, results):
                    settle[name] = value
                    snapshot[name] = value
                else:
                    item.as_saved.setdefault(role, {})[name] = value
            if settle:
                request = self._settle_request(item, other_role, {**merged, **settle}, settle, results)
                if request is None:
                    for name, value in settle.items():
                        item.as_saved.setdefault(role, {})[name] = value
                        snapshot[name] = merged.get(name)
                else:
                    item.settle[other_role] = request
                    item.settled_values[other_role] = settle
        item.snapshot = snapshot

    def _can_take(
        self, item: _Item, role: str, name: str, results: dict[tuple[str, str], WriteResult]
    ) -> bool:
        """Whether side ``role`` can be written ``name`` in a follow-up write of this item."""
        side = self.sides[role]
        if not side.writable or name not in side.writes or self._ext_id(item, role, results) is None:
            return False
        gone = role in item.link.meta.get("deleted", ()) or any(
            ch.deleted for ch in item.sources if ch.side.role == role
        )
        req = item.requests.get(role)
        failed = req is not None and not results[(role, req.ref)].ok
        return not gone and not failed and (req is None or req.op != "delete")

    def _ext_id(self, item: _Item, role: str, results: dict[tuple[str, str], WriteResult]) -> str | None:
        system = self.sides[role].system
        req = item.requests.get(role)
        if req is not None and req.op == "create":
            res = results.get((role, req.ref))
            return res.id if res is not None and res.ok else None
        return item.link.external_ids.get(system)

    def _settle_request(
        self,
        item: _Item,
        role: str,
        record: dict[str, Any],
        values: dict[str, Any],
        results: dict[tuple[str, str], WriteResult],
    ) -> WriteRequest | None:
        side = self.sides[role]
        try:
            data = side.mapping.to_native(record, side.refs, fields=set(values))
        except MappingError as exc:
            log.warning("%s %s %s: cannot write back %s: %s", side.system, self.spec.entity, item.cid,
                        sorted(values), exc)  # fmt: skip
            return None
        return WriteRequest("update", item.cid, data, self._ext_id(item, role, results)) if data else None

    def _check_settled(
        self, item: _Item, settled: dict[tuple[str, str], WriteResult], saved: dict[tuple[str, str], dict]
    ) -> None:
        """After the follow-up writes: what failed stays each side's own; what was saved differently
        again is that side's rendering."""
        assert item.snapshot is not None
        merged = item.result.merged or {}
        for role, req in item.settle.items():
            values = item.settled_values[role]
            origin = OTHER[role]
            if not settled[(role, req.ref)].ok:
                for name, value in values.items():
                    item.as_saved.setdefault(origin, {})[name] = value
                    item.snapshot[name] = merged.get(name)
                continue
            record = saved.get((role, item.cid))
            for name, value in values.items():
                if record is not None and not values_equal(name, record.get(name), value):
                    item.as_saved.setdefault(role, {})[name] = record.get(name)

    def _write(self, side: Side, requests: list[WriteRequest]) -> list[WriteResult]:
        out: list[WriteResult] = []
        size = max(1, side.connector.capabilities.max_batch_size)
        for start in range(0, len(requests), size):
            chunk = requests[start : start + size]
            try:
                got = self.retry.call(lambda chunk=chunk: side.connector.write_batch(self.spec.entity, chunk))
            except TransientError as exc:
                got = [
                    WriteResult(r.ref, False, r.id, f"{side.system} unavailable: {exc}", transient=True)
                    for r in chunk
                ]
            except PermanentError as exc:
                got = [
                    WriteResult(r.ref, False, r.id, f"{side.system} refused the batch: {exc}") for r in chunk
                ]
            if len(got) != len(chunk):
                raise PermanentError(
                    f"connector {side.connector.name!r} returned {len(got)} results for {len(chunk)} writes"
                )
            out.extend(got)
        return out

    def _commit(
        self,
        items: list[_Item],
        results: dict[tuple[str, str], WriteResult],
        settled: dict[tuple[str, str], WriteResult],
    ) -> None:
        now = _now()
        spec = self.spec
        links: list[LinkRecord] = []
        audit: list[AuditEntry] = []
        applied: list[int] = []
        superseded: list[int] = []
        self._conflicts_open |= any(item.result.conflicts for item in items)
        open_now = (
            self.store.open_conflicts_for(spec.name, [i.cid for i in items]) if self._conflicts_open else {}
        )
        with self.store.transaction() as tx:
            for item in items:
                link = item.link
                all_ok = True
                # Which sides no longer hold the record: what we saw deleted, then what we wrote.
                deleted = set(link.meta.get("deleted", ()))
                for ch in item.sources:
                    if ch.deleted:
                        deleted.add(ch.side.role)
                    elif ch.record is not None:
                        deleted.discard(ch.side.role)
                for role, req in item.requests.items():
                    side = self.sides[role]
                    res = results[(role, req.ref)]
                    if res.ok:
                        self._count_write(role, req.op)
                        if req.op == "create" and res.id:
                            link.external_ids[side.system] = res.id
                        if req.op == "delete":
                            deleted.add(role)
                        elif req.op == "create":
                            deleted.discard(role)
                        written = self._written(side, req, item, getattr(item.result, f"{role}_patch"))
                        audit.append(self._audit(link, side, req, res, written, now))
                    else:
                        all_ok = False
                        self.report.sides[role].failed += 1
                        self._write_failed(item, side, req, res, tx)
                for role, req in item.settle.items():
                    side = self.sides[role]
                    res = settled[(role, req.ref)]
                    if res.ok:
                        self._count_write(role, req.op)
                        written = self._written(side, req, item, item.settled_values[role])
                        audit.append(self._audit(link, side, req, res, written, now))
                    else:  # the main write stands; this side keeps its own value (meta.as_saved)
                        self.report.sides[role].failed += 1
                        self._write_failed(item, side, req, res, tx)
                if all_ok:
                    snapshot = item.snapshot if item.snapshot is not None else item.result.snapshot
                    meta = {k: v for k, v in link.meta.items() if k not in ("held", "deleted", "as_saved")}
                    if deleted:
                        meta["deleted"] = sorted(deleted)
                    if item.held:
                        meta["held"] = item.held
                    as_saved = self._as_saved(item)
                    if as_saved:
                        meta["as_saved"] = as_saved
                    links.append(
                        replace(
                            link,
                            snapshot=snapshot,
                            hash=self._snapshot_hash(snapshot, item.sources),
                            synced_at=now,
                            meta=meta,
                        )
                    )
                    applied.extend(item.resolution_ids)
                    held = {c.field for c in item.result.conflicts}
                    superseded.extend(
                        c.id
                        for c in open_now.get(item.cid, [])
                        if c.field not in held and c.id not in item.resolution_ids
                    )
                else:
                    links.append(replace(link, meta={**link.meta, "deleted": sorted(deleted)}))
                self._open_conflicts(item, tx)
            if links:
                self.store.save_links(links, tx=tx)
            if audit:
                self.store.record_audit(audit, tx=tx)
            if applied:
                self.store.mark_conflicts(applied, "applied", run_id=self.report.run_id, tx=tx)
                self.report.resolutions_applied += len(applied)
            if superseded:
                self.store.mark_conflicts(superseded, "superseded", run_id=self.report.run_id, tx=tx)
            self.hook("before_commit")

    @staticmethod
    def _snapshot_hash(snapshot: dict[str, Any] | None, sources: list[Change]) -> str | None:
        """The snapshot's hash; usually it is a source record as read, whose hash we already have."""
        if snapshot is None:
            return None
        for src in sources:
            if src.hash is not None and src.record == snapshot:
                return src.hash
        return record_hash(snapshot)

    @staticmethod
    def _written(side: Side, req: WriteRequest, item: _Item, patch: dict[str, Any]) -> dict[str, Any] | None:
        """The canonical fields a write sent: what the side's mapping writes of the patch (a field the
        mapping only reads, like the lines of a CRM's accepted quote, was not written)."""
        if req.op == "delete":
            return None
        source = item.result.merged or {} if req.op == "create" else patch
        writes = side.writes
        return {name: value for name, value in source.items() if not writes or name in writes}

    def _audit(
        self,
        link: LinkRecord,
        side: Side,
        req: WriteRequest,
        res: WriteResult,
        written: dict[str, Any] | None,
        at: datetime,
    ) -> AuditEntry:
        before: dict[str, Any] | None = None
        if link.snapshot is not None and req.op != "create":
            before = dict(link.snapshot) if written is None else {f: link.snapshot.get(f) for f in written}
        return AuditEntry(
            run_id=self.report.run_id,
            flow=self.spec.name,
            system=side.system,
            entity=self.spec.entity,
            external_id=res.id or req.id,
            op=req.op,
            before=before,
            after=written,
            at=at,
        )

    @staticmethod
    def _as_saved(item: _Item) -> dict[str, dict[str, Any]]:
        """Each side's own rendering of fields it cannot have the same as the other (see _settle)."""
        previous = item.link.meta.get("as_saved", {})
        out: dict[str, dict[str, Any]] = {}
        for role in ("erp", "crm"):
            kept = dict(previous.get(role, {}))
            source = next((ch for ch in item.sources if ch.side.role == role), None)
            if role in item.read_back or (source is not None and source.deleted):
                kept = {}
            elif source is not None:  # read this run: what it still holds as saved stays
                kept = {name: value for name, value in kept.items() if name in source.echoed}
            for name in item.settled_values.get(role, {}):
                kept.pop(name, None)
            kept.update(item.as_saved.get(role, {}))
            if kept:
                out[role] = kept
        return out

    def _write_failed(self, item: _Item, side: Side, req: WriteRequest, res: WriteResult, tx: Any) -> None:
        """A record the target refused: dead letter it, with what to re-read to try again."""
        src = item.sources[0] if item.sources else None
        self._failed_keys.update((s.side.system, s.ext_id) for s in item.sources)
        self.report.dead_letters += 1
        reason = f"{side.system} refused {req.op} of {self.spec.entity} {req.id or item.cid}: {res.error}"
        dl_id = self.store.add_dead_letter(
            flow=self.spec.name,
            entity=self.spec.entity,
            system=side.system,
            external_id=req.id or f"canonical:{item.cid}",
            stage="write",
            reason=reason,
            field=res.field,
            payload={
                "native": req.data,
                "canonical_id": item.cid,
                "retry": {"role": src.side.role, "system": src.side.system, "id": src.ext_id}
                if src
                else None,
                "sources": [_source(s.side.system, s.ext_id, s.native) for s in item.sources],
            },
            run_id=self.report.run_id,
            tx=tx,
        )
        if res.transient:
            # Worth another try on its own: the next run re-reads the source record.
            self.store.set_dead_letter_status([dl_id], "retrying", tx=tx)

    def _open_conflicts(self, item: _Item, tx: Any) -> None:
        for c in item.result.conflicts:
            _, opened = self.store.report_conflict(
                flow=self.spec.name,
                entity=self.spec.entity,
                canonical_id=item.cid,
                field=c.field,
                base=c.base,
                values={"erp": c.erp, "crm": c.crm},
                systems={role: side.system for role, side in self.sides.items()},
                changed_at={"erp": _iso(c.erp_changed_at), "crm": _iso(c.crm_changed_at)},
                kind=c.kind,
                run_id=self.report.run_id,
                tx=tx,
            )
            self.report.conflicts += opened

    def _count_write(self, role: str, op: str) -> None:
        counts = self.report.sides[role]
        if op == "create":
            counts.created += 1
        elif op == "update":
            counts.updated += 1
        else:
            counts.deleted += 1

    # ------------------------------------------------------------------ dead letters, resolutions

    def _reject(self, rej: Rejection) -> None:
        self._failed_keys.add((rej.side.system, rej.ext_id))
        if rej.deferred:
            self.report.deferred += 1
        else:
            self.report.dead_letters += 1
            self.report.sides[rej.side.role].failed += 1
        if self.dry_run:
            return
        dl_id = self.store.add_dead_letter(
            flow=self.spec.name,
            entity=self.spec.entity,
            system=rej.side.system,
            external_id=rej.ext_id,
            stage=rej.stage,
            reason=rej.reason,
            field=rej.field,
            payload={
                "native": rej.payload,
                "retry": {"role": rej.side.role, "system": rej.side.system, "id": rej.ext_id},
                "sources": [_source(rej.side.system, rej.ext_id, rej.payload)],
            },
            run_id=self.report.run_id,
        )
        if rej.deferred:
            # Deferred records wait for their reference; every run re-reads them until it is linked.
            self.store.set_dead_letter_status([dl_id], "retrying")

    def _load_waiting(self) -> dict[tuple[str, str], tuple[int, str]]:
        """(system, record id) -> (dead letter id, hash of the native record when it failed), for the
        source records of this flow's open dead letters."""
        systems = {side.system for side in self.sides.values()}
        out: dict[tuple[str, str], tuple[int, str]] = {}
        for dl in self.store.list_dead_letters(status="open", flow=self.spec.name, limit=100_000):
            payload = dl.payload if isinstance(dl.payload, dict) else {}
            for src in payload.get("sources") or ():
                if src.get("system") in systems and src.get("hash"):
                    out[(src["system"], str(src["id"]))] = (dl.id, src["hash"])
        return out

    def _load_retries(self) -> dict[str, list[tuple[int, str, str]]]:
        """Dead letters marked for retry, grouped by the role whose record must be re-read."""
        out: dict[str, list[tuple[int, str, str]]] = {}
        by_system = {side.system: role for role, side in self.sides.items()}
        for dl in self.store.list_dead_letters(status="retrying", flow=self.spec.name, limit=100_000):
            retry = (dl.payload or {}).get("retry") if isinstance(dl.payload, dict) else None
            if not retry or retry.get("system") not in by_system:
                continue
            role = by_system[retry["system"]]
            out.setdefault(role, []).append((dl.id, retry["system"], str(retry["id"])))
        return out

    def _load_resolutions(self) -> dict[str, tuple[dict[str, Any], list[int]]]:
        out: dict[str, tuple[dict[str, Any], list[int]]] = {}
        for c in self.store.pending_resolutions(self.spec.name):
            values, ids = out.setdefault(c.canonical_id, ({}, []))
            values[c.field] = c.resolved_value
            ids.append(c.id)
        return out

    def _apply_untouched_resolutions(self) -> None:
        """Resolved conflicts on records that did not change this run: read both sides and apply."""
        if not self.resolutions:
            return
        links = self.store.get_links(self.spec.name, list(self.resolutions))
        for cid in list(self.resolutions):
            link = links.get(cid)
            if link is None:
                continue
            changes: dict[str, Change] = {}
            for role, side in self.sides.items():
                ext = link.external_ids.get(side.system)
                if not ext:
                    continue
                recs = self.retry.call(
                    lambda side=side, ext=ext: side.connector.read_by_ids(self.spec.entity, [ext])
                )
                prepared = side.prepare(recs, {ext: link}, self.report, self._reject)
                if prepared:
                    changes[role] = prepared[0]
            self._decide(cid, link, changes, link)
            self._flush_if_full()


class _Spool:
    """The first side's changes, held while the second side streams past.

    Linked changes wait for their counterpart by canonical id; unlinked ones can be claimed by a
    second-side record with the same natural key, or through the SyncHub id a system stored.
    """

    def __init__(self) -> None:
        self.linked: dict[str, Change] = {}
        self.new: dict[str, Change] = {}
        self._keys = KeyIndex()
        self._by_cid: dict[str, str] = {}
        self._by_ref: dict[str, str] = {}

    def add(self, ch: Change, other_system: str, match_keys: list[list[str]], cid: str) -> None:
        if ch.link is not None and ch.link.external_ids.get(other_system):
            self.linked[ch.link.canonical_id] = ch
            return
        self.new[ch.ext_id] = ch
        self._by_cid[cid] = ch.ext_id
        if ch.ref:
            self._by_ref[ch.ref] = ch.ext_id
        if ch.record is not None:
            self._keys.add(ch.ext_id, natural_keys(ch.record, match_keys))

    def match(self, ch: Change, match_keys: list[list[str]], cid: str) -> list[str]:
        """External ids of unlinked first-side records that are the same record as ``ch``."""
        # A record we created carries the id it was created under: an exact match.
        for key in (self._by_cid.get(ch.ref or ""), self._by_ref.get(cid)):
            if key is not None and key in self.new:
                return [key]
        assert ch.record is not None
        return [k for k in self._keys.match(natural_keys(ch.record, match_keys)) if k in self.new]

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
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import (
    Connector,
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
from sync_engine.merge import MergePolicy, MergeResult, SideState, merge
from sync_engine.model import entity_model
from sync_engine.report import PlannedWrite, RunReport, SideCounts
from sync_engine.retrying import RetryPolicy
from sync_engine.sides import OTHER, Change, ReferenceLookup, Rejection, Role, Side
from sync_engine.store import AuditEntry, LinkRecord, Store

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


def _now() -> datetime:
    return datetime.now(UTC)


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

        # 1. the first side, completely; keep what changed
        spool = _Spool()
        cursors: dict[str, Cursor | None] = {}
        first_side = self.sides[first]
        other_system = self.sides[second].system
        for changes in self._changes(first_side, retries.get(first, []), cursors, reconcile_deletes):
            for ch in changes:
                spool.add(ch, other_system, spec.match_keys, self._cid_for(ch))
        self.hook("after_read")

        # 2. stream the second side
        second_side = self.sides[second]
        for changes in self._changes(second_side, retries.get(second, []), cursors, reconcile_deletes):
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

        # 5. cursors and retried dead letters
        if not self.dry_run:
            with self.store.transaction() as tx:
                for role, cursor in cursors.items():
                    if cursor is not None:
                        self.store.set_cursor(
                            spec.name, self.sides[role].system, cursor.modified, cursor.id, tx=tx
                        )
                done = [
                    dl_id
                    for role_retries in retries.values()
                    for dl_id, system, ext_id in role_retries
                    if (system, ext_id) not in self._failed_keys
                ]
                if done:
                    self.store.set_dead_letter_status(done, "resolved", tx=tx)
        self.hook("after_commit")

    # ------------------------------------------------------------------ reading

    def _changes(
        self,
        side: Side,
        retries: list[tuple[int, str, str]],
        cursors: dict[str, Cursor | None],
        reconcile_deletes: bool,
    ) -> Iterator[list[Change]]:
        """Pages of changes of one side: retried dead letters first, then the change stream."""
        spec = self.spec
        report = self.report
        retried: set[str] = set()
        if retries:
            ids = [ext_id for _, _, ext_id in retries]
            records = self.retry.call(lambda: side.connector.read_by_ids(spec.entity, ids))
            retried.update(r.id for r in records)
            yield self._prepare(side, records)

        stored = self.store.get_cursor(spec.name, side.system) if side.tracks_changes else None
        since: Cursor | None = None
        if stored is not None:
            # Re-read an overlap window before the cursor: a transaction that started earlier may
            # commit after our last read with an older timestamp. Without a window, resume at the
            # exact (modified, id) mark.
            if spec.overlap_seconds:
                since = Cursor(stored.modified - timedelta(seconds=spec.overlap_seconds), "")
            else:
                since = Cursor(stored.modified, stored.record_id)
        high = Cursor(stored.modified, stored.record_id) if stored is not None else None
        overlap_seen: set[str] = set()
        seen_all: set[str] | None = set() if (not side.tracks_changes or reconcile_deletes) else None
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
            cursors[side.role] = high
            if seen_all is None and side.connector.needs_id_reconciliation(spec.entity):
                # The change feed cannot report every deletion this time: compare ids instead.
                seen_all, reconcile_deletes = set(), True
        if seen_all is not None:
            if reconcile_deletes and side.tracks_changes:
                seen_all = set(self.retry.call(lambda: list(side.connector.list_ids(spec.entity))))
            yield from self._vanished(side, seen_all)

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
        results: dict[tuple[str, str], WriteResult] = {}
        with report.timed("write"):
            for role in ("erp", "crm"):
                reqs = [item.requests[role] for item in items if role in item.requests]
                if reqs:
                    for res in self._write(self.sides[role], reqs):
                        results[(role, res.ref)] = res
        self.hook("after_write")
        with report.timed("commit"):
            self._commit(items, results)
        self.progress("written", len(items))

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

    def _commit(self, items: list[_Item], results: dict[tuple[str, str], WriteResult]) -> None:
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
                        audit.append(
                            AuditEntry(
                                run_id=self.report.run_id,
                                flow=spec.name,
                                system=side.system,
                                entity=spec.entity,
                                external_id=res.id or req.id,
                                op=req.op,
                                before=self._before(link, req, item.result, role),
                                after=self._after(req, item.result, role),
                                at=now,
                            )
                        )
                    else:
                        all_ok = False
                        self.report.sides[role].failed += 1
                        self._write_failed(item, side, req, res, tx)
                if all_ok:
                    snapshot = item.result.snapshot
                    meta = {k: v for k, v in link.meta.items() if k not in ("held", "deleted")}
                    if deleted:
                        meta["deleted"] = sorted(deleted)
                    else:
                        meta.pop("deleted", None)
                    if item.held:
                        meta["held"] = item.held
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
    def _before(link: LinkRecord, req: WriteRequest, result: MergeResult, role: str) -> dict[str, Any] | None:
        """The fields as they were before the write (canonical form)."""
        if link.snapshot is None or req.op == "create":
            return None
        if req.op == "delete":
            return dict(link.snapshot)
        return {f: link.snapshot.get(f) for f in getattr(result, f"{role}_patch")}

    @staticmethod
    def _after(req: WriteRequest, result: MergeResult, role: str) -> dict[str, Any] | None:
        """The fields as written (canonical form)."""
        if req.op == "delete":
            return None
        if req.op == "create":
            return dict(result.merged or {})
        return dict(getattr(result, f"{role}_patch"))

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
            },
            run_id=self.report.run_id,
        )
        if rej.deferred:
            # Deferred records wait for their reference; every run re-reads them until it is linked.
            self.store.set_dead_letter_status([dl_id], "retrying")

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

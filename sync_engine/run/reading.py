"""Reading one side: its changes since the cursor, as prepared :class:`Change` pages.

Retried dead letters are read by id first, then the change stream: from the cursor, re-reading an
overlap window where a late commit may hide; connectors without change tracking give a full
snapshot. Records that failed for good earlier and have not changed wait. Deletions the side leaves
no trace of are found by comparing ids with the links, on the flow's schedule.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.base import Cursor, NativeRecord, Page, TransientError
from sync_engine.identity import record_hash
from sync_engine.run import dead_letters
from sync_engine.run.context import RunContext, RunLedger, now
from sync_engine.run.sides import Change, Side
from sync_engine.store import CursorState

log = logging.getLogger("synchub.run")

__all__ = ["ReadState", "read_side", "resume_point"]


@dataclass
class ReadState:
    """One side's read in this run: when it began, the mark it reached, whether ids were compared."""

    started: datetime
    high: Cursor | None = None
    reconciled: bool = False


def resume_point(stored: CursorState | None, overlap_seconds: int) -> Cursor | None:
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


def read_side(
    ctx: RunContext,
    ledger: RunLedger,
    side: Side,
    retries: list[tuple[int, str, str]],
    state: ReadState,
    *,
    reconcile_deletes: bool,
) -> Iterator[list[Change]]:
    """Pages of changes of one side: retried dead letters first, then the change stream.

    ``state`` receives the cursor reached and whether ids were reconciled (committed by the runner).
    """
    flow, report = ctx.flow, ctx.report
    saves_before = ledger.links_saved
    reconcile = side.tracks_changes and (reconcile_deletes or _reconcile_due(ctx, side, state.started))
    # Nothing linked when the read begins: no record can have vanished since it was linked (links made
    # during this run are of records read or written in it), so no ids are compared.
    linked = ctx.store.count_links(flow.name) > 0 if reconcile or not side.tracks_changes else True
    # a snapshot's ids that were linked when their page was looked up (see _nothing_vanished)
    linked_seen: set[str] | None = set() if linked and not side.tracks_changes else None
    retried: set[str] = set()
    if retries:
        ids = [ext_id for _, _, ext_id in retries]
        records = ctx.retry.call(lambda: side.connector.read_by_ids(flow.entity, ids))
        retried.update(r.id for r in records)
        yield prepare(ctx, ledger, side, records, linked_seen)

    stored = ctx.store.get_cursor(flow.name, side.system) if side.tracks_changes else None
    since = resume_point(stored, flow.overlap_seconds)
    high = Cursor(stored.modified, stored.record_id) if stored is not None else None
    overlap_seen: set[str] = set()
    seen_all: set[str] = set()  # a snapshot's ids (a cursor side's come from list_ids if compared)
    for records in _pages(ctx, side, since, seen_all):
        report.sides[side.role].read += len(records)
        if not side.tracks_changes:  # a full snapshot: no cursor, no overlap to weed out
            seen_all.update(rec.id for rec in records)
            snapshot = [rec for rec in records if rec.id not in retried] if retried else records
            ctx.progress(f"read {side.system}", len(records))
            yield prepare(ctx, ledger, side, snapshot, linked_seen)
            continue
        fresh: list[NativeRecord] = []
        for rec in records:
            if rec.id in retried:  # already taken this run, from its dead letter
                continue
            # Records inside the overlap window may come twice across restarts of the read;
            # keep the first of each.
            if stored is not None and rec.modified is not None and rec.modified <= stored.modified:
                if rec.id in overlap_seen:
                    continue
                overlap_seen.add(rec.id)
            fresh.append(rec)
        marks = [(rec.modified, rec.id) for rec in fresh if rec.modified is not None]
        if marks:  # the page's highest mark (pages come in order; the engine does not rely on it)
            top = max(marks)
            if high is None or top > (high.modified, high.id):
                high = Cursor(*top)
        ctx.progress(f"read {side.system}", len(records))
        log.debug("flow %s: page of %d records from %s", flow.name, len(records), side.system)
        yield prepare(ctx, ledger, side, fresh)
    if side.tracks_changes:
        state.high = high
        if not reconcile and side.connector.needs_id_reconciliation(flow.entity):
            # The change feed cannot report every deletion this time: compare ids instead.
            reconcile = True
            linked = ctx.store.count_links(flow.name) > 0
    log.info("flow %s: read %d records from %s (%s)", flow.name, report.sides[side.role].read, side.system,
             f"since {since.modified.isoformat()}" if since else "all")  # fmt: skip
    if reconcile:
        state.reconciled = True
        if linked:
            seen_all = set(ctx.retry.call(lambda: list(side.connector.list_ids(flow.entity))))
            log.info("flow %s: compared %d ids of %s with the links to find deletions", flow.name,
                     len(seen_all), side.system)  # fmt: skip
    if not linked or not (reconcile or not side.tracks_changes):
        return
    unsaved = ledger.links_saved == saves_before
    if linked_seen is not None and unsaved and _nothing_vanished(ctx, side, linked_seen):
        return
    yield from _vanished(ctx, side, seen_all)


def start(side: Side) -> ReadState:
    """A side's read begins: by the system's clock where the connector knows it."""
    return ReadState(started=side.connector.server_time() or now())


def _reconcile_due(ctx: RunContext, side: Side, at: datetime) -> bool:
    """A cursor system that leaves no trace of deletions gets its ids compared on the flow's schedule."""
    every = ctx.flow.reconcile_every
    if every is None or side.capabilities.delete_detection:
        return False
    last = ctx.store.reconciled_at(ctx.flow.name, side.system)
    return last is None or at - last >= every


def _pages(
    ctx: RunContext, side: Side, since: Cursor | None, taken: set[str] | None
) -> Iterator[list[NativeRecord]]:
    """The connector's pages, restarted after the last good page when a transient error strikes.

    A snapshot has no cursor to resume from: it restarts from the beginning, and ``taken`` (the ids
    the caller has taken so far) weeds out what was already read, after a restart or when a page
    repeats a record of an earlier one.
    """
    attempts = 0
    resume = since
    pages: Iterator[Page] | None = None
    while True:
        try:
            # Only the connector's own work is retried (and timed as "read"), not ours.
            with ctx.report.timed("read"):
                if pages is None:
                    pages = iter(
                        side.connector.read_changes(ctx.flow.entity, resume, page_size=ctx.flow.page_size)
                    )
                page = next(pages, None)
        except TransientError as exc:
            attempts += 1
            if attempts >= ctx.retry.attempts:
                raise
            time.sleep(ctx.retry.pause(attempts, exc))
            pages = None
            continue
        if page is None:
            return
        attempts = 0
        if taken and not side.tracks_changes:
            yield [r for r in page.records if r.id not in taken]
        else:
            yield page.records
        if page.cursor is not None:
            resume = page.cursor


def _nothing_vanished(ctx: RunContext, side: Side, linked_seen: set[str]) -> bool:
    """Whether every id the side has in the links was seen, by counting instead of loading them all.

    ``linked_seen`` holds the ids read that had a link when their page was looked up. While no links
    were saved (a save may unbind ids), the linked ids now include all of them, so as many linked ids
    as ``linked_seen`` means they are the same ids: none vanished. Otherwise the ids are compared.
    """
    return ctx.store.count_external_ids(ctx.flow.name, side.system) == len(linked_seen)


def _vanished(ctx: RunContext, side: Side, seen: set[str]) -> Iterator[list[Change]]:
    """Links whose record no longer exists on a side: deletions detected by a complete scan.

    The linked ids minus the ids seen, compared as ids only; just the missing ones' links are loaded.
    """
    missing = [ext for ext in ctx.store.iter_external_ids(ctx.flow.name, side.system) if ext not in seen]
    for start in range(0, len(missing), ctx.flow.page_size):
        links = ctx.store.find_links(ctx.flow.name, side.system, missing[start : start + ctx.flow.page_size])
        batch = [
            Change(side, ext, None, None, deleted=True, link=link)
            for ext, link in links.items()
            if side.role not in link.meta.get("deleted", ())
        ]
        if batch:
            yield batch


def prepare(
    ctx: RunContext,
    ledger: RunLedger,
    side: Side,
    records: list[NativeRecord],
    linked_seen: set[str] | None = None,
) -> list[Change]:
    """Native records as changes: waiting ones left out, links found (by id, else by the SyncHub id
    the system stores), mapped, validated, unchanged ones dropped. ``linked_seen`` receives the ids
    of the records that have a link."""
    if ledger.waiting and records:
        records = _without_waiting(ctx, ledger, side, records)
    if not records:
        return []
    flow = ctx.flow.name
    with ctx.report.timed("hash"):
        hashes = side.native_hashes(records)
    with ctx.report.timed("identify"):
        known = ctx.store.native_hashes(flow, side.system, list(hashes))
    if linked_seen is not None:
        linked_seen.update(known)
    if known:
        # Seen as it is now, and nothing pending for its link: nothing to map, validate or merge.
        pending = ledger.resolutions
        changed = [
            rec
            for rec in records
            if (seen := known.get(rec.id)) is None
            or seen[1] != hashes.get(rec.id)
            or seen[1] is None
            or seen[0] in pending
        ]
        if len(changed) < len(records):
            ctx.report.sides[side.role].unchanged += len(records) - len(changed)
            records = changed
            if not records:
                return []
    with ctx.report.timed("identify"):
        # native_hashes found every linked id: look up the links of those (and of deletions) only,
        # not of the new records an initial sync reads by the thousand
        linked = [r.id for r in records if r.id in known or r.deleted]
        links = ctx.store.find_links(flow, side.system, linked) if linked else {}
        unlinked_refs = [r.ref for r in records if r.ref and r.id not in links]
        if unlinked_refs:
            by_ref = ctx.store.get_links(flow, unlinked_refs)
            for rec in records:
                link = by_ref.get(rec.ref or "")
                if (
                    link is not None
                    and rec.id not in links
                    and link.external_ids.get(side.system) in (None, rec.id)
                ):
                    link.external_ids[side.system] = rec.id
                    links[rec.id] = link
    unchanged: list[str] = []
    changes = side.prepare(
        records, links, ctx.report, lambda rej: dead_letters.reject(ctx, ledger, rej), unchanged, hashes
    )
    if unchanged and not ctx.dry_run:
        ctx.store.set_native_hashes(flow, side.system, {ext: hashes[ext] for ext in unchanged})
    return changes


def _without_waiting(
    ctx: RunContext, ledger: RunLedger, side: Side, records: list[NativeRecord]
) -> list[NativeRecord]:
    """Leave out records that failed for good before and have not changed since: they wait for a
    change or ``synchub deadletters retry`` instead of failing again on every run."""
    kept = []
    for rec in records:
        waiting = ledger.waiting.get((side.system, rec.id))
        if waiting is not None:
            dl_id, digest = waiting
            if not rec.deleted and digest == record_hash(rec.data):
                ctx.report.sides[side.role].waiting += 1
                continue
            ledger.resumed[dl_id] = (side.system, rec.id)  # changed: try again, resolve if it passes
        kept.append(rec)
    return kept

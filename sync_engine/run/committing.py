"""Committing: links, snapshots, audit entries, conflicts and applied resolutions, in one transaction.

Only after the writes they describe: a record whose write failed keeps its old snapshot (and is a
dead letter), so the next run tries again; the follow-up writes of settling never hold back the link.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from connectors.base import WriteRequest, WriteResult
from sync_engine.identity import record_hash
from sync_engine.run import dead_letters
from sync_engine.run.conflicts import open_item_conflicts
from sync_engine.run.context import RunContext, RunLedger, now
from sync_engine.run.items import Item
from sync_engine.run.sides import Change, Side
from sync_engine.run.writing import Results
from sync_engine.store import AuditEntry, LinkRecord

__all__ = ["commit", "count_write"]


def commit(ctx: RunContext, ledger: RunLedger, items: list[Item], results: Results, settled: Results) -> None:
    at = now()
    links: list[LinkRecord] = []
    audit: list[AuditEntry] = []
    applied: list[int] = []
    superseded: list[int] = []
    ledger.conflicts_open |= any(item.result.conflicts for item in items)
    open_now = ctx.store.open_conflicts_for(ctx.name, [i.cid for i in items]) if ledger.conflicts_open else {}
    # a server crash may roll back a batch's commit: the rerun repairs it as any crash before it
    with ctx.store.transaction(wait_for_disk=False) as tx:
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
                side = ctx.sides[role]
                res = results[(role, req.ref)]
                if res.ok:
                    count_write(ctx, role, req.op)
                    if req.op == "create" and res.id:
                        link.external_ids[side.system] = res.id
                    if req.op == "delete":
                        deleted.add(role)
                    elif req.op == "create":
                        deleted.discard(role)
                    written = _written(side, req, item, getattr(item.result, f"{role}_patch"))
                    audit.append(_audit(ctx, link, side, req, res, written, at))
                else:
                    all_ok = False
                    ctx.report.sides[role].failed += 1
                    dead_letters.write_failed(ctx, ledger, item, side, req, res, tx)
            for role, req in item.settle.items():
                side = ctx.sides[role]
                res = settled[(role, req.ref)]
                if res.ok:
                    count_write(ctx, role, req.op)
                    written = _written(side, req, item, item.settled_values[role])
                    audit.append(_audit(ctx, link, side, req, res, written, at))
                else:  # the main write stands; this side keeps its own value (meta.as_saved)
                    ctx.report.sides[role].failed += 1
                    dead_letters.write_failed(ctx, ledger, item, side, req, res, tx)
            if all_ok:
                synced = _synced(item, deleted, at)
                synced.native_hashes = _native_hashes(item, synced)
                links.append(synced)
                applied.extend(item.resolution_ids)
                held = {c.field for c in item.result.conflicts}
                superseded.extend(
                    c.id
                    for c in open_now.get(item.cid, [])
                    if c.field not in held and c.id not in item.resolution_ids
                )
            else:
                links.append(replace(link, meta={**link.meta, "deleted": sorted(deleted)}))
            open_item_conflicts(ctx, item, tx)
        if links:
            ctx.store.save_links(links, tx=tx)
            ledger.links_saved += len(links)
        if audit:
            ctx.store.record_audit(audit, tx=tx)
        if applied:
            ctx.store.mark_conflicts(applied, "applied", run_id=ctx.report.run_id, tx=tx)
            ctx.report.resolutions_applied += len(applied)
        if superseded:
            ctx.store.mark_conflicts(superseded, "superseded", run_id=ctx.report.run_id, tx=tx)
        ctx.hook("before_commit")


def count_write(ctx: RunContext, role: str, op: str) -> None:
    counts = ctx.report.sides[role]
    if op == "create":
        counts.created += 1
    elif op == "update":
        counts.updated += 1
    else:
        counts.deleted += 1


def _native_hashes(item: Item, link: LinkRecord) -> dict[str, str | None]:
    """The native hashes that let the next run skip a record it reads unchanged: a source record we
    did not write back to; none at all for a link a conflict or a deletion keeps open."""
    if "held" in link.meta or "deleted" in link.meta:
        return dict.fromkeys(link.external_ids)
    hashes: dict[str, str | None] = {}
    for ch in item.sources:
        if ch.native is None or ch.deleted:
            continue
        written = ch.side.role in item.requests or ch.side.role in item.settle
        if written:
            hashes[ch.side.system] = None
        else:
            hashes[ch.side.system] = ch.native_hash or ch.side.native_hash(ch.native)
    return hashes


def _synced(item: Item, deleted: set[str], at: datetime) -> LinkRecord:
    """The link as both sides now hold the record."""
    link = item.link
    snapshot = item.snapshot if item.snapshot is not None else item.result.snapshot
    meta = {k: v for k, v in link.meta.items() if k not in ("held", "deleted", "as_saved")}
    if deleted:
        meta["deleted"] = sorted(deleted)
    if item.held:
        meta["held"] = item.held
    as_saved = _as_saved(item)
    if as_saved:
        meta["as_saved"] = as_saved
    return LinkRecord(  # not dataclasses.replace, which costs as much again for every record saved
        flow=link.flow,
        entity=link.entity,
        canonical_id=link.canonical_id,
        external_ids=link.external_ids,
        snapshot=snapshot,
        hash=_snapshot_hash(snapshot, item.sources),
        synced_at=at,
        meta=meta,
        native_hashes=link.native_hashes,
    )


def _snapshot_hash(snapshot: dict[str, Any] | None, sources: list[Change]) -> str | None:
    """The snapshot's hash; usually it is a source record as read, whose hash we already have."""
    if snapshot is None:
        return None
    for src in sources:
        if src.hash is not None and src.record == snapshot:
            return src.hash
    return record_hash(snapshot)


def _written(side: Side, req: WriteRequest, item: Item, patch: dict[str, Any]) -> dict[str, Any] | None:
    """The canonical fields a write sent: what the side's mapping writes of the patch (a field the
    mapping only reads, like the lines of a CRM's accepted quote, was not written)."""
    if req.op == "delete":
        return None
    source = item.result.merged or {} if req.op == "create" else patch
    writes = side.writes
    return {name: value for name, value in source.items() if not writes or name in writes}


def _audit(
    ctx: RunContext,
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
        run_id=ctx.report.run_id,
        flow=ctx.name,
        system=side.system,
        entity=ctx.entity,
        external_id=res.id or req.id,
        op=req.op,
        before=before,
        after=written,
        at=at,
    )


def _as_saved(item: Item) -> dict[str, dict[str, Any]]:
    """Each side's own rendering of fields it cannot have the same as the other (see settling)."""
    previous = item.link.meta.get("as_saved", {})
    if not previous and not item.as_saved:
        return {}  # nothing kept, nothing new: the usual case
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

"""Conflicts: fields both sides changed differently, and natural keys that match several records.

A conflict is reported each time the merge holds the field again; only a new one counts as opened.
"""

from __future__ import annotations

import logging
from typing import Any

from sync_engine.run.context import RunContext, RunLedger, iso
from sync_engine.run.items import Item
from sync_engine.run.pairing import Duplicate

__all__ = ["count_planned", "open_duplicate", "open_item_conflicts"]

log = logging.getLogger("synchub.run")


def open_item_conflicts(ctx: RunContext, item: Item, tx: Any) -> None:
    for c in item.result.conflicts:
        _, opened = ctx.store.report_conflict(
            flow=ctx.name,
            entity=ctx.entity,
            canonical_id=item.cid,
            field=c.field,
            base=c.base,
            values={"erp": c.erp, "crm": c.crm},
            systems=ctx.systems(),
            changed_at={"erp": iso(c.erp_changed_at), "crm": iso(c.crm_changed_at)},
            kind=c.kind,
            run_id=ctx.report.run_id,
            tx=tx,
        )
        ctx.report.conflicts += opened
        if opened:
            log.info("flow %s: conflict opened on %s %s, field %s (%s)", ctx.name, ctx.entity, item.cid,
                     c.field, c.kind)  # fmt: skip


def open_duplicate(ctx: RunContext, ledger: RunLedger, dup: Duplicate) -> None:
    """Several candidates share the natural key: a person decides, SyncHub never guesses."""
    ch = dup.change
    ctx.report.duplicates += 1
    cid = f"duplicate:{ch.side.system}:{ch.ext_id}"
    if ctx.dry_run:
        ctx.report.conflicts += not ctx.store.open_conflicts_for(ctx.name, [cid])
        return
    _, opened = ctx.store.report_conflict(
        flow=ctx.name,
        entity=ctx.entity,
        canonical_id=cid,
        field="*",
        base=None,
        values={ch.side.role: ch.record, "candidates": dup.candidates},
        systems=ctx.systems(),
        changed_at={ch.side.role: iso(ch.changed_at)},
        kind="duplicate",
        run_id=ctx.report.run_id,
    )
    ctx.report.conflicts += opened
    ledger.conflicts_open = True
    if opened:
        log.info("flow %s: duplicate conflict: %s %s matches %d records", ctx.name, ch.side.system, ch.ext_id,
                 len(dup.candidates))  # fmt: skip


def count_planned(ctx: RunContext, items: list[Item]) -> None:
    """Dry run: count the conflicts a run would open (not those open already)."""
    if not any(i.result.conflicts for i in items):
        return
    already = ctx.store.open_conflicts_for(ctx.name, [i.cid for i in items])
    for item in items:
        known = {c.field for c in already.get(item.cid, ())}
        ctx.report.conflicts += sum(c.field not in known for c in item.result.conflicts)

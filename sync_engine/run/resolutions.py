"""Resolutions: what a person chose for open conflicts, applied by the next run exactly once.

Records that changed this run take their resolution in the merge; the others are read by id from
both sides here and merged with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sync_engine.run import dead_letters
from sync_engine.run.context import RunContext, RunLedger
from sync_engine.run.pairing import Pair
from sync_engine.run.sides import Change

__all__ = ["load_resolutions", "untouched"]


def load_resolutions(ctx: RunContext) -> dict[str, tuple[dict[str, Any], list[int]]]:
    """Canonical id -> (path -> chosen value, conflict ids) of resolved conflicts not yet applied."""
    out: dict[str, tuple[dict[str, Any], list[int]]] = {}
    for c in ctx.store.pending_resolutions(ctx.name):
        values, ids = out.setdefault(c.canonical_id, ({}, []))
        values[c.field] = c.resolved_value
        ids.append(c.id)
    return out


def untouched(ctx: RunContext, ledger: RunLedger) -> Iterator[Pair]:
    """Pairs of the resolved records nobody changed this run, read from both sides by id."""
    if not ledger.resolutions:
        return
    links = ctx.store.get_links(ctx.name, list(ledger.resolutions))
    for cid in list(ledger.resolutions):
        link = links.get(cid)
        if link is None:
            continue
        changes: dict[str, Change] = {}
        for role, side in ctx.sides.items():
            ext = link.external_ids.get(side.system)
            if not ext:
                continue
            records = ctx.retry.call(lambda side=side, ext=ext: side.connector.read_by_ids(ctx.entity, [ext]))
            prepared = side.prepare(
                records, {ext: link}, ctx.report, lambda rej: dead_letters.reject(ctx, ledger, rej)
            )
            if prepared:
                changes[role] = prepared[0]
        yield Pair(cid, link, changes, link)

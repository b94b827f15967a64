"""Settling: make each link's snapshot what the targets saved, not what we sent.

A target may fill in what we left empty (Tryton: the company currency), assign values (order
numbers, states after its own workflow) or render a value its way. Such a value goes to the other
side in a follow-up write when it can take it; when it cannot, the link remembers it as that side's
rendering (``meta.as_saved``) so the next run does not take it for a change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from connectors.base import ConnectorError, NativeRecord, WriteRequest, WriteResult
from sync_engine.mapping import MappingError
from sync_engine.merge import values_equal
from sync_engine.run.context import RunContext
from sync_engine.run.items import Item
from sync_engine.run.sides import OTHER
from sync_engine.run.writing import Results, write_items

__all__ = ["settle"]

log = logging.getLogger(__name__)
Saved = dict[tuple[str, str], dict[str, Any]]
"""(role, canonical id) -> the record as that side saved it, canonical."""


def settle(ctx: RunContext, items: list[Item], results: Results) -> Results:
    """Read back what was written, plan follow-up writes, send them; their results."""
    saved = _read_back(ctx, items, lambda item: item.requests, results)
    for item in items:
        _plan(ctx, item, results, saved)
    if not any(item.settle for item in items):
        return {}
    settled = write_items(ctx.sides, items, lambda item: item.settle, ctx.retry)
    saved_again = _read_back(ctx, items, lambda item: item.settle, settled)
    for item in items:
        _check(item, settled, saved_again)
    return settled


def _read_back(
    ctx: RunContext,
    items: list[Item],
    requests_of: Callable[[Item], dict[str, WriteRequest]],
    results: Results,
) -> Saved:
    out: Saved = {}
    for role, side in ctx.sides.items():
        if side.capabilities.saves_as_sent:
            continue  # it stored what we sent: the merged record is what it holds
        targets: dict[str, Item] = {}
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
                records = ctx.retry.call(
                    lambda side=side, missing=missing: side.connector.read_by_ids(ctx.entity, missing)
                )
            except ConnectorError as exc:
                # the snapshot stays what we sent; the next run sees any difference as a change
                log.warning(
                    "could not read back %d %s records from %s: %s",
                    len(missing),
                    ctx.entity,
                    side.system,
                    exc,
                )
                records = []
            natives.update((rec.id, rec) for rec in records)
        for ext, rec in natives.items():
            item = targets.get(ext)
            if item is not None and item.result.merged is not None:
                canon = side.canonical(rec, item.result.merged)
                if canon is not None:
                    out[(role, item.cid)] = canon
    return out


def _plan(ctx: RunContext, item: Item, results: Results, saved: Saved) -> None:
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
        names = ctx.sides[role].read_fields or frozenset(record)
        differences[role] = {
            name: record.get(name)
            for name in names
            if name not in held and not values_equal(name, record.get(name), merged.get(name))
        }
    if any(ch.unstored for ch in item.sources):
        for role, req in item.requests.items():
            # a target that stores what it is sent (no read-back) holds the merged record: what the
            # other side only assumed through its default may still go to it
            if role not in differences and req.op != "delete" and results[(role, req.ref)].ok:
                differences[role] = {}
    snapshot = dict(item.result.snapshot if item.result.snapshot is not None else merged)
    for role, changed in differences.items():
        other_role = OTHER[role]
        other = ctx.sides[other_role]
        holds = saved.get((role, item.cid), merged)
        follow_up = _unstored_fill(ctx, item, role, holds, held, results)
        for name, value in changed.items():
            if name in differences.get(other_role, {}):
                item.as_saved.setdefault(role, {})[name] = value  # both saved it their own way
            elif other.read_fields and name not in other.read_fields:
                snapshot[name] = value  # the other side never holds this field
            elif _can_take(ctx, item, other_role, name, results):
                follow_up[name] = value
                snapshot[name] = value
            else:
                item.as_saved.setdefault(role, {})[name] = value
        if follow_up:
            request = _request(ctx, item, other_role, {**merged, **follow_up}, follow_up, results)
            if request is None:
                for name, value in follow_up.items():
                    item.as_saved.setdefault(role, {})[name] = value
                    snapshot[name] = merged.get(name)
            else:
                item.settle[other_role] = request
                item.settled_values[other_role] = follow_up
    item.snapshot = snapshot


def _unstored_fill(
    ctx: RunContext, item: Item, role: str, record: dict[str, Any], held: set[str], results: Results
) -> dict[str, Any]:
    """Values ``role`` saved that the other side reads only through its mapping's default
    (``store_default``): agreed, but not held there yet, so they go into its follow-up write."""
    other_role = OTHER[role]
    unstored = {name for ch in item.sources if ch.side.role == other_role for name in ch.unstored}
    if not unstored:
        return {}
    merged = item.result.merged or {}
    already = getattr(item.result, f"{other_role}_patch") if other_role in item.requests else {}
    return {
        name: record[name]
        for name in sorted(unstored)
        if record.get(name) is not None
        and values_equal(name, record[name], merged.get(name))
        and name not in held
        and name not in already
        and _can_take(ctx, item, other_role, name, results)
    }


def _can_take(ctx: RunContext, item: Item, role: str, name: str, results: Results) -> bool:
    """Whether side ``role`` can be written ``name`` in a follow-up write of this item."""
    side = ctx.sides[role]
    if not side.writable or name not in side.writes or _ext_id(ctx, item, role, results) is None:
        return False
    gone = role in item.link.meta.get("deleted", ()) or any(
        ch.deleted for ch in item.sources if ch.side.role == role
    )
    req = item.requests.get(role)
    failed = req is not None and not results[(role, req.ref)].ok
    return not gone and not failed and (req is None or req.op != "delete")


def _ext_id(ctx: RunContext, item: Item, role: str, results: Results) -> str | None:
    req = item.requests.get(role)
    if req is not None and req.op == "create":
        res = results.get((role, req.ref))
        return res.id if res is not None and res.ok else None
    return item.link.external_ids.get(ctx.sides[role].system)


def _request(
    ctx: RunContext, item: Item, role: str, record: dict[str, Any], values: dict[str, Any], results: Results
) -> WriteRequest | None:
    side = ctx.sides[role]
    try:
        data = side.mapping.to_native(record, side.refs, fields=set(values))
    except MappingError as exc:
        log.warning(
            "%s %s %s: cannot write back %s: %s", side.system, ctx.entity, item.cid, sorted(values), exc
        )
        return None
    return WriteRequest("update", item.cid, data, _ext_id(ctx, item, role, results)) if data else None


def _check(item: Item, settled: dict[tuple[str, str], WriteResult], saved: Saved) -> None:
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

"""Deciding: the three-way merge of a pair, and the native writes each side needs from it.

The merge itself is pure (``sync_engine.merge``); here each side's state is taken from its change,
or from the link when it did not change, and the decision becomes an :class:`Item` whose requests
the sides' mappings build (a reference not linked yet defers the record; a mapping error rejects it).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sync_engine.mapping import MappingError, UnresolvedReference
from sync_engine.merge import MergePolicy, MergeResult, SideState, merge, values_equal
from sync_engine.run.items import Item
from sync_engine.run.pairing import Pair
from sync_engine.run.sides import OTHER, Change, Rejection, Side
from sync_engine.store import LinkRecord

__all__ = ["Unwritable", "decide", "requests_for"]

ROLES = ("erp", "crm")


def decide(
    pair: Pair,
    sides: dict[str, Side],
    policy: MergePolicy,
    resolutions: tuple[dict[str, Any], list[int]] | None,
    *,
    flow: str,
    entity: str,
) -> Item:
    """Merge one record's sides against its last snapshot, with a person's resolutions if any."""
    base = pair.base_link.snapshot if pair.base_link is not None else None
    link = pair.link or LinkRecord(flow, entity, pair.cid, {})
    changes = pair.changes
    for ch in changes.values():
        link.external_ids.setdefault(ch.side.system, ch.ext_id)
        if ch.record is not None and base is None:
            # Fill what one side does not hold from the other side's record (no snapshot yet).
            others = [o.record for o in changes.values() if o is not ch and o.record is not None]
            if others:
                ch.record, ch.hash = _refill(ch, others[0]), None
    states = {role: _state(role, sides[role].system, changes.get(role), link, base) for role in ROLES}
    result = merge(base, states["erp"], states["crm"], policy, resolutions[0] if resolutions else {})
    item = Item(
        pair.cid, link, result, list(changes.values()), resolution_ids=resolutions[1] if resolutions else []
    )
    item.held = _held_values(result, states)
    item.result = _store_defaults(result, changes, sides, states, item.held)
    _keep_unwritable(item, sides, states)
    return item


def _store_defaults(
    result: MergeResult,
    changes: dict[str, Change],
    sides: dict[str, Side],
    states: dict[str, SideState],
    held: dict[str, dict[str, Any]],
) -> MergeResult:
    """A side that reads a field only through its mapping's default (``store_default``) is written the
    agreed value once the other side holds it: the CRM quote shows the ERP's order status even when it
    is the very status the CRM's default assumed."""
    if result.merged is None:
        return result
    for role in ROLES:
        # ch.unstored holds only fields this side writes and the other reads (Side.store_defaults)
        ch = changes.get(role)
        action = getattr(result, f"{role}_action")
        if ch is None or not ch.unstored or action not in ("none", "update"):
            continue
        holder = states[OTHER[role]]
        other_change = changes.get(OTHER[role])
        if holder.record is None or holder.deleted:
            continue
        fill = {
            name: result.merged[name]
            for name in sorted(ch.unstored)
            if name in sides[role].writes
            and result.merged.get(name) is not None
            and values_equal(name, holder.record.get(name), result.merged[name])
            and not (other_change is not None and name in other_change.unstored)
            and not any(name in values for values in held.values())
        }
        if fill:
            patch = {**getattr(result, f"{role}_patch"), **fill}
            result = replace(result, **{f"{role}_action": "update", f"{role}_patch": patch})
    return result


def _keep_unwritable(item: Item, sides: dict[str, Side], states: dict[str, SideState]) -> None:
    """A side asked to change a field its mapping cannot write keeps its own value: remembered as
    that side's rendering (``meta.as_saved``), so the next run does not read it as a change back."""
    for role in ROLES:
        side, record = sides[role], states[role].record
        if getattr(item.result, f"{role}_action") != "update" or not side.writable or record is None:
            continue
        cannot = [
            f for f in getattr(item.result, f"{role}_patch") if f in side.read_fields and f not in side.writes
        ]
        if cannot and side.writes:
            item.as_saved.setdefault(role, {}).update({f: record.get(f) for f in cannot})


class Unwritable(Exception):
    """A decided record the mapping cannot write: a reference not linked yet, or a mapping error."""

    def __init__(self, rejections: list[Rejection]) -> None:
        super().__init__(rejections[0].reason if rejections else "unwritable")
        self.rejections = rejections


def requests_for(item: Item, sides: dict[str, Side]) -> Item:
    """Fill ``item.requests``: per writable side, the native write that gets it to the merged record.

    Raises :class:`Unwritable` with the rejections of its source records.
    """
    result = item.result
    for role in ROLES:
        action = getattr(result, f"{role}_action")
        side = sides[role]
        if action == "none" or not side.writable:
            continue
        try:
            request = side.request(
                action,
                item.cid,
                result.merged,
                getattr(result, f"{role}_patch"),
                item.link.external_ids.get(side.system),
            )
        except UnresolvedReference as exc:
            raise Unwritable(
                [_rejection(src, "reference", exc, deferred=True) for src in item.sources]
            ) from exc
        except MappingError as exc:
            raise Unwritable([_rejection(src, "map", exc) for src in item.sources]) from exc
        if request is not None:
            item.requests[role] = request
    return item


def _rejection(src: Change, stage: str, exc: MappingError, *, deferred: bool = False) -> Rejection:
    return Rejection(src.side, src.ext_id, stage, str(exc), exc.field, src.record, deferred=deferred)


def _state(
    role: str, system: str, ch: Change | None, link: LinkRecord, base: dict[str, Any] | None
) -> SideState:
    if ch is not None:
        return SideState(record=ch.record, changed_at=ch.changed_at, deleted=ch.deleted)
    if role in link.meta.get("deleted", ()):
        return SideState(record=None, changed_at=None, deleted=True)
    if link.external_ids.get(system) and base is not None:
        # Not in this run's changes: the side still holds what we last synced, except the
        # fields held by an open conflict, where it keeps its own value.
        held = link.meta.get("held", {}).get(role)
        return SideState(record={**base, **held} if held else base, changed_at=link.synced_at)
    return SideState(record=None, changed_at=None)


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


def _refill(ch: Change, other: dict[str, Any]) -> dict[str, Any]:
    assert ch.record is not None
    if not ch.side.read_fields:
        return ch.record
    mine = {k: v for k, v in ch.record.items() if k in ch.side.read_fields}
    return {**other, **mine}

"""The three-way merge of one record: pure, no I/O. Where correctness lives.

``merge(base, erp, crm, policy)`` compares each side's canonical record (JSON form) with ``base``,
the snapshot both sides agreed on at the last sync, and decides per field:

- only one side changed the field -> take that side's value (a side equal to the base has not
  changed, whoever wrote it: this is echo suppression);
- both changed it to the same value -> fine;
- both changed it differently -> the field's owner wins; else the flow's conflict policy:
  ``erp``/``crm`` that side wins, ``newest`` the side with the later ``changed_at`` wins (on a tie,
  or when either time is unknown, **erp wins**), ``manual`` the field is *held*: neither side is
  written for it, a :class:`FieldConflict` is returned and the snapshot keeps the old base value so
  the conflict is seen again on the next run until a person resolves it.

Without a base (first sync of two records matched by natural key) nobody has an opinion yet: equal
fields are fine, a field empty (None) on one side is filled from the other, differing fields are
decided as above.

Lists of dicts named in :data:`sync_engine.model.LIST_KEYS` merge item by item by key (addresses by
kind, contacts by email or name, lines by product_id; keys compared normalised), and the fields
inside an item merge like top-level fields. Their order carries no meaning: two such lists are equal
when they hold the same items by key, and a merged list is ordered as in the base, new items after
it sorted by key. Paths name what a conflict is about: ``name``, ``contacts[a@b.com]`` (the item),
``contacts[a@b.com].phone`` (a field of it). ``*`` is the whole record (delete conflicts).

One-way flows (``erp_to_crm``, ``crm_to_erp``): the source owns every field, the target's edits are
overwritten and nothing is ever written to the source. A target-side delete is an edit too: the
record is created again there (unless ``deletes='ignore'``).

Deletes in two-way flows: one side deleted and the other unchanged -> ``propagate`` deletes it on the
other side, ``archive`` deactivates it there (``active: false``; for entities with an ``active`` field,
the ERP's master data), ``ignore`` does nothing. One side deleted and the other updated -> ``manual`` opens a
conflict of kind ``delete`` (path ``*``), ``erp``/``crm`` that side wins (delete, or create again),
``newest`` the later change wins (erp on a tie). Field owners do not decide deletes. Under
``archive`` every delete the rules above would write becomes that deactivation, in one-way flows too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

from sync_engine.identity import normalise
from sync_engine.model import LIST_KEYS

__all__ = [
    "RECORD_PATH",
    "FieldConflict",
    "MergePolicy",
    "MergeResult",
    "Role",
    "SideState",
    "apply_patch",
    "merge",
    "values_equal",
]

Role = Literal["erp", "crm"]
Action = Literal["none", "create", "update", "delete"]
RECORD_PATH = "*"
"""Conflict path of a whole record (a delete on one side, an update on the other)."""

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _other(role: Role) -> Role:
    return "crm" if role == "erp" else "erp"


@dataclass(frozen=True)
class MergePolicy:
    """How a flow settles disagreements (from its config)."""

    conflict_policy: Literal["manual", "newest", "erp", "crm"] = "manual"
    field_owners: Mapping[str, Role] = field(default_factory=dict)
    """Top-level field -> the side that always wins it (for lists: every item and item field)."""
    direction: Literal["both", "erp_to_crm", "crm_to_erp"] = "both"
    deletes: Literal["propagate", "archive", "ignore"] = "propagate"

    @property
    def source(self) -> Role | None:
        """The side that owns everything in a one-way flow; None for two-way flows."""
        return {"erp_to_crm": "erp", "crm_to_erp": "crm"}.get(self.direction)  # type: ignore[return-value]

    def mirrored(self) -> MergePolicy:
        """The same policy with the roles of erp and crm swapped."""
        swap: dict[str, Any] = {
            "erp": "crm",
            "crm": "erp",
            "erp_to_crm": "crm_to_erp",
            "crm_to_erp": "erp_to_crm",
        }
        return MergePolicy(
            conflict_policy=swap.get(self.conflict_policy, self.conflict_policy),
            field_owners={name: swap[role] for name, role in self.field_owners.items()},
            direction=swap.get(self.direction, self.direction),
            deletes=self.deletes,
        )


@dataclass(frozen=True)
class SideState:
    """One side's record as read now."""

    record: dict[str, Any] | None
    """The canonical record now on this side; None = absent (never existed, or deleted)."""
    changed_at: datetime | None = None
    """When this side last changed (used by the ``newest`` policy); None = unknown."""
    deleted: bool = False
    """The side had the record (a link exists) and it was deleted."""


@dataclass(frozen=True)
class FieldConflict:
    """Both sides changed ``field`` differently and the policy says a person decides."""

    field: str
    base: Any
    erp: Any
    crm: Any
    erp_changed_at: datetime | None
    crm_changed_at: datetime | None
    kind: Literal["field", "delete"] = "field"


@dataclass(frozen=True)
class MergeResult:
    merged: dict[str, Any] | None
    """What both sides hold after the writes; a held field shows erp's current value (the crm
    keeps its own). None when the record is deleted (or absent everywhere)."""
    erp_action: Action
    crm_action: Action
    erp_patch: dict[str, Any]
    """Top-level fields to write to erp (a list or Money field as a whole value); for a create the
    whole record. Only fields whose value differs from what erp holds."""
    crm_patch: dict[str, Any]
    conflicts: tuple[FieldConflict, ...]
    snapshot: dict[str, Any] | None
    """The new base to store in the link; held fields keep the old base value."""

    @property
    def has_writes(self) -> bool:
        return self.erp_action != "none" or self.crm_action != "none"


def values_equal(name: str, left: Any, right: Any) -> bool:
    """Equality of two values of top-level field ``name``; keyed lists compare by item, not order."""
    if left == right:
        return True
    if name in LIST_KEYS and _is_item_list(left) and _is_item_list(right):
        return _keyed(name, left) == _keyed(name, right)
    return False


def apply_patch(
    record: dict[str, Any] | None, action: Action, patch: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The record a side holds after a write: a reference for tests and dry runs."""
    if action == "delete":
        return None
    if action == "create":
        return dict(patch)
    if action == "update":
        return {**(record or {}), **patch}
    return record


def _is_item_list(value: Any) -> bool:
    return value is None or (isinstance(value, list) and all(isinstance(item, dict) for item in value))


def _item_key(name: str, item: Mapping[str, Any]) -> str:
    for key_field in LIST_KEYS[name]:
        key = normalise(item.get(key_field))
        if key:
            return key
    return ""


def _keyed(name: str, items: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """Items by normalised key; a repeated key gets ``#2``, ``#3`` so no item is ever dropped."""
    keyed: dict[str, dict[str, Any]] = {}
    for item in items or ():
        key = base_key = _item_key(name, item)
        count = 1
        while key in keyed:
            count += 1
            key = f"{base_key}#{count}"
        keyed[key] = item
    return keyed


@dataclass
class _Values:
    """A merged value as each side should hold it, and as the snapshot should record it."""

    erp: Any
    crm: Any
    snap: Any

    @classmethod
    def same(cls, value: Any) -> _Values:
        return cls(value, value, value)


_ABSENT = object()
"""A list item that is not there (distinct from an item whose value is None)."""


class _FieldMerger:
    """Merges the fields of one record present on both sides; collects the conflicts it holds."""

    def __init__(
        self, policy: MergePolicy, erp: SideState, crm: SideState, resolutions: Mapping[str, Any]
    ) -> None:
        self.policy = policy
        self.erp_at = erp.changed_at
        self.crm_at = crm.changed_at
        self.resolutions = resolutions
        self.conflicts: list[FieldConflict] = []

    def winner(self, top: str) -> Role | None:
        """Who wins a field both sides changed differently; None = held for a person."""
        owner = self.policy.field_owners.get(top)
        if owner is not None:
            return owner
        policy = self.policy.conflict_policy
        if policy == "manual":
            return None
        if policy == "newest":
            return _newest(self.erp_at, self.crm_at)
        return policy

    def hold(self, path: str, base: Any, erp: Any, crm: Any) -> _Values:
        self.conflicts.append(FieldConflict(path, base, erp, crm, self.erp_at, self.crm_at))
        return _Values(erp, crm, base)

    def record(
        self, base: dict[str, Any] | None, erp: dict[str, Any], crm: dict[str, Any]
    ) -> dict[str, _Values]:
        has_base = base is not None
        base = base or {}
        names = dict.fromkeys([*erp, *crm, *base])
        return {
            name: self.value(name, name, base.get(name), erp.get(name), crm.get(name), has_base)
            for name in names
        }

    def one_side_changed(
        self, base: dict[str, Any], erp: dict[str, Any], crm: dict[str, Any]
    ) -> dict[str, Any]:
        """The merged record when one side still holds the base (the caller checked ``is``): every
        field takes the changed side's value, keyed lists merged item by item for their order. The
        same record :meth:`record` gives, nothing can conflict, without a triple per field."""
        changed = crm if erp is base else erp
        merged: dict[str, Any] = {}
        for name in dict.fromkeys([*erp, *crm]):
            value, was = changed.get(name), base.get(name)
            if value != was and name in LIST_KEYS and _is_item_list(value) and _is_item_list(was):
                value = self.item_list(name, was, erp.get(name), crm.get(name), True).snap
            merged[name] = value
        return merged

    def value(self, path: str, top: str, base: Any, erp: Any, crm: Any, has_base: bool) -> _Values:
        if path in self.resolutions:
            return _Values.same(self.resolutions[path])
        if erp == crm and not self.resolutions:
            return _Values.same(erp)  # the common case, whatever the base: nothing to decide
        is_item_list = path == top and top in LIST_KEYS and all(_is_item_list(v) for v in (base, erp, crm))
        if is_item_list and (erp is not None or crm is not None):
            return self.item_list(top, base, erp, crm, has_base)
        return self.scalar(path, top, base, erp, crm, has_base)

    def scalar(self, path: str, top: str, base: Any, erp: Any, crm: Any, has_base: bool) -> _Values:
        if erp == crm:
            return _Values.same(erp)
        if has_base:
            if erp == base:
                return _Values.same(crm)
            if crm == base:
                return _Values.same(erp)
        elif erp is None or crm is None:
            return _Values.same(crm if erp is None else erp)
        winner = self.winner(top)
        if winner is None:
            return self.hold(path, base if has_base else None, erp, crm)
        return _Values.same(erp if winner == "erp" else crm)

    def item_list(self, top: str, base: Any, erp: Any, crm: Any, has_base: bool) -> _Values:
        base_items, erp_items, crm_items = _keyed(top, base), _keyed(top, erp), _keyed(top, crm)
        # Established order first (the base's), new items after it in key order: the same result
        # whichever side added them.
        new_keys = sorted(k for k in dict.fromkeys([*erp_items, *crm_items]) if k not in base_items)
        out = _Values([], [], [])
        for key in [*base_items, *new_keys]:
            path = f"{top}[{key}]"
            item = self.item(
                path,
                top,
                base_items.get(key, _ABSENT),
                erp_items.get(key, _ABSENT),
                crm_items.get(key, _ABSENT),
                has_base,
            )
            for target, value in ((out.erp, item.erp), (out.crm, item.crm), (out.snap, item.snap)):
                if value is not _ABSENT and value is not None:
                    target.append(value)
        return out

    def item(self, path: str, top: str, base: Any, erp: Any, crm: Any, has_base: bool) -> _Values:
        if path in self.resolutions:
            return _Values.same(self.resolutions[path])
        if erp is _ABSENT and crm is _ABSENT:
            return _Values.same(_ABSENT)
        if erp is not _ABSENT and crm is not _ABSENT:
            if erp == crm and not self.resolutions:
                return _Values.same(erp)
            item_base = base if has_base and base is not _ABSENT else None
            names = dict.fromkeys([*erp, *crm, *(item_base or {})])
            merged = {
                name: self.value(
                    f"{path}.{name}",
                    top,
                    (item_base or {}).get(name),
                    erp.get(name),
                    crm.get(name),
                    item_base is not None,
                )
                for name in names
            }
            return _Values(
                {n: v.erp for n, v in merged.items()},
                {n: v.crm for n, v in merged.items()},
                {n: v.snap for n, v in merged.items()},
            )
        present = erp if erp is not _ABSENT else crm
        if not has_base or base is _ABSENT:
            return _Values.same(present)  # added on one side (or first sync): fill the other
        if present == base:
            return _Values.same(_ABSENT)  # removed on one side, untouched on the other
        # Removed on one side, changed on the other.
        winner = self.winner(top)
        if winner is None:
            self.hold(path, base, _none_if_absent(erp), _none_if_absent(crm))
            return _Values(erp, crm, base)
        return _Values.same(erp if winner == "erp" else crm)


def _none_if_absent(value: Any) -> Any:
    return None if value is _ABSENT else value


def _newest(erp_at: datetime | None, crm_at: datetime | None) -> Role:
    """The later change wins; a tie or an unknown time goes to erp (deterministic, documented)."""
    if erp_at is not None and crm_at is not None and crm_at > erp_at:
        return "crm"
    return "erp"


def merge(
    base: dict[str, Any] | None,
    erp: SideState,
    crm: SideState,
    policy: MergePolicy,
    resolutions: Mapping[str, Any] = _EMPTY,
) -> MergeResult:
    """Decide what each side must write so both hold the same record (see the module doc).

    ``resolutions``: path -> value a person chose for an open conflict. It is written to both sides
    (where they differ from it) and becomes the new base. For the record path ``*`` the value is
    None (delete everywhere) or the whole record to keep on both sides.
    """
    result = _merge(base, erp, crm, policy, resolutions)
    return _archived(result, erp, crm) if policy.deletes == "archive" else result


def _archived(result: MergeResult, erp: SideState, crm: SideState) -> MergeResult:
    """Every delete the merge decided, as a deactivation of the side that still holds the record."""
    if "delete" not in (result.erp_action, result.crm_action):
        return result
    actions: dict[str, Action] = {"erp": result.erp_action, "crm": result.crm_action}
    patches = {"erp": result.erp_patch, "crm": result.crm_patch}
    merged: dict[str, Any] | None = None
    for role, state in (("erp", erp), ("crm", crm)):
        if actions[role] != "delete":
            continue
        assert state.record is not None  # a delete is only decided for a side that holds the record
        merged = {**state.record, "active": False}
        if state.record.get("active") is False:
            actions[role], patches[role] = "none", {}
        else:
            actions[role], patches[role] = "update", {"active": False}
    return MergeResult(
        merged=merged,
        erp_action=actions["erp"],
        crm_action=actions["crm"],
        erp_patch=patches["erp"],
        crm_patch=patches["crm"],
        conflicts=result.conflicts,
        snapshot=merged,
    )


def _merge(
    base: dict[str, Any] | None,
    erp: SideState,
    crm: SideState,
    policy: MergePolicy,
    resolutions: Mapping[str, Any],
) -> MergeResult:
    sides = {"erp": erp, "crm": crm}
    present = {role: state.record if not state.deleted else None for role, state in sides.items()}
    source = policy.source

    if RECORD_PATH in resolutions and source is None:
        return _settle(resolutions[RECORD_PATH], present, ())

    if source is not None:
        return _merge_one_way(base, present, sides, source, policy)

    erp_rec, crm_rec = present["erp"], present["crm"]
    if erp_rec is not None and crm_rec is not None:
        if erp_rec == crm_rec and not resolutions:  # in sync already (the usual case): nothing to do
            return MergeResult(dict(erp_rec), "none", "none", {}, {}, (), dict(erp_rec))
        merger = _FieldMerger(policy, erp, crm, resolutions)
        if not resolutions and base is not None and (erp_rec is base or crm_rec is base):
            merged = merger.one_side_changed(base, erp_rec, crm_rec)
            return _result(merged, present, {"erp": merged, "crm": merged}, (), dict(merged))
        values = merger.record(base, erp_rec, crm_rec)
        targets = {
            "erp": {name: v.erp for name, v in values.items()},
            "crm": {name: v.crm for name, v in values.items()},
        }
        snapshot = {name: v.snap for name, v in values.items()}
        return _result(targets["erp"], present, targets, tuple(merger.conflicts), snapshot)

    if erp_rec is None and crm_rec is None:
        return _result(None, present, {"erp": None, "crm": None}, (), None)

    # One side holds the record, the other does not.
    holder: Role = "erp" if erp_rec is not None else "crm"
    missing = _other(holder)
    record = present[holder]
    assert record is not None
    if not sides[missing].deleted:
        return _settle(record, present, ())  # never there: create it
    if policy.deletes == "ignore":
        return _result(record, present, {holder: record, missing: None}, (), base)
    holder_changed = base is None or not _records_equal(record, base)
    if not holder_changed:
        return _settle(None, present, ())
    winner: Role | None
    if policy.conflict_policy == "manual":
        winner = None
    elif policy.conflict_policy == "newest":
        winner = _newest(erp.changed_at, crm.changed_at)
    else:
        winner = policy.conflict_policy
    if winner is None:
        conflict = FieldConflict(
            RECORD_PATH,
            base,
            present["erp"],
            present["crm"],
            erp.changed_at,
            crm.changed_at,
            kind="delete",
        )
        return _result(record, present, {holder: record, missing: None}, (conflict,), base)
    return _settle(record if winner == holder else None, present, ())


def _merge_one_way(
    base: dict[str, Any] | None,
    present: dict[str, dict[str, Any] | None],
    sides: dict[str, SideState],
    source: Role,
    policy: MergePolicy,
) -> MergeResult:
    target = _other(source)
    record = present[source]
    if record is None:
        # Source gone: delete the target's copy, unless deletes are ignored or it never existed.
        if not sides[source].deleted or policy.deletes == "ignore":
            return _result(None, present, {source: None, target: present[target]}, (), base)
        return _result(None, present, {source: None, target: None}, (), None)
    if present[target] is None and sides[target].deleted and policy.deletes == "ignore":
        return _result(record, present, {source: record, target: None}, (), base)
    return _result(record, present, {source: record, target: record}, (), record)


def _settle(
    record: dict[str, Any] | None,
    present: dict[str, dict[str, Any] | None],
    conflicts: tuple[FieldConflict, ...],
) -> MergeResult:
    """Both sides end up holding ``record`` (None = deleted on both)."""
    return _result(record, present, {"erp": record, "crm": record}, conflicts, record)


def _records_equal(left: dict[str, Any], right: dict[str, Any]) -> bool:
    return all(values_equal(name, left.get(name), right.get(name)) for name in dict.fromkeys([*left, *right]))


def _result(
    merged: dict[str, Any] | None,
    present: Mapping[str, dict[str, Any] | None],
    targets: Mapping[str, dict[str, Any] | None],
    conflicts: tuple[FieldConflict, ...],
    snapshot: dict[str, Any] | None,
) -> MergeResult:
    """Turn what each side should hold into the action and the patch that gets it there."""
    actions: dict[str, Action] = {}
    patches: dict[str, dict[str, Any]] = {}
    for role in ("erp", "crm"):
        now, want = present[role], targets[role]
        if want is None:
            actions[role], patches[role] = ("delete" if now is not None else "none"), {}
        elif now is None:
            actions[role], patches[role] = "create", dict(want)
        elif now is want or now == want:  # the side already holds it (the source of a one-way flow)
            actions[role], patches[role] = "none", {}
        else:
            patch = {
                name: value for name, value in want.items() if not values_equal(name, now.get(name), value)
            }
            actions[role], patches[role] = ("update" if patch else "none"), patch
    return MergeResult(
        merged=merged,
        erp_action=actions["erp"],
        crm_action=actions["crm"],
        erp_patch=patches["erp"],
        crm_patch=patches["crm"],
        conflicts=conflicts,
        snapshot=snapshot,
    )

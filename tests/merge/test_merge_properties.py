"""Properties of the merge over generated customers (Unicode, contacts and addresses lists)."""

from __future__ import annotations

import copy
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sync_engine.identity import normalise
from sync_engine.merge import MergePolicy, MergeResult, SideState, apply_patch, merge, values_equal

# Per-test settings (a profile would leak into other test modules). Raise the count for a deep run:
# SYNCHUB_MERGE_EXAMPLES=5000 pytest tests/merge
PROPERTY = settings(max_examples=int(os.environ.get("SYNCHUB_MERGE_EXAMPLES", "100")), deadline=None)

TEXT = [None, "ACME", "acme gmbh", "株式会社 山田", "山田 花子", "شركة النور", "محمد", "Ünïcödé", ""]
SCALARS = ["name", "legal_form", "tax_id", "payment_terms", "currency", "credit_limit", "active"]
EMAILS = ["a@x.com", "B@X.com", "李@例.cn", "علي@مثال.com", "hanako@example.jp"]
PHONES = [None, "+81 3 0000", "+971 4 000", "+49 30 1"]
MONEY = [None, {"amount": "10.00", "currency": "EUR"}, {"amount": "10.00", "currency": "JPY"}]
KINDS = ["invoice", "delivery", "other"]

scalar_values = {
    "name": st.sampled_from(["ACME", "株式会社 山田", "شركة النور", "Ünïcödé"]),
    "legal_form": st.sampled_from(TEXT),
    "tax_id": st.sampled_from([None, "DE1", "JP\uff12\uff13"]),  # full-width digits
    "payment_terms": st.sampled_from(TEXT),
    "currency": st.sampled_from([None, "EUR", "JPY"]),
    "credit_limit": st.sampled_from(MONEY),
    "active": st.booleans(),
}


def contact_for(email: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "name": st.sampled_from(["山田 花子", "محمد علي", "Li Na"]),
            "email": st.just(email),
            "phone": st.sampled_from(PHONES),
            "role": st.sampled_from(TEXT),
        }
    )


def address_for(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "kind": st.just(kind),
            "city": st.sampled_from(["東京", "القاهرة", "Berlin"]),
            "street": st.sampled_from(TEXT),
        }
    )


@st.composite
def keyed_items(draw: st.DrawFn, keys: list[str], make) -> list[dict[str, Any]]:
    chosen = draw(st.lists(st.sampled_from(keys), unique_by=normalise, max_size=len(keys)))
    return [draw(make(key)) for key in chosen]


@st.composite
def customers(draw: st.DrawFn) -> dict[str, Any]:
    record = {name: draw(strategy) for name, strategy in scalar_values.items()}
    record["contacts"] = draw(keyed_items(EMAILS, contact_for))
    record["addresses"] = draw(keyed_items(KINDS, address_for))
    return record


@st.composite
def edited_items(draw: st.DrawFn, items: list[dict[str, Any]], keys: list[str], make) -> list[dict[str, Any]]:
    """Keep, edit or remove each item; maybe add new ones; maybe shuffle."""
    out: list[dict[str, Any]] = []
    for item in items:
        what = draw(st.sampled_from(["keep", "keep", "edit", "remove"]))
        if what == "keep":
            out.append(item)
        elif what == "edit":
            fresh = draw(make(item.get("email") or item.get("kind")))
            field = draw(st.sampled_from([f for f in item if f not in ("email", "kind")]))
            out.append({**item, field: fresh[field]})
    taken = {normalise(i.get("email") or i.get("kind")) for i in out} | {
        normalise(i.get("email") or i.get("kind")) for i in items
    }
    for key in draw(st.lists(st.sampled_from(keys), unique_by=normalise, max_size=2)):
        if normalise(key) not in taken:
            out.append(draw(make(key)))
            taken.add(normalise(key))
    return draw(st.permutations(out))


@st.composite
def edited(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """A side's version of ``base``: each field kept (often) or changed."""
    record = dict(base)
    for name, strategy in scalar_values.items():
        if draw(st.integers(0, 2)) == 0:
            record[name] = draw(strategy)
    if draw(st.booleans()):
        record["contacts"] = draw(edited_items(base["contacts"], EMAILS, contact_for))
    if draw(st.booleans()):
        record["addresses"] = draw(edited_items(base["addresses"], KINDS, address_for))
    return record


@st.composite
def scenarios(draw: st.DrawFn, with_base: bool | None = None) -> tuple[Any, dict, dict]:
    """(base, erp, crm): both sides edited from a common base, or a first sync (no base)."""
    if with_base is None:
        with_base = draw(st.integers(0, 3)) > 0
    if with_base:
        base = draw(customers())
        return base, draw(edited(base)), draw(edited(base))
    return None, draw(customers()), draw(customers())


T0 = datetime(2026, 3, 1, tzinfo=UTC)
times = st.integers(0, 5).map(lambda minutes: T0 + timedelta(minutes=minutes))


@st.composite
def policies(draw: st.DrawFn) -> MergePolicy:
    owners = draw(
        st.dictionaries(
            st.sampled_from([*SCALARS, "contacts", "addresses"]), st.sampled_from(["erp", "crm"]), max_size=3
        )
    )
    return MergePolicy(
        conflict_policy=draw(st.sampled_from(["manual", "newest", "erp", "crm"])), field_owners=owners
    )


def after(record: dict | None, result: MergeResult, role: str) -> dict | None:
    return apply_patch(record, getattr(result, f"{role}_action"), getattr(result, f"{role}_patch"))


def same_record(left: dict | None, right: dict | None) -> bool:
    if left is None or right is None:
        return left is right
    return all(values_equal(n, left.get(n), right.get(n)) for n in {*left, *right})


def held_fields(result: MergeResult) -> set[str]:
    return {c.field.split("[")[0] for c in result.conflicts}


@PROPERTY
@given(scenarios(), policies(), times, times)
def test_without_conflicts_both_sides_converge_on_merged(scenario, policy, erp_at, crm_at) -> None:
    base, erp, crm = scenario
    result = merge(base, SideState(erp, erp_at), SideState(crm, crm_at), policy)
    erp_after, crm_after = after(erp, result, "erp"), after(crm, result, "crm")
    # erp always ends up holding ``merged``; crm too, except for the fields held for a person.
    assert same_record(erp_after, result.merged)
    held = held_fields(result)
    for name in {*crm_after, *result.merged} - held:
        assert values_equal(name, crm_after.get(name), result.merged.get(name)), name
    if not result.conflicts:
        assert same_record(result.snapshot, result.merged)


@PROPERTY
@given(scenarios(), policies(), times, times)
def test_merging_the_written_result_again_changes_nothing(scenario, policy, erp_at, crm_at) -> None:
    base, erp, crm = scenario
    first = merge(base, SideState(erp, erp_at), SideState(crm, crm_at), policy)
    erp_after, crm_after = after(erp, first, "erp"), after(crm, first, "crm")
    second = merge(first.snapshot, SideState(erp_after, erp_at), SideState(crm_after, crm_at), policy)
    assert (second.erp_action, second.crm_action) == ("none", "none")
    assert second.conflicts == first.conflicts


@PROPERTY
@given(scenarios(with_base=True), policies(), times, times)
def test_a_change_on_one_side_only_always_reaches_the_other(scenario, policy, erp_at, crm_at) -> None:
    base, erp, crm = scenario
    result = merge(base, SideState(erp, erp_at), SideState(crm, crm_at), policy)
    erp_after, crm_after = after(erp, result, "erp"), after(crm, result, "crm")
    for name in base:
        erp_changed = not values_equal(name, erp[name], base[name])
        crm_changed = not values_equal(name, crm[name], base[name])
        if erp_changed and not crm_changed:
            assert values_equal(name, crm_after[name], erp[name]), name
        if crm_changed and not erp_changed:
            assert values_equal(name, erp_after[name], crm[name]), name


@PROPERTY
@given(scenarios(with_base=True), policies(), st.sampled_from(["erp", "crm"]), times, times)
def test_a_side_that_still_holds_the_base_object_merges_as_a_copy_of_it_would(
    scenario, policy, unchanged, erp_at, crm_at
) -> None:
    """The engine hands the merge the snapshot itself for a side that did not change; the shortcut
    taken then gives the very result (down to the key order of the snapshot) of an equal copy."""
    base, erp, crm = scenario
    records = {"erp": erp, "crm": crm, unchanged: base}
    copies = {**records, unchanged: copy.deepcopy(base)}
    fast = merge(base, SideState(records["erp"], erp_at), SideState(records["crm"], crm_at), policy)
    slow = merge(base, SideState(copies["erp"], erp_at), SideState(copies["crm"], crm_at), policy)
    assert fast == slow
    assert json.dumps(fast.snapshot) == json.dumps(slow.snapshot)
    assert fast.conflicts == ()
    assert fast.snapshot is not fast.merged  # the link's snapshot is a dict of its own


def expected_conflicts(base: dict, erp: dict, crm: dict) -> set[str]:
    """Independent statement of 'both sides changed it differently' for the manual policy."""
    paths = {n for n in SCALARS if erp[n] != base[n] and crm[n] != base[n] and erp[n] != crm[n]}
    for name, key_field in (("contacts", "email"), ("addresses", "kind")):
        by_key = [{normalise(i[key_field]): i for i in rec[name]} for rec in (base, erp, crm)]
        b, e, c = by_key
        for key, item in b.items():
            if key in e and key in c:
                paths |= {
                    f"{name}[{key}].{f}"
                    for f in item
                    if e[key][f] != item[f] and c[key][f] != item[f] and e[key][f] != c[key][f]
                }
            elif (key in e) != (key in c):
                survivor = e.get(key) or c.get(key)
                if survivor != item:
                    paths.add(f"{name}[{key}]")
        for key in (e.keys() & c.keys()) - b.keys():  # added on both sides: no base, None fills
            paths |= {
                f"{name}[{key}].{f}"
                for f in e[key]
                if e[key][f] is not None and c[key][f] is not None and e[key][f] != c[key][f]
            }
    return paths


@PROPERTY
@given(scenarios(with_base=True))
def test_manual_conflicts_are_exactly_the_fields_both_sides_changed_differently(scenario) -> None:
    base, erp, crm = scenario
    result = merge(base, SideState(erp), SideState(crm), MergePolicy())
    assert {c.field for c in result.conflicts} == expected_conflicts(base, erp, crm)
    assert len(result.conflicts) == len({c.field for c in result.conflicts})


@PROPERTY
@given(scenarios(with_base=True), policies())
def test_owners_and_side_policies_never_leave_conflicts(scenario, policy) -> None:
    base, erp, crm = scenario
    if policy.conflict_policy == "manual":
        policy = MergePolicy(conflict_policy="erp", field_owners=policy.field_owners)
    assert merge(base, SideState(erp), SideState(crm), policy).conflicts == ()


@PROPERTY
@given(scenarios(), st.data())
def test_a_resolution_is_applied_once_and_then_nothing_is_left(scenario, data) -> None:
    base, erp, crm = scenario
    policy = MergePolicy()
    first = merge(base, SideState(erp), SideState(crm), policy)
    resolutions = {c.field: data.draw(st.sampled_from([c.erp, c.crm])) for c in first.conflicts}
    resolved = merge(base, SideState(erp), SideState(crm), policy, resolutions)
    assert resolved.conflicts == ()
    erp_after, crm_after = after(erp, resolved, "erp"), after(crm, resolved, "crm")
    assert same_record(erp_after, crm_after)
    again = merge(resolved.snapshot, SideState(erp_after), SideState(crm_after), policy)
    assert (again.erp_action, again.crm_action, again.conflicts) == ("none", "none", ())


@PROPERTY
@given(scenarios(), policies(), times, times)
def test_swapping_erp_and_crm_mirrors_the_result(scenario, policy, erp_at, crm_at) -> None:
    base, erp, crm = scenario
    if policy.conflict_policy == "newest" and erp_at == crm_at:
        crm_at += timedelta(seconds=1)  # a tie is broken in erp's favour on purpose: not symmetric
    result = merge(base, SideState(erp, erp_at), SideState(crm, crm_at), policy)
    mirror = merge(base, SideState(crm, crm_at), SideState(erp, erp_at), policy.mirrored())
    assert (result.erp_action, result.crm_action) == (mirror.crm_action, mirror.erp_action)
    assert same_record(result.erp_patch, mirror.crm_patch) and same_record(result.crm_patch, mirror.erp_patch)
    assert same_record(result.snapshot, mirror.snapshot)
    # Same conflicts (their order follows the field order of the records, so compare sorted by path).
    assert sorted((c.field, str(c.base), str(c.erp), str(c.crm)) for c in result.conflicts) == sorted(
        (c.field, str(c.base), str(c.crm), str(c.erp)) for c in mirror.conflicts
    )
    if not result.conflicts:
        assert same_record(result.merged, mirror.merged)


@st.composite
def sides_with_deletes(draw: st.DrawFn):
    base, erp, crm = draw(scenarios(with_base=True))
    erp_state = (
        SideState(None, draw(times), deleted=True) if draw(st.booleans()) else SideState(erp, draw(times))
    )
    crm_state = (
        SideState(None, draw(times), deleted=True) if draw(st.booleans()) else SideState(crm, draw(times))
    )
    return base, erp_state, crm_state


@PROPERTY
@given(sides_with_deletes(), policies())
def test_deletes_converge_unless_held_or_ignored(scenario, policy) -> None:
    base, erp, crm = scenario
    result = merge(base, erp, crm, policy)
    erp_after, crm_after = after(erp.record, result, "erp"), after(crm.record, result, "crm")
    if not result.conflicts:
        assert (erp_after is None) == (crm_after is None) == (result.merged is None)
    else:
        assert [c.kind for c in result.conflicts] in (["delete"], ["field"] * len(result.conflicts))
    if erp.deleted and crm.deleted:
        assert (result.erp_action, result.crm_action) == ("none", "none")


@PROPERTY
@given(scenarios(), st.sampled_from(["erp_to_crm", "crm_to_erp"]), times, times)
def test_one_way_target_becomes_the_source_and_the_source_is_never_written(scenario, direction, e_at, c_at):
    base, erp, crm = scenario
    result = merge(base, SideState(erp, e_at), SideState(crm, c_at), MergePolicy(direction=direction))
    source, target = ("erp", "crm") if direction == "erp_to_crm" else ("crm", "erp")
    records = {"erp": erp, "crm": crm}
    assert getattr(result, f"{source}_action") == "none"
    assert result.conflicts == ()
    assert same_record(after(records[target], result, target), records[source])

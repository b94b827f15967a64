"""Record-level rules: creates, deletes and one-way flows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from merge_records import customer

from sync_engine.merge import RECORD_PATH, MergePolicy, SideState, merge

T1 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
GONE = SideState(None, T2, deleted=True)


def test_record_on_one_side_only_is_created_on_the_other() -> None:
    record = customer()
    result = merge(None, SideState(record, T1), SideState(None), MergePolicy())
    assert (result.erp_action, result.crm_action) == ("none", "create")
    assert result.crm_patch == record
    assert result.snapshot == result.merged == record


def test_record_absent_everywhere_needs_nothing() -> None:
    result = merge(None, SideState(None), SideState(None), MergePolicy())
    assert (result.erp_action, result.crm_action, result.merged) == ("none", "none", None)


def test_delete_with_other_side_unchanged_is_propagated() -> None:
    base = customer()
    result = merge(base, GONE, SideState(customer(), T1), MergePolicy())
    assert (result.erp_action, result.crm_action) == ("none", "delete")
    assert result.merged is None and result.snapshot is None


def test_delete_is_ignored_when_the_flow_says_so() -> None:
    base = customer()
    result = merge(base, GONE, SideState(customer(), T1), MergePolicy(deletes="ignore"))
    assert (result.erp_action, result.crm_action) == ("none", "none")
    assert result.conflicts == ()


def test_delete_against_an_update_is_a_delete_conflict_under_manual() -> None:
    base = customer()
    changed = customer(name="Neu")
    result = merge(base, GONE, SideState(changed, T1), MergePolicy())
    [conflict] = result.conflicts
    assert (conflict.kind, conflict.field) == ("delete", RECORD_PATH)
    assert (conflict.base, conflict.erp, conflict.crm) == (base, None, changed)
    assert (result.erp_action, result.crm_action) == ("none", "none")
    assert result.snapshot == base


@pytest.mark.parametrize(
    ("policy", "erp_action", "crm_action"),
    [("erp", "none", "delete"), ("crm", "create", "none")],
)
def test_delete_against_update_goes_to_the_winning_side(policy, erp_action, crm_action) -> None:
    base = customer()
    changed = customer(name="Neu")
    result = merge(base, GONE, SideState(changed, T1), MergePolicy(conflict_policy=policy))
    assert (result.erp_action, result.crm_action) == (erp_action, crm_action)
    if policy == "crm":
        assert result.erp_patch == changed == result.snapshot


@pytest.mark.parametrize(("update_at", "deleted"), [(T1, True), (T2 + (T2 - T1), False)])
def test_delete_against_update_under_newest_takes_the_later(update_at, deleted: bool) -> None:
    base = customer()
    result = merge(
        base, SideState(customer(name="Neu"), update_at), GONE, MergePolicy(conflict_policy="newest")
    )
    assert result.erp_action == ("delete" if deleted else "none")
    assert result.crm_action == ("none" if deleted else "create")


def test_deleted_on_both_sides_needs_nothing() -> None:
    result = merge(customer(), GONE, GONE, MergePolicy())
    assert (result.erp_action, result.crm_action, result.snapshot) == ("none", "none", None)


def test_record_resolution_keeps_the_chosen_record_on_both_sides() -> None:
    base, changed = customer(), customer(name="Neu")
    result = merge(base, GONE, SideState(changed), MergePolicy(), resolutions={RECORD_PATH: changed})
    assert (result.erp_action, result.crm_action) == ("create", "none")
    assert result.snapshot == changed


def test_record_resolution_none_deletes_everywhere() -> None:
    result = merge(customer(), GONE, SideState(customer(name="Neu")), MergePolicy(), {RECORD_PATH: None})
    assert (result.erp_action, result.crm_action, result.snapshot) == ("none", "delete", None)


ONE_WAY = MergePolicy(direction="erp_to_crm")


def test_one_way_overwrites_target_edits_and_never_writes_the_source() -> None:
    base = customer()
    erp = customer(payment_terms="net 60")
    crm = customer(name="Edited in CRM", payment_terms="net 10")
    result = merge(base, SideState(erp, T1), SideState(crm, T2), ONE_WAY)
    assert result.erp_action == "none" and result.erp_patch == {}
    assert result.crm_patch == {"name": erp["name"], "payment_terms": "net 60"}
    assert result.conflicts == ()
    assert result.snapshot == erp


def test_one_way_never_creates_on_the_source() -> None:
    result = merge(None, SideState(None), SideState(customer()), ONE_WAY)
    assert (result.erp_action, result.crm_action) == ("none", "none")


def test_one_way_source_delete_deletes_the_target_copy() -> None:
    result = merge(customer(), GONE, SideState(customer(name="x")), ONE_WAY)
    assert (result.erp_action, result.crm_action) == ("none", "delete")


def test_one_way_target_delete_is_undone() -> None:
    record = customer()
    result = merge(record, SideState(record), GONE, ONE_WAY)
    assert result.crm_action == "create" and result.crm_patch == record


def test_one_way_with_ignored_deletes_leaves_both_alone() -> None:
    policy = MergePolicy(direction="crm_to_erp", deletes="ignore")
    record = customer()
    assert merge(record, SideState(record), GONE, policy).erp_action == "none"
    assert merge(record, GONE, SideState(record), policy).crm_action == "none"


def test_one_way_ignores_conflict_policy_and_resolutions() -> None:
    base = customer(name="Alt")
    result = merge(base, SideState(customer(name="E")), SideState(customer(name="C")), ONE_WAY, {"name": "Z"})
    assert result.erp_action == "none"
    assert result.crm_patch == {"name": "E"}


# -- deletes: archive (deactivate instead of deleting) ---------------------------------------------

ARCHIVE = MergePolicy(deletes="archive")


def test_archive_deactivates_the_other_side_instead_of_deleting() -> None:
    base = customer()
    result = merge(base, GONE, SideState(customer(), T1), ARCHIVE)
    assert (result.erp_action, result.crm_action) == ("none", "update")
    assert result.crm_patch == {"active": False}
    assert result.merged == result.snapshot == {**base, "active": False}


def test_archive_of_a_record_already_inactive_writes_nothing() -> None:
    inactive = customer(active=False)
    result = merge(inactive, SideState(inactive, T1), GONE, ARCHIVE)
    assert (result.erp_action, result.crm_action) == ("none", "none")
    assert result.snapshot == inactive


def test_archive_in_a_one_way_flow_deactivates_the_target_copy() -> None:
    policy = MergePolicy(direction="erp_to_crm", deletes="archive")
    result = merge(customer(), GONE, SideState(customer(), T1), policy)
    assert (result.erp_action, result.crm_action, result.crm_patch) == ("none", "update", {"active": False})


def test_archive_keeps_a_delete_against_an_update_a_conflict_and_its_resolution_deactivates() -> None:
    base = customer()
    edited = SideState(customer(payment_terms="60 days"), T1)
    held = merge(base, GONE, edited, ARCHIVE)
    assert (held.erp_action, held.crm_action) == ("none", "none")
    assert [c.kind for c in held.conflicts] == ["delete"]

    resolved = merge(base, GONE, edited, ARCHIVE, {RECORD_PATH: None})
    assert (resolved.crm_action, resolved.crm_patch) == ("update", {"active": False})
    assert resolved.snapshot == {**customer(payment_terms="60 days"), "active": False}

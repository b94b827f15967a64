"""Field-level rules of the three-way merge (two-way flows, record on both sides)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from merge_records import customer

from sync_engine.merge import FieldConflict, MergePolicy, SideState, merge

T1 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)


def sides(erp: dict, crm: dict, erp_at: datetime | None = T1, crm_at: datetime | None = T2):
    return SideState(erp, erp_at), SideState(crm, crm_at)


def test_unchanged_record_needs_no_writes() -> None:
    base = customer()
    result = merge(base, *sides(customer(), customer()), MergePolicy())
    assert (result.erp_action, result.crm_action) == ("none", "none")
    assert result.erp_patch == result.crm_patch == {}
    assert result.conflicts == ()
    assert result.snapshot == base == result.merged


def test_change_on_one_side_is_written_to_the_other_only() -> None:
    base = customer()
    result = merge(base, *sides(customer(payment_terms="60 days"), customer()), MergePolicy())
    assert result.crm_action == "update"
    assert result.crm_patch == {"payment_terms": "60 days"}
    assert result.erp_action == "none"
    assert result.merged["payment_terms"] == result.snapshot["payment_terms"] == "60 days"


def test_our_own_earlier_write_is_not_seen_as_a_change() -> None:
    # Echo suppression: erp holds what we wrote last run (== base); crm changed since.
    base = customer(name="ACME")
    result = merge(base, *sides(customer(name="ACME"), customer(name="ACME Ltd")), MergePolicy())
    assert result.erp_patch == {"name": "ACME Ltd"}
    assert result.crm_action == "none"


def test_both_sides_changing_a_field_to_the_same_value_is_no_conflict() -> None:
    base = customer()
    result = merge(base, *sides(customer(name="Neu"), customer(name="Neu")), MergePolicy())
    assert result.conflicts == ()
    assert (result.erp_action, result.crm_action) == ("none", "none")
    assert result.snapshot["name"] == "Neu"


def test_different_fields_changed_on_each_side_both_survive() -> None:
    base = customer()
    result = merge(base, *sides(customer(name="Neu"), customer(payment_terms="net 10")), MergePolicy())
    assert result.erp_patch == {"payment_terms": "net 10"}
    assert result.crm_patch == {"name": "Neu"}
    assert result.merged["name"] == "Neu" and result.merged["payment_terms"] == "net 10"


def test_manual_policy_holds_a_field_both_sides_changed_and_reports_it() -> None:
    base = customer(name="Alt")
    result = merge(base, *sides(customer(name="Erp-Name"), customer(name="Crm-Name")), MergePolicy())
    assert result.conflicts == (FieldConflict("name", "Alt", "Erp-Name", "Crm-Name", T1, T2),)
    assert result.erp_patch == result.crm_patch == {}
    # The snapshot keeps the old base so the conflict is found again next run.
    assert result.snapshot["name"] == "Alt"


def test_held_field_does_not_block_other_fields() -> None:
    base = customer(name="Alt")
    erp = customer(name="Erp-Name", payment_terms="net 5")
    crm = customer(name="Crm-Name")
    result = merge(base, *sides(erp, crm), MergePolicy())
    assert [c.field for c in result.conflicts] == ["name"]
    assert result.crm_patch == {"payment_terms": "net 5"}
    assert result.snapshot["payment_terms"] == "net 5"


def test_field_owner_wins_a_field_both_changed() -> None:
    base = customer()
    erp = customer(credit_limit={"amount": "9000.00", "currency": "JPY"})
    crm = customer(credit_limit={"amount": "1.00", "currency": "JPY"})
    result = merge(base, *sides(erp, crm), MergePolicy(field_owners={"credit_limit": "erp"}))
    assert result.conflicts == ()
    assert result.crm_patch == {"credit_limit": erp["credit_limit"]}  # {"amount": "9000", ...}


def test_owner_does_not_block_a_change_made_only_by_the_other_side() -> None:
    base = customer()
    crm = customer(credit_limit={"amount": "1.00", "currency": "JPY"})
    result = merge(base, *sides(customer(), crm), MergePolicy(field_owners={"credit_limit": "erp"}))
    assert result.erp_patch == {"credit_limit": {"amount": "1", "currency": "JPY"}}  # canonical form


@pytest.mark.parametrize(("policy", "winner"), [("erp", "Erp-Name"), ("crm", "Crm-Name")])
def test_side_policy_lets_that_side_win(policy: str, winner: str) -> None:
    base = customer(name="Alt")
    result = merge(
        base,
        *sides(customer(name="Erp-Name"), customer(name="Crm-Name")),
        MergePolicy(conflict_policy=policy),
    )
    assert result.conflicts == ()
    assert result.merged["name"] == result.snapshot["name"] == winner


@pytest.mark.parametrize(
    ("erp_at", "crm_at", "winner"),
    [
        (T1, T2, "Crm-Name"),
        (T2, T1, "Erp-Name"),
        (T1, T1, "Erp-Name"),  # tie: erp wins
        (None, T2, "Erp-Name"),  # unknown time: erp wins
        (T2, None, "Erp-Name"),
    ],
)
def test_newest_policy_takes_the_later_change(erp_at, crm_at, winner: str) -> None:
    base = customer(name="Alt")
    erp, crm = customer(name="Erp-Name"), customer(name="Crm-Name")
    result = merge(base, *sides(erp, crm, erp_at, crm_at), MergePolicy(conflict_policy="newest"))
    assert result.conflicts == ()
    assert result.merged["name"] == winner


def test_money_is_compared_and_written_as_a_whole_value() -> None:
    base = customer()
    erp = customer(credit_limit={"amount": "5000.00", "currency": "EUR"})
    result = merge(base, *sides(erp, customer()), MergePolicy())
    assert result.crm_patch == {"credit_limit": {"amount": "5000", "currency": "EUR"}}  # canonical form


def test_first_sync_fills_fields_empty_on_one_side() -> None:
    erp = customer(payment_terms="30 days", legal_form=None)
    crm = customer(payment_terms=None, legal_form="KK")
    result = merge(None, *sides(erp, crm), MergePolicy())
    assert result.conflicts == ()
    assert result.erp_patch == {"legal_form": "KK"}
    assert result.crm_patch == {"payment_terms": "30 days"}
    assert result.snapshot == result.merged


def test_first_sync_differing_fields_are_conflicts_under_manual() -> None:
    result = merge(None, *sides(customer(name="A"), customer(name="B")), MergePolicy())
    assert result.conflicts == (FieldConflict("name", None, "A", "B", T1, T2),)
    assert result.snapshot["name"] is None


def test_first_sync_differing_fields_go_to_the_owner() -> None:
    policy = MergePolicy(field_owners={"name": "crm"})
    result = merge(None, *sides(customer(name="A"), customer(name="B")), policy)
    assert result.erp_patch == {"name": "B"}
    assert result.conflicts == ()


def test_resolution_is_written_to_both_sides_and_becomes_the_base() -> None:
    base = customer(name="Alt")
    erp, crm = customer(name="Erp-Name"), customer(name="Crm-Name")
    result = merge(base, *sides(erp, crm), MergePolicy(), resolutions={"name": "Crm-Name"})
    assert result.conflicts == ()
    assert result.erp_patch == {"name": "Crm-Name"}
    assert result.crm_action == "none"
    assert result.snapshot["name"] == "Crm-Name"


def test_resolution_with_a_new_value_is_written_everywhere() -> None:
    base = customer(name="Alt")
    result = merge(
        base, *sides(customer(name="E"), customer(name="C")), MergePolicy(), resolutions={"name": "Drei"}
    )
    assert result.erp_patch == result.crm_patch == {"name": "Drei"}
    assert result.merged["name"] == result.snapshot["name"] == "Drei"


def test_a_field_missing_from_a_side_counts_as_empty() -> None:
    base = customer()
    erp = {k: v for k, v in customer().items() if k != "legal_form"}
    result = merge(base, *sides(erp, customer(legal_form="GmbH")), MergePolicy())
    assert result.erp_patch == {"legal_form": "GmbH"}

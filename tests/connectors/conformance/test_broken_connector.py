"""The suite can fail: each check fails on a connector that breaks the rule it pins, and passes on the
same connector when nothing is broken (so the failure is the rule's, not the toy's)."""

from __future__ import annotations

import pytest

from tests.connectors.conformance import harness
from tests.connectors.conformance.toy import toy_subject

PINS = {
    harness.check_records_come_in_modified_id_order: "order",
    harness.check_a_cursor_resumes_exactly_after_the_last_record: "resume",
    harness.check_one_result_per_request_and_a_bad_record_fails_alone: "results",
    harness.check_a_refusal_is_permanent_and_names_record_and_field: "refusal",
    harness.check_create_with_the_same_ref_is_idempotent: "upsert",
    harness.check_delete_is_idempotent_and_visible: "delete",
    harness.check_a_read_after_a_write_returns_what_the_system_saved: "saved",
    harness.check_an_outage_is_a_transient_error: "outage",
}


def test_every_check_of_the_suite_is_pinned_by_a_breakage() -> None:
    assert set(PINS) == set(harness.CHECKS)


@pytest.mark.parametrize(
    "check", harness.CHECKS, ids=[c.__name__.removeprefix("check_") for c in harness.CHECKS]
)
def test_a_check_passes_on_the_sound_toy_and_fails_when_its_rule_is_broken(check) -> None:
    check(toy_subject())
    with pytest.raises(AssertionError):
        check(toy_subject(frozenset({PINS[check]})))

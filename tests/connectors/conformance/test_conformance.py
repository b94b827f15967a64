"""Every connector passes every check of the conformance suite, against its real server or emulator.

A check that does not apply to what a connector declares (a snapshot entity has no cursor, a system
without upsert-by-ref) passes by doing nothing; what a connector must do, it is checked to do.
"""

from __future__ import annotations

import pytest

from tests.connectors.conformance.harness import CHECKS, Subject


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__.removeprefix("check_") for c in CHECKS])
def test_connector_conforms(subject: Subject, check) -> None:
    check(subject)

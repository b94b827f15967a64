"""Every connector's conformance subjects. A connector adds a module under ``subjects/`` with fixtures
named ``subject_<name>`` and lists the names here; each subject runs every check of the harness."""

from __future__ import annotations

import pytest

from tests.connectors.conformance.harness import Subject
from tests.connectors.conformance.subjects.memory import (  # noqa: F401 - fixtures
    subject_memory_cursor,
    subject_memory_snapshot,
)
from tests.connectors.conformance.subjects.salesforce import SALESFORCE_SUBJECTS

globals().update(SALESFORCE_SUBJECTS)  # every entity on every org shape: fixtures made in a loop

SUBJECTS = [
    "memory_cursor",
    "memory_snapshot",
    *(name.removeprefix("subject_") for name in SALESFORCE_SUBJECTS),
]


@pytest.fixture(params=SUBJECTS)
def subject(request: pytest.FixtureRequest) -> Subject:
    return request.getfixturevalue(f"subject_{request.param}")

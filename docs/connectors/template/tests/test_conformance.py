"""MyCRM's conformance subject: add it to SyncHub's suite (tests/connectors/conformance/conftest.py)
or run the suite's checks from here against a test instance of MyCRM."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from synchub_mycrm import MyCrmConnector

from connectors.base import ConnectionSettings
from tests.connectors.conformance.faults import FaultProxy
from tests.connectors.conformance.harness import CHECKS, Subject


@pytest.fixture
def subject_mycrm() -> Iterator[Subject]:
    url = os.environ.get("MYCRM_TEST_URL")  # ADAPT: start a real test instance here if you can
    if not url:
        pytest.skip("MYCRM_TEST_URL is not set: no MyCRM test instance to run the conformance suite against")
    proxy = FaultProxy(url)  # answers 503 or hangs when a check asks for an outage
    host, port = proxy.url.removeprefix("http://").split(":")
    settings = ConnectionSettings("mycrm", host=host, port=int(port), password=os.environ["MYCRM_TEST_TOKEN"],
                                  extra={"scheme": "http", "timeout": "3"})  # fmt: skip
    connector = MyCrmConnector(settings)
    yield Subject(
        name="mycrm customer",
        connector=connector,
        entity="customer",
        make=lambda text: {"name": text, "email": None, "vat": None, "active": True},
        edit=lambda text: {"name": text},
        text_of=lambda data: data.get("name"),
        invalid={"name": ""},  # ADAPT: a record MyCRM refuses, and the field it blames
        invalid_field="name",
        faults=proxy.failing,
    )
    connector.close()
    proxy.close()


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_mycrm_conforms(subject_mycrm: Subject, check) -> None:
    check(subject_mycrm)

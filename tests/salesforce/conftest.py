"""An emulated org per test and connectors that reach it through simple-salesforce, in-process."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import ConnectionSettings
from connectors.salesforce import SalesforceConnector
from tests.emulators.salesforce import ContractMissing, OrgShape, SalesforceEmulator, emulator_session
from tests.emulators.salesforce.contract import contracts_dir

CLIENT_ID, CLIENT_SECRET = "3MVG9-synchub", "s3cret"


class Clock:
    """The org's clock: still unless moved, so many records can share one SystemModstamp."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 1) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def require_contract() -> None:
    """The emulator is built from the describe contract: skip without it (fail under CI=true)."""
    try:
        contracts_dir()
    except ContractMissing as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{exc} (CI must provide it)")
        pytest.skip(str(exc))


@pytest.fixture
def shape() -> OrgShape:
    """The org's shape; tests parametrise it indirectly (``@pytest.mark.parametrize("shape", ...)``)."""
    return OrgShape()


@pytest.fixture
def emulator(clock: Clock, shape: OrgShape) -> SalesforceEmulator:
    require_contract()
    emu = SalesforceEmulator(shape, clock=clock)
    emu.clients[CLIENT_ID] = CLIENT_SECRET
    return emu


@pytest.fixture
def connect(emulator: SalesforceEmulator) -> Callable[..., SalesforceConnector]:
    """A connector on the emulator: client credentials unless ``extra`` says otherwise."""

    def build(
        *, login: str | None = CLIENT_ID, password: str | None = CLIENT_SECRET, **extra: Any
    ) -> SalesforceConnector:
        settings = ConnectionSettings(
            "salesforce",
            host="emulated.my.salesforce.com",
            login=login,
            password=password,
            extra={
                "backoff_seconds": 0.001,
                "bulk_poll_seconds": 0,
                **({} if emulator.org.shape.multi_currency else {"currency": emulator.org.shape.currency}),
                **extra,
            },
        )
        return SalesforceConnector(settings, {"session": emulator_session(emulator)})

    return build


@pytest.fixture
def sf(connect: Callable[..., SalesforceConnector]) -> SalesforceConnector:
    return connect()

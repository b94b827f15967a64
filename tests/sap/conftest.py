"""Fixtures: the SAP emulator (on a 127.0.0.1 thread, from SAP's EDMX contracts) and connectors to it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import tests as _tests_pkg

# pyodata's wheel installs a top-level ``tests`` package that shadows this repository's; put ours first
# so ``tests.emulators`` resolves here (harmless once tests/__init__.py exists).
_OURS = str(Path(__file__).resolve().parents[1])
if _OURS not in list(_tests_pkg.__path__):
    _tests_pkg.__path__.insert(0, _OURS)

from connectors.base import ConnectionSettings  # noqa: E402
from connectors.sap_s4hana import SapS4HanaConnector  # noqa: E402
from connectors.sap_s4hana.session import USER_AGENT  # noqa: E402
from tests.emulators.sap import Exchange, SapEmulator  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


CORE_SERVICES = ("API_BUSINESS_PARTNER", "API_PRODUCT_SRV", "API_SALES_ORDER_SRV")
RETURNS_SERVICE = "API_CUSTOMER_RETURN_SRV"


def contracts_dir(*services: str) -> Path:
    """The folder of SAP's EDMX files, with a non-empty file for each service named (default: the
    business partner, product and sales order services). Missing: a skip, under CI a failure."""
    root = Path(os.environ.get("SYNCHUB_CONTRACTS") or REPO.parent / "shared" / "contracts")
    sap = root / "sap"
    wanted = services or CORE_SERVICES
    missing = [
        s for s in wanted if not (sap / f"{s}.edmx").is_file() or not (sap / f"{s}.edmx").stat().st_size
    ]
    if missing:
        reason = f"SAP contracts (EDMX) missing or empty at {sap}: {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: CI must provide them (set SYNCHUB_CONTRACTS)")
        pytest.skip(f"{reason}; set SYNCHUB_CONTRACTS to the contracts folder")
    return sap


@pytest.fixture
def returns_service() -> None:
    """The test needs the customer return service's EDMX too."""
    contracts_dir(*CORE_SERVICES, RETURNS_SERVICE)


@pytest.fixture
def sap() -> Iterator[SapEmulator]:
    with SapEmulator(contracts_dir()) as emulator:
        yield emulator


def connection_for(emulator: SapEmulator, **extra: Any) -> ConnectionSettings:
    return ConnectionSettings(
        conn_type="sap_s4hana",
        host="127.0.0.1",
        port=emulator.port,
        login=emulator.user,
        password=emulator.password,
        extra={"scheme": "http", "sap_client": "100", **extra},
    )


@pytest.fixture
def make_connector(sap: SapEmulator) -> Iterator[Callable[..., SapS4HanaConnector]]:
    made: list[SapS4HanaConnector] = []

    def build(options: dict[str, Any] | None = None, **extra: Any) -> SapS4HanaConnector:
        connector = SapS4HanaConnector(connection_for(sap, **extra), options or {})
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


@pytest.fixture
def connector(make_connector: Callable[..., SapS4HanaConnector]) -> SapS4HanaConnector:
    return make_connector()


def contract_breaches(exchanges: list[Exchange]) -> list[str]:
    """Requests the connector sent that the EDMX forbids (operations, properties, ETag use): the
    emulator refused them as ``contract``. Refused values (too long, null) and SAP's business checks
    are answers about data, not about what the connector may ask."""
    return [
        f"{e.method} {e.path}: {e.message}"
        for e in exchanges
        if e.user_agent == USER_AGENT and e.refusal == "contract"
    ]


@pytest.fixture(scope="session", autouse=True)
def every_connector_request_obeys_the_edmx() -> Iterator[None]:
    """After the session: no request the connector sent, in any test, used an operation or a
    property the EDMX does not allow. (Tests that send forbidden requests on purpose do it with
    their own HTTP client.)"""
    start = len(SapEmulator.journal)
    yield
    breaches = contract_breaches(SapEmulator.journal[start:])
    assert not breaches, "the connector sent requests the EDMX forbids:\n" + "\n".join(breaches)

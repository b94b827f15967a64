"""Fixtures: Odoo emulators on 127.0.0.1 threads (17 for XML-RPC, 19 for JSON-2), a still clock,
the production transports connected to them, and raw wire clients for exact-shape checks."""

from __future__ import annotations

import os
import xmlrpc.client
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.odoo import OdooSettings, OdooTransport, open_transport
from tests.emulators.odoo import OdooEmulator

REPO = Path(__file__).resolve().parents[2]


def contract_note() -> Path:
    """The Odoo contract note (``$SYNCHUB_CONTRACTS/odoo/ODOO-API.md``); missing: skip, or fail in CI."""
    root = Path(os.environ.get("SYNCHUB_CONTRACTS") or REPO.parent / "shared" / "contracts")
    note = root / "odoo" / "ODOO-API.md"
    if not note.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Odoo contract note missing at {note}: CI must provide it (set SYNCHUB_CONTRACTS)")
        pytest.skip(f"Odoo contract note not found at {note}; set SYNCHUB_CONTRACTS to the contracts folder")
    return note


class Clock:
    """Odoo's clock as the emulator sees it: still unless moved, so many writes share one stamp."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 10, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 1) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_odoo(clock: Clock) -> Iterator[Callable[..., OdooEmulator]]:
    started: list[OdooEmulator] = []

    def build(version: int = 19, **options: Any) -> OdooEmulator:
        emulator = OdooEmulator(version=version, clock=clock, **options).start()
        started.append(emulator)
        return emulator

    yield build
    for emulator in started:
        emulator.stop()


@pytest.fixture
def odoo19(make_odoo: Callable[..., OdooEmulator]) -> OdooEmulator:
    return make_odoo(19)


@pytest.fixture
def odoo17(make_odoo: Callable[..., OdooEmulator]) -> OdooEmulator:
    return make_odoo(17)


def settings_for(
    emulator: OdooEmulator, transport: str, secret: str | None = None, **extra: Any
) -> OdooSettings:
    if secret is None:
        secret = emulator.add_api_key() if transport == "json2" else emulator.password
    values: dict[str, Any] = {
        "base_url": emulator.url,
        "database": emulator.database,
        "login": emulator.login,
        "secret": secret,
        "transport": transport,
        "timeout": 5.0,
    }
    return OdooSettings(**{**values, **extra})


@dataclass
class Side:
    """One Odoo server and the production transport talking to it."""

    odoo: OdooEmulator
    rpc: OdooTransport

    def call(self, model: str, method: str, ids: list[int] | None = None, **params: Any) -> Any:
        context = params.pop("context", None)
        return self.rpc.call(model, method, ids=ids, params=params, context=context)


@pytest.fixture(params=["json2", "xmlrpc"])
def side(request: pytest.FixtureRequest, make_odoo: Callable[..., OdooEmulator]) -> Iterator[Side]:
    """Each test twice: JSON-2 against Odoo 19, XML-RPC against Odoo 17."""
    kind = request.param
    emulator = make_odoo(19 if kind == "json2" else 17)
    transport = open_transport(settings_for(emulator, kind))
    yield Side(emulator, transport)
    transport.close()


class Wire:
    """Raw clients (``xmlrpc.client``, ``requests``) for checks on exact envelopes and statuses."""

    def __init__(self, odoo: OdooEmulator) -> None:
        self.odoo = odoo
        self.object = xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/2/object", allow_none=True)
        self.common = xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/2/common", allow_none=True)

    def xmlrpc(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None) -> Any:
        odoo = self.odoo
        return self.object.execute_kw(
            odoo.database, odoo.uid, odoo.password, model, method, args, kwargs or {}
        )

    def fault(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None) -> Any:
        with pytest.raises(xmlrpc.client.Fault) as caught:
            self.xmlrpc(model, method, args, kwargs)
        return caught.value

    def jsonrpc(self, service: str, method: str, args: list[Any]) -> dict[str, Any]:
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 7,
            "params": {"service": service, "method": method, "args": args},
        }
        response = requests.post(f"{self.odoo.url}/jsonrpc", json=body, timeout=5)
        assert response.status_code == 200
        return dict(response.json())

    def json2(
        self, model: str, method: str, body: Any = None, *, key: str | None = None, **kwargs: Any
    ) -> requests.Response:
        headers = {"Authorization": f"bearer {key or self.key}", **kwargs.pop("headers", {})}
        verb = kwargs.pop("verb", "POST")
        return requests.request(
            verb, f"{self.odoo.url}/json/2/{model}/{method}", json=body, headers=headers, timeout=5, **kwargs
        )

    @property
    def key(self) -> str:
        if not hasattr(self, "_key"):
            self._key = self.odoo.add_api_key()
        return self._key


@pytest.fixture
def wire19(odoo19: OdooEmulator) -> Wire:
    return Wire(odoo19)


@pytest.fixture
def wire17(odoo17: OdooEmulator) -> Wire:
    return Wire(odoo17)

"""The Odoo connector as conformance subjects: every entity on both transports, against the strict
emulator (Odoo cannot run here): JSON-2 against an Odoo 19 emulator, XML-RPC against an Odoo 17 one.

One emulator per version serves the session, on a real clock, behind a fault proxy that answers 503
or hangs when a check asks for an outage; the connector then runs with a short timeout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest

from connectors.base import WriteRequest
from connectors.odoo import OdooConnector, open_transport
from tests.connectors.conformance.faults import FaultProxy
from tests.connectors.conformance.harness import Subject
from tests.connectors.conformance.subjects.proxied import FAULT_TIMEOUT, cost_spec, unique
from tests.emulators.odoo import OdooEmulator
from tests.odoo.connected import TRANSPORT_VERSIONS, company, connection, order, product

ODOO_SUBJECTS = [
    f"odoo_{transport}_{entity}"
    for transport in sorted(TRANSPORT_VERSIONS)
    for entity in ("customer", "product", "product_cost", "quote", "sales_order", "complaint")
]


@pytest.fixture(scope="session")
def odoo_conformance_servers() -> Iterator[dict[str, tuple[OdooEmulator, FaultProxy]]]:
    servers = {}
    for transport, version in TRANSPORT_VERSIONS.items():
        emulator = OdooEmulator(version=version).start()
        servers[transport] = (emulator, FaultProxy(emulator.url))
    yield servers
    for emulator, proxy in servers.values():
        proxy.close()
        emulator.stop()


class OdooSide:
    """An Odoo connector through the proxy, and the records orders need (a customer, a product)."""

    def __init__(self, odoo: OdooEmulator, proxy: FaultProxy, transport: str) -> None:
        port = int(proxy.url.rsplit(":", 1)[1])
        self.connector = OdooConnector(connection(odoo, transport, port=port, timeout=30))
        self.proxy = proxy
        self._customer: str | None = None

    def create(self, entity: str, data: dict[str, Any]) -> str:
        [result] = self.connector.write_batch(entity, [WriteRequest("create", f"setup-{unique()}", data)])
        assert result.ok and result.id, result.error
        return result.id

    @property
    def customer(self) -> str:
        if self._customer is None:
            self._customer = self.create("customer", company(f"Conformance Customer {unique()}"))
        return self._customer

    def product(self) -> str:
        return self.create("product", product(f"CONF-{unique()}", "Conformance Widget"))

    def order(self, text: str) -> dict[str, Any]:
        return order(self.customer, self.product(), text)

    @contextmanager
    def faults(self, kind: str) -> Iterator[None]:
        short = open_transport(replace(self.connector.odoo, timeout=FAULT_TIMEOUT))
        previous = self.connector.use_transport(short)
        try:
            with self.proxy.failing(kind):
                yield
        finally:
            self.connector.use_transport(previous)
            short.close()

    def raw_create(self, entity: str, values: Callable[[int], dict[str, Any]]) -> Callable[[int], list[str]]:
        """``n`` records in one ``create`` call of Odoo: one transaction, one ``write_date``."""

        def make_many(n: int) -> list[str]:
            handler = self.connector.entity(entity)
            rows = [handler.create_values(values(i)) for i in range(n)]  # type: ignore[attr-defined]
            return self._one_stamp(
                entity, [str(i) for i in self.connector.call(handler.native, "create", vals_list=rows)]
            )

        return make_many

    def batch(self, entity: str, make: Callable[[str], dict[str, Any]]) -> Callable[[int], list[str]]:
        """Plain creates of one batch: the connector sends them in one ``create`` call."""

        def make_many(n: int) -> list[str]:
            requests = [WriteRequest("create", f"tie-{unique()}", make(f"tie {i}")) for i in range(n)]
            results = self.connector.write_batch(entity, requests)
            return self._one_stamp(entity, [r.id for r in results if r.ok and r.id])

        return make_many

    def _one_stamp(self, entity: str, ids: list[str]) -> list[str]:
        stamps = {record.modified for record in self.connector.read_by_ids(entity, ids)}
        assert len(stamps) == 1, f"{entity} records meant to share one write_date have {len(stamps)}"
        return ids

    def subject(self, entity: str, **spec: Any) -> Subject:
        return Subject(
            name=f"odoo ({self.connector.odoo.transport}) {entity}",
            connector=self.connector,
            entity=entity,
            faults=self.faults,
            **spec,
        )


def _side(servers: dict[str, tuple[OdooEmulator, FaultProxy]], transport: str) -> Iterator[OdooSide]:
    odoo, proxy = servers[transport]
    side = OdooSide(odoo, proxy, transport)
    yield side
    side.connector.close()


def _customer(side: OdooSide) -> Subject:
    def make(text: str) -> dict[str, Any]:
        return company(text, contacts=[{"name": text, "email": "conformance@example.com"}])

    return side.subject(
        "customer",
        make=make,
        edit=lambda text: {"name": text},
        text_of=lambda data: data.get("name"),
        invalid=company("Bad VAT", vat="BE0000000001"),
        invalid_field="vat",
        same_time=side.batch("customer", make),
    )


def _product(side: OdooSide) -> Subject:
    def make(text: str) -> dict[str, Any]:
        return {**product(f"CONF-{unique()}"), "name": text}

    return side.subject(
        "product",
        make=make,
        edit=lambda text: {"name": text},
        text_of=lambda data: data.get("name"),
        invalid={**product("BAD-TYPE"), "type": "weird"},  # Odoo's own refusal: not a selection key
        invalid_field="type",
        same_time=side.batch("product", make),
    )


def _product_cost(side: OdooSide) -> Subject:
    return side.subject("product_cost", **cost_spec("standard_price", side.product))


def _quote(side: OdooSide) -> Subject:
    return side.subject(
        "quote",
        make=side.order,
        edit=lambda text: {"client_order_ref": text},
        text_of=lambda data: data.get("client_order_ref"),
        invalid={**side.order("no such customer"), "partner_id": "987654"},
        invalid_field="partner_id",
        same_time=side.raw_create("quote", lambda i: side.order(f"tie {i} {unique()}")),
    )


def _sales_order(side: OdooSide) -> Subject:
    def confirmed_together(n: int) -> list[str]:
        # quotations made in one call, then confirmed in one: that transaction stamps them all
        handler = side.connector.entity("sales_order")
        rows = [handler.create_values(side.order(f"tie {i} {unique()}")) for i in range(n)]  # type: ignore[attr-defined]
        ids = side.connector.call("sale.order", "create", vals_list=rows)
        side.connector.call("sale.order", "action_confirm", ids)
        return side._one_stamp("sales_order", [str(i) for i in ids])

    return side.subject(
        "sales_order",
        make=side.order,
        edit=lambda text: {"client_order_ref": text},  # what stays editable on a confirmed order
        text_of=lambda data: data.get("client_order_ref"),
        invalid={**side.order("no such customer"), "partner_id": "987654"},
        invalid_field="partner_id",
        same_time=confirmed_together,
    )


def _complaint(side: OdooSide) -> Subject:
    def make(text: str) -> dict[str, Any]:
        return {
            "name": f"Complaint {unique()}",
            "description": text,
            "partner_id": side.customer,
            "stage": "New",
        }

    return side.subject(
        "complaint",
        make=make,
        edit=lambda text: {"description": text},
        text_of=lambda data: data.get("description"),
        invalid={**make("unknown stage"), "stage": "No Such Stage"},
        invalid_field="stage",
        same_time=side.raw_create("complaint", lambda i: make(f"tie {i}")),
    )


_BUILDERS: dict[str, Callable[[OdooSide], Subject]] = {
    "customer": _customer,
    "product": _product,
    "product_cost": _product_cost,
    "quote": _quote,
    "sales_order": _sales_order,
    "complaint": _complaint,
}


def _fixture(transport: str, entity: str) -> Any:
    @pytest.fixture
    def subject(odoo_conformance_servers: dict[str, tuple[OdooEmulator, FaultProxy]]) -> Iterator[Subject]:
        for side in _side(odoo_conformance_servers, transport):
            yield _BUILDERS[entity](side)

    return subject


ODOO_FIXTURES = {
    f"subject_{name}": _fixture(*name.removeprefix("odoo_").split("_", 1)) for name in ODOO_SUBJECTS
}
"""Fixtures made in a loop: every entity on every transport."""

"""The SAP S/4HANA connector as conformance subjects: each entity it writes, against the EDMX-strict
SAP Gateway emulator (``tests/emulators/sap``) with the suite's ``FaultProxy`` in front.

Each subject gets a fresh emulator on a local port and a connector reaching it through the proxy,
so an outage is a real 503 or a real hang past the connection's ``timeout``. What a document needs
before it can be created (a customer with sales area data, a material, the order a return takes its
items from) is entered in SAP the way its users would (``SapEmulator.seed``). After each subject, no
request the connector sent may have been refused for breaking the EDMX (an operation or property
it does not allow); refused values (the invalid records) are answers about data.

The checks' text (CJK, right to left, quotes, a backslash, an emoji; about 50 UTF-16 units, which is
what SAP counts) needs a free-text field that long, so each subject carries it where SAP has one:
the customer's street (``StreetName``, 60), the product's basic data text (``ProductBasicText``, a
long text; the description holds 40), the order's and the return's ``IncotermsLocation1`` (70, the
longest free text of their headers, added to the connector's ``$select`` through its ``fields``
option). Records created in one instant (``same_time``) are made while SAP's clock stands still.

``product_cost`` is left out: SyncHub only reads valuations (costs come from SAP's costing, and
writing them is refused per record), while every check creates its records through the connector.
Its reads (a snapshot of one valuation area, paged by key) are tested in ``tests/sap``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import ConnectionSettings, WriteRequest
from connectors.sap_s4hana import SapS4HanaConnector
from connectors.sap_s4hana.entities.complaint import Complaint
from connectors.sap_s4hana.entities.sales_order import SalesOrder
from tests.connectors.conformance.faults import FaultProxy
from tests.connectors.conformance.harness import Subject, tag
from tests.emulators.sap import SapEmulator
from tests.sap.conftest import CORE_SERVICES, RETURNS_SERVICE, contract_breaches, contracts_dir
from tests.sap.sap_data import BP, ORDERS, PRODUCT_SRV, customer, order, product

__all__ = ["SAP_SUBJECTS"]

TIMEOUT_SECONDS = 3.0
"""The connection's request timeout; the proxy hangs well past it."""
MATERIAL = "CONF-PUMP"
_numbers = itertools.count(1)


class SapWorld:
    """A fresh SAP emulator, the fault proxy before it, and a connector reaching SAP through it."""

    def __init__(self, *services: str, options: dict[str, Any] | None = None) -> None:
        self.sap = SapEmulator(contracts_dir(*services)).start()
        self.proxy = FaultProxy(self.sap.url, hang_seconds=TIMEOUT_SECONDS + 2)
        port = int(self.proxy.url.rsplit(":", 1)[1])
        settings = ConnectionSettings(
            conn_type="sap_s4hana",
            host="127.0.0.1",
            port=port,
            login=self.sap.user,
            password=self.sap.password,
            extra={"scheme": "http", "sap_client": "100", "timeout": TIMEOUT_SECONDS},
        )
        self.connector = SapS4HanaConnector(settings, options or {})

    @contextmanager
    def faults(self, kind: str) -> Iterator[None]:
        with self.proxy.failing(kind):
            yield

    def same_time(self, entity: str, make: Callable[[str], dict[str, Any]]) -> Callable[[int], list[str]]:
        """Create ``n`` records while SAP's clock stands still: one change stamp for all of them."""

        def create(n: int) -> list[str]:
            frozen, previous = datetime.now(UTC), self.sap.clock
            self.sap.clock = lambda: frozen
            try:
                requests = [WriteRequest("create", f"tie-{i}", make(tag("tie"))) for i in range(n)]
                results = self.connector.write_batch(entity, requests)
            finally:
                self.sap.clock = previous
            assert all(r.ok for r in results), [r.error for r in results]
            return [r.id for r in results if r.id]

        return create

    def subject(self, entity: str, **checks: Any) -> Subject:
        make = checks["make"]
        return Subject(
            name=f"sap_s4hana {entity}",
            connector=self.connector,
            entity=entity,
            faults=self.faults,
            same_time=self.same_time(entity, make),
            **checks,
        )

    def close(self) -> None:
        self.connector.close()
        self.proxy.close()
        self.sap.stop()
        breaches = contract_breaches(self.sap.exchanges)
        assert not breaches, "the connector sent requests the EDMX forbids:\n" + "\n".join(breaches)

    def buyer(self) -> str:
        """A customer SAP can sell to, and a material to sell, as SAP users enter them."""
        self.sap.seed(PRODUCT_SRV, "A_Product", product(MATERIAL, "Kreiselpumpe"))
        return str(self.sap.seed(BP, "A_BusinessPartner", customer("Konformität GmbH"))["BusinessPartner"])


@contextmanager
def sap_world(*services: str, options: dict[str, Any] | None = None) -> Iterator[SapWorld]:
    world = SapWorld(*services, options=options)
    try:
        yield world
    finally:
        world.close()


def _address(text: str) -> list[dict[str, Any]]:
    return [{"StreetName": text, "PostalCode": "10115", "CityName": "Berlin", "Country": "DE"}]


@pytest.fixture
def subject_sap_customer() -> Iterator[Subject]:
    with sap_world(*CORE_SERVICES) as world:

        def make(text: str) -> dict[str, Any]:
            return {
                "OrganizationBPName1": f"Konformität {next(_numbers)}",
                "BusinessPartnerCategory": "2",
                "to_Customer": {"VATRegistration": "DE811907980"},
                "to_BusinessPartnerAddress": _address(text),
            }

        yield world.subject(
            "customer",
            make=make,
            edit=lambda text: {"to_BusinessPartnerAddress": _address(text)},
            text_of=lambda data: (data.get("to_BusinessPartnerAddress") or [{}])[0].get("StreetName"),
            invalid={**make("too long"), "OrganizationBPName1": "N" * 41},
            invalid_field="OrganizationBPName1",
        )


@pytest.fixture
def subject_sap_product() -> Iterator[Subject]:
    with sap_world(*CORE_SERVICES) as world:

        def make(text: str) -> dict[str, Any]:
            return {
                "Product": f"CONF-{next(_numbers):05d}",
                "ProductType": "FERT",
                "BaseUnit": "PC",
                "ProductDescription": "Konformitätspumpe",
                "ProductBasicText": text,
            }

        yield world.subject(
            "product",
            make=make,
            edit=lambda text: {"ProductBasicText": text},
            text_of=lambda data: data.get("ProductBasicText"),
            invalid={**make("unit too long"), "BaseUnit": "PIECE"},
            invalid_field="BaseUnit",
        )


@pytest.fixture
def subject_sap_sales_order() -> Iterator[Subject]:
    options = {"fields": {"sales_order": [*SalesOrder.fields, "IncotermsLocation1"]}}
    with sap_world(*CORE_SERVICES, options=options) as world:
        party = world.buyer()

        def make(text: str) -> dict[str, Any]:
            line = {"Material": MATERIAL, "RequestedQuantity": "2", "NetPriceAmount": "12.5"}
            return {
                "SoldToParty": party,
                "PurchaseOrderByCustomer": f"CONF-{next(_numbers)}",  # one order per reference
                "TransactionCurrency": "EUR",
                "IncotermsLocation1": text,
                "to_Item": [{**line, "RequestedQuantityUnit": "PC", "SalesOrderItemText": "Pumpe"}],
            }

        yield world.subject(
            "sales_order",
            make=make,
            edit=lambda text: {"IncotermsLocation1": text},
            text_of=lambda data: data.get("IncotermsLocation1"),
            invalid={**make("too long"), "IncotermsLocation1": "X" * 71},
            invalid_field="IncotermsLocation1",
        )


@pytest.fixture
def subject_sap_complaint() -> Iterator[Subject]:
    options = {"return_reason": "103", "fields": {"complaint": [*Complaint.fields, "IncotermsLocation1"]}}
    with sap_world(*CORE_SERVICES, RETURNS_SERVICE, options=options) as world:
        party = world.buyer()
        ordered = order(party, (MATERIAL, "3", "12.50"), reference="CONF")
        sold = world.sap.seed(ORDERS, "A_SalesOrder", ordered)

        def make(text: str) -> dict[str, Any]:
            return {
                "SoldToParty": party,
                "Subject": f"Pumpe defekt {next(_numbers)}",  # one return per order and reference
                "ReferenceSDDocument": sold["SalesOrder"],
                "IncotermsLocation1": text,
            }

        yield world.subject(
            "complaint",
            make=make,
            edit=lambda text: {"IncotermsLocation1": text},
            text_of=lambda data: data.get("IncotermsLocation1"),
            invalid={**make("too long"), "IncotermsLocation1": "X" * 71},
            invalid_field="IncotermsLocation1",
        )


SAP_SUBJECTS = ["sap_customer", "sap_product", "sap_sales_order", "sap_complaint"]

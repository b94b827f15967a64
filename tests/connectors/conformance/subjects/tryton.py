"""The Tryton connector as conformance subjects: every entity against one real Tryton server.

One server serves the whole session (each subject makes its own records, so they do not disturb
each other); each subject gets a fresh connector that reaches the server through a fault proxy,
which answers 503 or hangs when a check asks for an outage (``proxied.py``).

Each entity is its own subject, since each has its own code path: parties with nested records,
products written through their template, costs set on products, sales moved by buttons (quotes and
confirmed orders), complaints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectionSettings, WriteRequest
from connectors.tryton import TrytonConnector
from connectors.tryton.entities import TrytonEntity
from synchub_dev.peers.tryton import TrytonInstance
from tests.connectors.conformance.faults import FaultProxy
from tests.connectors.conformance.harness import Subject
from tests.connectors.conformance.subjects.proxied import ProxiedSide, cost_spec, proxy_to, unique
from tests.tryton.helpers import party, peer_or_skip


@pytest.fixture(scope="session")
def tryton_conformance_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrytonInstance]:
    instance = peer_or_skip().start(Path(tmp_path_factory.mktemp("tryton-conformance")) / "tryton")
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def tryton_fault_proxy(tryton_conformance_server: TrytonInstance) -> Iterator[FaultProxy]:
    yield from proxy_to(tryton_conformance_server.url)


class TrytonSide(ProxiedSide):
    """A Tryton connector through the proxy, and the records sales need (a party, a product)."""

    def __init__(self, server: TrytonInstance, proxy: FaultProxy) -> None:
        port = int(proxy.url.rsplit(":", 1)[1])
        settings = ConnectionSettings(
            "tryton", host="127.0.0.1", port=port, login=server.user, password=server.password,
            schema=server.database, extra={"timeout": "30"},
        )  # fmt: skip
        connector = TrytonConnector(settings, {"accept_warnings": True})
        super().__init__(connector, connector.client, proxy)
        self.connector: TrytonConnector = connector
        self._party: str | None = None

    @property
    def party(self) -> str:
        if self._party is None:
            self._party = self.create("customer", party("Conformance Customer"))
        return self._party

    def product(self) -> str:
        return self.create("product", {"name": "Conformance Widget", "default_uom": "u", "list_price": 10})

    def sale(self, text: str, **extra: Any) -> dict[str, Any]:
        line = {"product": self.product(), "quantity": Decimal(2), "unit_price": Decimal("9.5")}
        return {"party": self.party, "currency": "EUR", "reference": text, "sale_date": date(2026, 3, 1),
                "lines": [line], **extra}  # fmt: skip

    def batch(self, entity: str, make: Callable[[str], dict[str, Any]]) -> Callable[[int], list[str]]:
        """Creates of one batch: the connector sends plain creates in one call (one transaction)."""

        def make_many(n: int) -> list[str]:
            requests = [WriteRequest("create", f"tie-{unique()}", make(f"tie {i}")) for i in range(n)]
            results = self.connector.write_batch(entity, requests)
            return self._one_mark(entity, [r.id for r in results if r.ok and r.id])

        return make_many

    def same_time(self, entity: str, values: Callable[[int], dict[str, Any]]) -> Callable[[int], list[str]]:
        """Records made in one raw ``create`` call (sales and complaints are created one by one by the
        connector, buttons and all): one transaction, one ``last_modified_at``."""

        def make_many(n: int) -> list[str]:
            handler = self.handler(entity)
            ids = handler.call("create", [handler.create_values(values(i)) for i in range(n)])
            return self._one_mark(entity, [str(i) for i in ids])

        return make_many

    def handler(self, entity: str) -> TrytonEntity:
        found = self.connector.entity(entity)
        assert isinstance(found, TrytonEntity)
        return found

    def _one_mark(self, entity: str, ids: list[str]) -> list[str]:
        marks = {record.modified for record in self.connector.read_by_ids(entity, ids)}
        assert len(marks) == 1, f"{entity} records meant to share one change mark have {len(marks)}"
        return ids


@pytest.fixture
def tryton_side(
    tryton_conformance_server: TrytonInstance, tryton_fault_proxy: FaultProxy
) -> Iterator[TrytonSide]:
    side = TrytonSide(tryton_conformance_server, tryton_fault_proxy)
    yield side
    side.connector.close()


@pytest.fixture
def subject_tryton_customer(tryton_side: TrytonSide) -> Subject:
    def customer(text: str) -> dict[str, Any]:
        return party(text, contacts=[{"name": text, "email": "conformance@example.com"}])

    return tryton_side.subject(
        "customer",
        make=customer,
        edit=lambda text: {"name": text},
        text_of=lambda data: data.get("name"),
        invalid=party("Nowhere Ltd", addresses=[{"city": "Atlantis", "country": "ZZ", "invoice": True}]),
        invalid_field="addresses[0].country",
        same_time=tryton_side.batch("customer", customer),
    )


@pytest.fixture
def subject_tryton_product(tryton_side: TrytonSide) -> Subject:
    def product(text: str) -> dict[str, Any]:
        return {"name": text, "default_uom": "u", "list_price": Decimal("12.5"), "type": "service"}

    return tryton_side.subject(
        "product",
        make=product,
        edit=lambda text: {"name": text},
        text_of=lambda data: data.get("name"),
        # Tryton's own refusal: list prices take 4 decimal places
        invalid={"name": "Too Precise", "default_uom": "u", "list_price": Decimal("2.123456789")},
        invalid_field="list_price",
        same_time=tryton_side.batch("product", product),
    )


@pytest.fixture
def subject_tryton_product_cost(tryton_side: TrytonSide) -> Subject:
    return tryton_side.subject("product_cost", **cost_spec("cost_price", tryton_side.product))


@pytest.fixture
def subject_tryton_quote(tryton_side: TrytonSide) -> Subject:
    bad = tryton_side.sale("half units")
    bad["lines"][0]["quantity"] = Decimal("1.5")  # Tryton's own refusal: the unit "u" takes whole numbers
    return tryton_side.subject(
        "quote",
        make=tryton_side.sale,
        edit=lambda text: {"reference": text},
        text_of=lambda data: data.get("reference"),
        invalid=bad,
        invalid_field="lines",
        same_time=tryton_side.same_time("quote", lambda i: tryton_side.sale(f"tie {i}")),
    )


@pytest.fixture
def subject_tryton_sales_order(tryton_side: TrytonSide) -> Subject:
    def confirmed_together(n: int) -> list[str]:
        # drafts made in one call, then quoted and confirmed together: one transaction stamps them all
        handler = tryton_side.handler("sales_order")
        ids = handler.call("create", [handler.create_values(tryton_side.sale(f"tie {i}")) for i in range(n)])
        for button in ("quote", "confirm"):
            handler.call(button, ids)
        return tryton_side._one_mark("sales_order", [str(i) for i in ids])

    bad = tryton_side.sale("half units")
    bad["lines"][0]["quantity"] = Decimal("1.5")
    return tryton_side.subject(
        "sales_order",
        make=tryton_side.sale,
        edit=lambda text: {"reference": text},  # what Tryton lets change on a confirmed sale
        text_of=lambda data: data.get("reference"),
        invalid=bad,
        invalid_field="lines",
        same_time=confirmed_together,
    )


@pytest.fixture
def subject_tryton_complaint(tryton_side: TrytonSide) -> Subject:
    def complaint(text: str) -> dict[str, Any]:
        return {"customer": tryton_side.party, "reference": "conformance", "description": text,
                "date": date(2026, 3, 2)}  # fmt: skip

    return tryton_side.subject(
        "complaint",
        make=complaint,
        edit=lambda text: {"description": text},
        text_of=lambda data: data.get("description"),
        invalid={**complaint("unknown type"), "type": "No Such Complaint Type"},
        invalid_field="type",
        same_time=tryton_side.same_time("complaint", lambda i: complaint(f"tie {i}")),
    )

"""A connector that reaches its real server through a :class:`FaultProxy`: what the subjects of
server-backed connectors (Tryton, BottleCRM) share."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from connectors.base import Connector, WriteRequest
from tests.connectors.conformance.faults import FaultProxy
from tests.connectors.conformance.harness import Subject

FAULT_TIMEOUT = 2.0
"""The client's timeout inside a timeout block only: a short timeout everywhere would fail slow but
sound calls (confirming a sale) on a loaded machine."""

_refs = itertools.count(1)


def unique() -> str:
    """Unique within the session's server (names, SKUs and refs that must not repeat)."""
    return str(next(_refs))


def proxy_to(url: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(url)
    yield proxy
    proxy.close()


class ProxiedSide:
    """``connector`` talks to its server through ``proxy``; ``client`` has the ``timeout`` it uses."""

    def __init__(self, connector: Connector, client: Any, proxy: FaultProxy) -> None:
        self.connector = connector
        self.client = client
        self.proxy = proxy

    def create(self, entity: str, data: dict[str, Any]) -> str:
        """Create a record the subject's records need (a customer for sales, a product for costs)."""
        [result] = self.connector.write_batch(entity, [WriteRequest("create", f"setup-{unique()}", data)])
        assert result.ok and result.id, result.error
        return result.id

    @contextmanager
    def faults(self, kind: str) -> Iterator[None]:
        timeout, self.client.timeout = self.client.timeout, FAULT_TIMEOUT
        try:
            with self.proxy.failing(kind):
                yield
        finally:
            self.client.timeout = timeout

    def subject(self, entity: str, **spec: Any) -> Subject:
        return Subject(
            name=f"{self.connector.name} {entity}",
            connector=self.connector,
            entity=entity,
            faults=self.faults,
            **spec,
        )


def cost_spec(field: str, product: Callable[[], str]) -> dict[str, Any]:
    """The subject spec of a product cost: a cost has no free text, so each text stands for a cost
    of its own and the checks still see the written value come back (odd characters are the
    product subject's). ``product`` makes the product a cost belongs to; an unknown product is the
    refusal."""
    prices: dict[Decimal, str] = {}
    cents = itertools.count(101)

    def price_for(text: str) -> Decimal:
        price = Decimal(next(cents)) / 100
        prices[price] = text
        return price

    return {
        "make": lambda text: {"product": product(), field: price_for(text)},
        "edit": lambda text: {field: price_for(text)},
        "text_of": lambda data: prices.get(data.get(field)),
        "invalid": {"product": "987654", field: Decimal("1")},
        "invalid_field": "product",
    }

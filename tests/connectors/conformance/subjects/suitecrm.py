"""The SuiteCRM connector as conformance subjects: every entity against the real SuiteCRM 7.14.

The session's one SuiteCRM (``tests/suitecrm/conftest.py``: started once, reset before each check)
is reached through a fault proxy that answers 503 or hangs when a check asks for an outage.
Records sharing one change mark are made by setting ``date_modified`` through V8 to one moment.
``sales_order`` is read-only for creates (an accepted quote is the order): its records are seeded as
accepted quotes, and its updates carry the ERP's order number back.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.suitecrm import SuiteCrmClient, SuiteCrmConnector
from connectors.suitecrm.values import format_datetime
from synchub_dev.peers.suitecrm import SuiteCrmInstance
from tests.connectors.conformance.faults import FaultProxy
from tests.connectors.conformance.harness import Subject
from tests.connectors.conformance.subjects.proxied import FAULT_TIMEOUT, ProxiedSide, proxy_to, unique
from tests.suitecrm.conftest import (  # noqa: F401 - the session's SuiteCRM fixtures
    fields_package,
    suitecrm,
    suitecrm_instances,
)

_moments = itertools.count(1)


@pytest.fixture(scope="session")
def suitecrm_fault_proxy(suitecrm_instances: Any) -> Iterator[FaultProxy]:  # noqa: F811
    yield from proxy_to(suitecrm_instances.get(seconds=False).url)


class SuiteCrmSide(ProxiedSide):
    """A SuiteCRM connector through the proxy, a direct client, and what quotes and costs need."""

    def __init__(self, server: SuiteCrmInstance, proxy: FaultProxy) -> None:
        port = int(proxy.url.rsplit(":", 1)[1])
        connector = SuiteCrmConnector(replace(server.connection(), port=port), {"timeout": "30"})
        super().__init__(connector, None, proxy)
        self.connector: SuiteCrmConnector = connector
        self.direct = SuiteCrmClient(connector.config.__class__.parse(server.connection()))
        self._account: str | None = None

    @property
    def account(self) -> str:
        if self._account is None:
            self._account = self.create("customer", {"name": f"Conformance {unique()}"})
        return self._account

    def product(self) -> str:
        return self.create("product", {"name": f"Conformance product {unique()}", "price": "10"})

    def quote(self, text: str, stage: str = "Draft") -> dict[str, Any]:
        line = {
            "product_id": self.product(),
            "name": "Widget",
            "product_qty": "2",
            "product_unit_price": "9.5",
        }
        return {"name": text, "stage": stage, "billing_account_id": self.account, "expiration": "2099-12-31",
                "lines": [line]}  # fmt: skip

    def same_time(self, entity: str, make: Callable[[str], dict[str, Any]]) -> Callable[[int], list[str]]:
        """``n`` records made by the connector, then given one ``date_modified`` through V8."""

        def make_many(n: int) -> list[str]:
            ids = [self.create(entity, make(f"tie {i}")) for i in range(n)]
            moment = datetime(2026, 2, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=next(_moments))
            module = self.connector.entity(entity).native
            for record_id in ids:
                self.direct.update(module, record_id, {"date_modified": format_datetime(moment)})
            return ids

        return make_many

    def seed_order(self, text: str) -> str:
        """An accepted quote carrying ``text`` as the ERP's order number (as an earlier run wrote it)."""
        quote_id = self.create("quote", self.quote(f"Accepted {unique()}", "Closed Accepted"))
        self.direct.update("AOS_Quotes", quote_id, {"synchub_order_number_c": text})
        return quote_id

    @contextmanager
    def faults(self, kind: str) -> Iterator[None]:
        """The connector's clients get a short timeout inside the block only (see ``proxied.py``)."""
        connector = self.connector
        original = connector.config
        connector.config = replace(original, timeout=FAULT_TIMEOUT)
        for client in connector._clients:
            client.settings = client.tokens.settings = connector.config
        try:
            with self.proxy.failing(kind):
                yield
        finally:
            connector.config = original
            for client in connector._clients:
                client.settings = client.tokens.settings = original

    def named(self, entity: str, make: Callable[[str], dict[str, Any]], bad: dict[str, Any]) -> Subject:
        """A subject whose text is the record's ``name``; ``bad`` is one field SuiteCRM would not keep."""
        [field] = bad
        return self.subject(
            entity,
            make=make,
            edit=lambda text: {"name": text},
            text_of=lambda data: data.get("name"),
            invalid={**make("Invalid"), **bad},
            invalid_field=field,
            same_time=self.same_time(entity, make),
        )

    def close(self) -> None:
        self.connector.close()
        self.direct.close()


@pytest.fixture
def suitecrm_side(suitecrm: SuiteCrmInstance, suitecrm_fault_proxy: FaultProxy) -> Iterator[SuiteCrmSide]:  # noqa: F811
    side = SuiteCrmSide(suitecrm, suitecrm_fault_proxy)
    yield side
    side.close()


@pytest.fixture
def subject_suitecrm_customer(suitecrm_side: SuiteCrmSide) -> Subject:
    def customer(text: str) -> dict[str, Any]:
        return {
            "name": text,
            "contacts": [{"first_name": "Ada", "last_name": text, "email1": "ada@example.com"}],
        }

    return suitecrm_side.named("customer", customer, {"synchub_credit_limit_c": "a lot"})


@pytest.fixture
def subject_suitecrm_product(suitecrm_side: SuiteCrmSide) -> Subject:
    def product(text: str) -> dict[str, Any]:
        return {"part_number": f"CONF-{unique()}", "name": text, "price": "12.5", "type": "Good"}

    return suitecrm_side.named("product", product, {"price": "ten dollars"})


@pytest.fixture
def subject_suitecrm_product_cost(suitecrm_side: SuiteCrmSide) -> Subject:
    """A cost has no free-text field (its method is a dropdown): each text gets an amount of its own,
    and the check's text is read back through the exact cost amount SuiteCRM kept."""
    texts: dict[str, str] = {}
    amounts = itertools.count(1)

    def amount_for(text: str) -> str:
        amount = f"7.{next(amounts):04d}"
        texts[amount.rstrip("0").rstrip(".")] = text
        return amount

    def cost(text: str) -> dict[str, Any]:
        product = suitecrm_side.create("product", {"name": f"Costed {unique()}", "price": "10"})
        return {"product": product, "cost": amount_for(text), "synchub_cost_method_c": "standard",
                "synchub_cost_date_c": "2026-01-01"}  # fmt: skip

    return suitecrm_side.subject(
        "product_cost",
        make=cost,
        edit=lambda text: {"cost": amount_for(text)},
        text_of=lambda data: texts.get(data.get("cost") or ""),
        invalid={"cost": "1.00", "synchub_cost_method_c": "standard"},  # whose cost? no product
        invalid_field="product",
        same_time=suitecrm_side.same_time("product_cost", cost),
    )


@pytest.fixture
def subject_suitecrm_quote(suitecrm_side: SuiteCrmSide) -> Subject:
    return suitecrm_side.named("quote", suitecrm_side.quote, {"stage": "Won"})


@pytest.fixture
def subject_suitecrm_sales_order(suitecrm_side: SuiteCrmSide) -> Subject:
    return suitecrm_side.subject(
        "sales_order",
        make=lambda text: {"synchub_order_number_c": text},
        edit=lambda text: {"synchub_order_number_c": text},
        text_of=lambda data: data.get("synchub_order_number_c"),
        invalid=None,
        seed=suitecrm_side.seed_order,
    )


@pytest.fixture
def subject_suitecrm_complaint(suitecrm_side: SuiteCrmSide) -> Subject:
    def case(text: str) -> dict[str, Any]:
        return {"name": text, "status": "Open_New", "priority": "P2", "account_id": suitecrm_side.account}

    return suitecrm_side.named("complaint", case, {"status": "Somewhere In Between"})

"""The BottleCRM connector as conformance subjects: its entities against one real BottleCRM.

One server serves the whole session (records are named uniquely, so subjects do not disturb each
other); each subject gets a fresh connector reaching it through a fault proxy (``proxied.py``).

Every entity is a snapshot entity (BottleCRM has no change tracking): the cursor checks do not
apply, a full scan must return each record once. ``sales_order`` is left out: an order is an
estimate the customer accepted on its public page, so the connector cannot create one (it refuses,
see ``tests/bottlecrm/test_entities.py``), and its reads are the quote's with a status filter.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectionSettings
from connectors.bottlecrm import BottleCrmConnector
from synchub_dev.peers.bottlecrm import BottleCrmInstance
from tests.bottlecrm.helpers import peer_or_skip
from tests.connectors.conformance.faults import FaultProxy
from tests.connectors.conformance.harness import Subject
from tests.connectors.conformance.subjects.proxied import ProxiedSide, proxy_to, unique


@pytest.fixture(scope="session")
def bottlecrm_conformance_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BottleCrmInstance]:
    with peer_or_skip().start(Path(tmp_path_factory.mktemp("bottlecrm-conformance"))) as instance:
        yield instance


@pytest.fixture(scope="session")
def bottlecrm_fault_proxy(bottlecrm_conformance_server: BottleCrmInstance) -> Iterator[FaultProxy]:
    yield from proxy_to(bottlecrm_conformance_server.url)


class BottleCrmSide(ProxiedSide):
    """A BottleCRM connector through the proxy, and what quotes and cases need (an account with a contact)."""

    def __init__(self, server: BottleCrmInstance, proxy: FaultProxy) -> None:
        port = proxy.url.rsplit(":", 1)[1]
        uri = f"bottlecrm://:{server.token}@127.0.0.1:{port}/?scheme=http&timeout=30"
        connector = BottleCrmConnector(ConnectionSettings.from_uri(uri))
        super().__init__(connector, connector.client, proxy)
        self._account: str | None = None

    @property
    def account(self) -> str:
        if self._account is None:
            tag = unique()
            contact = {"first_name": "Conformance", "last_name": tag, "email": f"c-{tag}@example.com"}
            self._account = self.create("customer", {"name": f"Conformance {tag}", "contacts": [contact]})
        return self._account

    def product(self) -> str:
        return self.create("product", product(f"Conformance product {unique()}"))


def product(text: str) -> dict[str, Any]:
    return {"sku": f"CONF-{unique()}", "name": text, "price": "10.00", "currency": "EUR", "is_active": True}


@pytest.fixture
def bottlecrm_side(
    bottlecrm_conformance_server: BottleCrmInstance, bottlecrm_fault_proxy: FaultProxy
) -> Iterator[BottleCrmSide]:
    side = BottleCrmSide(bottlecrm_conformance_server, bottlecrm_fault_proxy)
    yield side
    side.connector.close()


@pytest.fixture
def subject_bottlecrm_customer(bottlecrm_side: BottleCrmSide) -> Subject:
    return bottlecrm_side.subject(
        "customer",
        make=lambda text: {"name": text, "currency": "EUR"},
        edit=lambda text: {"name": text},
        text_of=lambda data: data.get("name"),
        invalid={"name": f"Bad Mail {unique()}", "email": "not-an-email"},  # BottleCRM's own refusal
        invalid_field="email",
    )


@pytest.fixture
def subject_bottlecrm_product(bottlecrm_side: BottleCrmSide) -> Subject:
    return bottlecrm_side.subject(
        "product",
        make=product,
        edit=lambda text: {"name": text},
        text_of=lambda data: data.get("name"),
        invalid={**product("Priceless"), "price": "ten euros"},
        invalid_field="price",
    )


@pytest.fixture
def subject_bottlecrm_product_cost(bottlecrm_side: BottleCrmSide) -> Subject:
    """The cost's free text is its method: it travels inside the product description's tagged line."""

    def cost(text: str) -> dict[str, Any]:
        fields = {"erp_cost": "7.25", "erp_cost_currency": "EUR", "erp_cost_date": "2026-01-01"}
        return {"product": bottlecrm_side.product(), "erp_cost_method": text, **fields}

    return bottlecrm_side.subject(
        "product_cost",
        make=cost,
        edit=lambda text: {"erp_cost_method": text},
        text_of=lambda data: data.get("erp_cost_method"),
        invalid={"erp_cost": "1.00", "erp_cost_method": "standard"},  # whose cost? no product
        invalid_field="product",
    )


@pytest.fixture
def subject_bottlecrm_quote(bottlecrm_side: BottleCrmSide) -> Subject:
    def quote(text: str) -> dict[str, Any]:
        line = {"product": None, "name": "Montage", "quantity": "1", "unit_price": "5.50"}
        return {"account": bottlecrm_side.account, "title": text, "currency": "EUR",
                "expiry_date": "2099-12-31", "line_items": [line]}  # fmt: skip

    return bottlecrm_side.subject(
        "quote",
        make=quote,
        edit=lambda text: {"title": text},
        text_of=lambda data: data.get("title"),
        invalid={**quote("Never Expires"), "expiry_date": "the day after tomorrow"},
        invalid_field="expiry_date",
    )


@pytest.fixture
def subject_bottlecrm_complaint(bottlecrm_side: BottleCrmSide) -> Subject:
    def case(text: str) -> dict[str, Any]:
        return {"name": text, "status": "New", "priority": "High", "account": bottlecrm_side.account}

    return bottlecrm_side.subject(
        "complaint",
        make=case,
        edit=lambda text: {"name": text},
        text_of=lambda data: data.get("name"),
        invalid={**case("Odd Status"), "status": "Somewhere In Between"},
        invalid_field="status",
    )

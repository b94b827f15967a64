"""The full engine: customers between a real Tryton and the in-memory CRM through ``run_flow``."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.base import WriteRequest
from connectors.memory import MemoryDatabase
from connectors.tryton import TrytonConnector
from sync_engine.config import load_config
from sync_engine.flows import run_flow
from sync_engine.retrying import RetryPolicy
from sync_engine.store import Store
from synchub_dev.peers.tryton import TrytonInstance

from .helpers import party

REPO = Path(__file__).resolve().parents[2]


def crm_customer(name: str) -> dict[str, Any]:
    return {
        "company": {"name": name, "legal_form": None},
        "vat_number": "GB123",
        "currency_code": "EUR",
        "finance": {"credit_limit": "5000.00", "credit_currency": "EUR", "payment_terms": "NET30"},
        "status": "A",
        "addresses": [{"type": "INV", "street_lines": "1 High St", "zip": "N1", "city": "London",
                       "state": None,
                       "country_iso": "GB"}],
        "people": [{"first_name": "Ann", "last_name": "Lee", "email": "ann@crm.example", "phone": None,
                    "position": "Buyer"}],
    }  # fmt: skip


@pytest.fixture
def config_file(tmp_path: Path, tryton: TrytonInstance, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SYNCHUB_CONN_TRYTON_TEST", tryton.uri)
    MemoryDatabase.forget()
    doc = {
        "version": 1,
        "state": {"url": f"sqlite:///{tmp_path / 'state.db'}"},
        "mappings_dir": str(REPO / "mappings"),
        "systems": {
            "erp": {"connector": "tryton", "connection": "tryton_test", "options": {"accept_warnings": True}},
            "crm": {"connector": "memory", "options": {}},
        },
        "flows": {
            "customers": {
                "entity": "customer",
                "erp": "erp",
                "crm": "crm",
                "direction": "both",
                "match_keys": [["tax_id"], ["name"]],
                "field_owners": {"credit_limit": "erp", "payment_terms": "erp", "tax_id": "erp"},
                "conflict_policy": "manual",
                "page_size": 2,
                "batch_size": 10,
            }
        },
    }
    path = tmp_path / "synchub.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    yield path
    MemoryDatabase.forget()


def test_customers_flow_between_tryton_and_memory_converges_and_then_writes_nothing(
    config_file: Path, erp: TrytonConnector
) -> None:
    names = ["Tryton One", "Tryton Two 株式会社", 'O\'Brien % 100_ "x"']
    seeded = erp.write_batch(
        "customer",
        [WriteRequest("create", n, party(n, credit_limit_amount=Decimal("2500.00"))) for n in names],
    )
    assert all(r.ok for r in seeded)
    crm = MemoryDatabase.named("crm")
    crm.put("customer", None, crm_customer("CRM Only Ltd"))
    config = load_config(config_file)
    store = Store(config.state.url)
    store.upgrade()
    retry = RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.05)
    try:
        first = run_flow(config, "customers", store, retry=retry)
        assert first.status == "success", first.error
        assert first.sides["crm"].created == 4  # with the company's own party
        assert first.sides["erp"].created == 1
        assert first.dead_letters == 0 and first.conflicts == 0

        created = [
            r
            for r in erp.read_changes("customer", None)
            for r in r.records
            if r.data["name"] == "CRM Only Ltd"
        ]
        (record,) = created
        assert record.data["addresses"][0]["country"] == "GB"
        assert record.data["customer_payment_term"] == "30 days net"
        assert record.data["contacts"][0]["email"] == "ann@crm.example"
        assert {c["company"]["name"] for c in crm.all("customer").values()} == {
            *names,
            "CRM Only Ltd",
            "SyncHub Demo GmbH",
        }

        second = run_flow(config, "customers", store, retry=retry)
        assert second.status == "success", second.error
        for side in second.sides.values():
            assert (side.created, side.updated, side.failed) == (0, 0, 0), side
    finally:
        store.close()

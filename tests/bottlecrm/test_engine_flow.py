"""The customers flow between the memory ERP and a real BottleCRM, through ``run_flow``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.base import WriteRequest
from connectors.bottlecrm import BottleCrmConnector
from connectors.memory import MemoryDatabase
from sync_engine.config import load_config
from sync_engine.flows import run_flow
from sync_engine.retrying import RetryPolicy
from sync_engine.store import Store

REPO = Path(__file__).resolve().parents[2]
FAST_RETRY = RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.05)
CUSTOMERS_FLOW: dict[str, Any] = {
    "entity": "customer",
    "erp": "erp",
    "crm": "crm",
    "direction": "both",
    "match_keys": [["name"]],
    "field_owners": {"credit_limit": "erp", "payment_terms": "erp", "tax_id": "erp"},
    "conflict_policy": "manual",
}


def native(name: str, vat: str, email: str) -> dict[str, Any]:
    """A customer of the memory ERP (mappings/memory/customer.yaml) in values BottleCRM keeps as they are."""
    return {
        "company": {"name": name, "legal_form": "GmbH"},
        "vat_number": vat,
        "currency_code": "EUR",
        "finance": {"credit_limit": "5000.00", "credit_currency": "EUR", "payment_terms": "NET30"},
        "status": "A",
        "addresses": [
            {
                "type": "INV",
                "street_lines": "Hauptstr. 1",
                "zip": "50667",
                "city": "Köln",
                "state": None,
                "country_iso": "DE",
            }
        ],
        "people": [
            {
                "first_name": "Ann",
                "last_name": "Lee",
                "email": email,
                "phone": "+49301234567",
                "position": "CEO",
            }
        ],
    }


def test_customers_flow_creates_in_bottlecrm_detects_a_crm_change_by_hash_and_then_writes_nothing(
    tmp_path: Path,
    connector: BottleCrmConnector,
    crm_uri: str,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SYNCHUB_CONN_CRM", crm_uri)
    MemoryDatabase.forget()
    doc = {
        "version": 1,
        "state": {"url": f"sqlite:///{tmp_path / 'state.db'}"},
        "mappings_dir": str(REPO / "mappings"),
        "systems": {
            "erp": {"connector": "memory", "options": {}},
            "crm": {"connector": "bottlecrm", "connection": "crm"},
        },
        "flows": {"customers": CUSTOMERS_FLOW},
    }
    (tmp_path / "synchub.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    config = load_config(tmp_path / "synchub.yaml")
    store = Store(config.state.url)
    store.upgrade()
    erp = MemoryDatabase.named("erp")
    arabic, japanese = f"شركة الأمل {unique}", f"東京精機 {unique}"
    erp.put("customer", None, native(arabic, "AE1", f"amal-{unique}@example.ae"))
    erp.put("customer", None, native(japanese, "JP1", f"tokyo-{unique}@example.jp"))

    try:
        first = run_flow(config, "customers", store, retry=FAST_RETRY)
        assert first.status == "success", first.error
        assert first.sides["crm"].created == 2 and first.dead_letters == 0

        crm_rows = {r.data["name"]: r for p in connector.read_changes("customer", None) for r in p.records}
        assert {arabic, japanese} <= set(crm_rows)
        assert crm_rows[japanese].data["addresses"][0]["city"] == "Köln"
        assert crm_rows[japanese].data["contacts"][0]["email"] == f"tokyo-{unique}@example.jp"

        settled = run_flow(config, "customers", store, retry=FAST_RETRY)
        assert settled.writes == 0, settled.as_dict()

        # Someone edits the city in BottleCRM; no timestamp says so, the snapshot hash does.
        tokyo = crm_rows[japanese]
        moved = [{**tokyo.data["addresses"][0], "city": "大阪"}]
        assert connector.write_batch(
            "customer", [WriteRequest("update", "t", {"addresses": moved}, tokyo.id)]
        )[0].ok
        changed = run_flow(config, "customers", store, retry=FAST_RETRY)
        assert changed.status == "success", changed.error
        assert (changed.sides["erp"].updated, changed.sides["crm"].updated) == (1, 0)
        cities = {row["company"]["name"]: row["addresses"][0]["city"] for row in erp.all("customer").values()}
        assert cities[japanese] == "大阪" and cities[arabic] == "Köln"

        again = run_flow(config, "customers", store, retry=FAST_RETRY)
        assert again.writes == 0
        assert again.sides["crm"].unchanged >= 2
    finally:
        store.close()
        MemoryDatabase.forget()

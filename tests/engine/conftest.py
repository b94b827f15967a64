"""A small world for engine tests: two in-memory systems, a SQLite state store, a config file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.memory import MemoryDatabase
from sync_engine.config import Config, load_config
from sync_engine.flows import run_flow
from sync_engine.mapping import load_mapping
from sync_engine.model import validate_canonical
from sync_engine.report import RunReport
from sync_engine.retrying import RetryPolicy
from sync_engine.store import Store

REPO = Path(__file__).resolve().parents[2]
FAST_RETRY = RetryPolicy(attempts=3, initial_wait=0.001, max_wait=0.01)


class Hub:
    """Two memory systems ``erp`` and ``crm`` synced by SyncHub through a real config and store."""

    def __init__(self, root: Path, flows: dict[str, Any], systems: dict[str, Any]) -> None:
        self.root = root
        doc = {
            "version": 1,
            "state": {"url": f"sqlite:///{root / 'state.db'}"},
            "mappings_dir": str(REPO / "mappings"),
            "systems": systems,
            "flows": flows,
        }
        self.config_path = root / "synchub.yaml"
        self.config_path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        self.config: Config = load_config(self.config_path)
        self.store = Store(self.config.state.url)
        self.store.upgrade()
        self.erp = MemoryDatabase.named("erp")
        self.crm = MemoryDatabase.named("crm")

    def run(self, flow: str = "customers", **kwargs: Any) -> RunReport:
        kwargs.setdefault("retry", FAST_RETRY)
        return run_flow(self.config, flow, self.store, **kwargs)

    def canonical(self, side: str, entity: str = "customer") -> dict[str, dict[str, Any]]:
        """Every record of a side in canonical JSON form (what the mapping makes of it), by native id."""
        db = self.erp if side == "erp" else self.crm
        mapping = load_mapping(REPO / "mappings", "memory", entity)
        out = {}
        for record_id, data in db.all(entity).items():
            model = validate_canonical(entity, mapping.to_canonical(data, _NoRefs()))
            out[record_id] = model.model_dump(mode="json")
        return out

    def by_name(self, side: str) -> dict[str, dict[str, Any]]:
        return {rec["name"]: rec for rec in self.canonical(side).values()}

    def id_of(self, side: str, name: str) -> str:
        db = self.erp if side == "erp" else self.crm
        for record_id, data in db.all("customer").items():
            if data["company"]["name"] == name:
                return record_id
        raise KeyError(name)


class _NoRefs:
    system = "test"

    def canonical_id(self, entity: str, external_id: str) -> str | None:
        return f"ref:{external_id}"

    def external_id(self, entity: str, canonical_id: str) -> str | None:
        return canonical_id.removeprefix("ref:")


CUSTOMERS_FLOW: dict[str, Any] = {
    "entity": "customer",
    "erp": "erp",
    "crm": "crm",
    "direction": "both",
    "match_keys": [["tax_id"], ["name"]],
    "field_owners": {"credit_limit": "erp", "payment_terms": "erp", "tax_id": "erp"},
    "conflict_policy": "manual",
    "deletes": "propagate",  # these tests pin hard deletes; customers default to archive
    "page_size": 50,
    "batch_size": 20,
}


@pytest.fixture
def make_hub(tmp_path: Path) -> Iterator[Callable[..., Hub]]:
    """Build a Hub; keyword arguments override the customers flow; erp_options/crm_options go to systems."""
    MemoryDatabase.forget()
    hubs: list[Hub] = []

    def build(
        *,
        erp_options: dict[str, Any] | None = None,
        crm_options: dict[str, Any] | None = None,
        extra_flows: dict[str, Any] | None = None,
        **flow: Any,
    ) -> Hub:
        systems = {
            "erp": {"connector": "memory", "options": erp_options or {}},
            "crm": {"connector": "memory", "options": crm_options or {}},
        }
        flows = {"customers": {**CUSTOMERS_FLOW, **flow}, **(extra_flows or {})}
        hub = Hub(tmp_path, flows, systems)
        hubs.append(hub)
        return hub

    yield build
    for hub in hubs:
        hub.store.close()
    MemoryDatabase.forget()


@pytest.fixture
def hub(make_hub: Callable[..., Hub]) -> Hub:
    return make_hub()

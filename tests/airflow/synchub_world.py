"""A SyncHub world for the Airflow tests: two memory systems persisted to files, a config, a state DB.

Files (not process memory) hold the systems' data, so Airflow task processes, the test and the
review app all see the same records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from connectors.memory import MemoryDatabase
from sync_engine.config import Config, load_config
from sync_engine.store import Store
from tests.memory_samples import native_customer


def customer(name: str, vat: str, *, city: str = "Berlin") -> dict[str, Any]:
    return native_customer(name, vat, city=city, phone="+49 30 1")


REPO = Path(__file__).resolve().parents[2]
ERP_CONN_ID = "synchub_erp"


class World:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.erp_file = root / "erp.json"
        self.crm_file = root / "crm.json"
        self.state_url = f"sqlite:///{root / 'state.db'}"
        self.config_path = root / "synchub.yaml"

    def write(self) -> Config:
        """Write the config (customers, products, and quotes after both) and migrate the state DB."""
        doc = {
            "version": 1,
            "state": {"url": self.state_url},
            "mappings_dir": str(REPO / "mappings"),
            # The ERP's connection comes from an Airflow Connection (AIRFLOW_CONN_SYNCHUB_ERP, see env()).
            "systems": {
                "erp": {"connector": "memory", "connection": ERP_CONN_ID},
                "crm": {"connector": "memory", "options": {"path": str(self.crm_file)}},
            },
            "flows": {
                "customers": {
                    "entity": "customer",
                    "erp": "erp",
                    "crm": "crm",
                    "schedule": "@hourly",
                    "match_keys": [["tax_id"]],
                    "conflict_policy": "manual",
                },
                "products": {
                    "entity": "product",
                    "erp": "erp",
                    "crm": "crm",
                    "direction": "erp_to_crm",
                    "schedule": "@daily",
                    "match_keys": [["sku"]],
                },
                "quotes": {
                    "entity": "quote",
                    "erp": "erp",
                    "crm": "crm",
                    "direction": "crm_to_erp",
                    "depends_on": ["customers", "products"],
                },
            },
        }
        self.config_path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        store = Store(self.state_url)
        store.upgrade()
        store.close()
        return load_config(self.config_path)

    def env(self) -> dict[str, str]:
        return {
            "SYNCHUB_CONFIG": str(self.config_path),
            "AIRFLOW_CONN_SYNCHUB_ERP": f"memory://erp?path={self.erp_file}",
        }

    def system(self, name: str) -> MemoryDatabase:
        """A fresh view of a system's file (not the process-wide shared database)."""
        db = MemoryDatabase(name)
        db.attach(self.erp_file if name == "erp" else self.crm_file)
        return db

    def store(self) -> Store:
        return Store(self.state_url)

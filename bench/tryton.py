"""Records/s reading and writing 1,000 parties against a real Tryton, and the engine's share of a
full customers sync Tryton -> memory.  Run: ``.venv/bin/python bench/tryton.py [--records N]``."""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import yaml

from connectors.base import ConnectionSettings, WriteRequest
from connectors.memory import MemoryDatabase
from connectors.tryton import TrytonConnector
from sync_engine.config import load_config
from sync_engine.flows import run_flow
from sync_engine.store import Store
from synchub_dev.peers.tryton import TrytonPeer

REPO = Path(__file__).resolve().parents[1]


def party(i: int) -> dict:
    return {
        "name": f"Bench Party {i:05d}",
        "credit_limit_amount": Decimal("1000.00"),
        "addresses": [{"street": f"Street {i}", "postal_code": "10115", "city": "Berlin", "country": "DE",
                       "invoice": True}],
        "contacts": [{"name": "Ann Lee", "email": f"ann{i}@example.com", "phone": "+49 30 1234"}],
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        instance = TrytonPeer(log=print).start(Path(tmp) / "tryton")
        try:
            erp = TrytonConnector(ConnectionSettings.from_uri(instance.uri))
            erp.client.login()
            start = time.perf_counter()
            for offset in range(0, args.records, args.batch):
                requests = [
                    WriteRequest("create", str(i), party(i))
                    for i in range(offset, min(offset + args.batch, args.records))
                ]
                assert all(r.ok for r in erp.write_batch("customer", requests))
            write_s = time.perf_counter() - start
            start = time.perf_counter()
            read = sum(len(p.records) for p in erp.read_changes("customer", None, page_size=500))
            read_s = time.perf_counter() - start
            print(f"write {args.records} parties: {write_s:.2f} s  {args.records / write_s:,.0f} records/s")
            print(f"read  {read} parties:  {read_s:.2f} s  {read / read_s:,.0f} records/s")
            erp.close()

            os.environ["SYNCHUB_CONN_TRYTON_BENCH"] = instance.uri
            doc = {
                "version": 1,
                "state": {"url": f"sqlite:///{Path(tmp) / 'state.db'}"},
                "mappings_dir": str(REPO / "mappings"),
                "systems": {
                    "erp": {"connector": "tryton", "connection": "tryton_bench"},
                    "crm": {"connector": "memory"},
                },
                "flows": {
                    "customers": {"entity": "customer", "erp": "erp", "crm": "crm", "direction": "erp_to_crm",
                                  "match_keys": [["name"]], "page_size": 500, "batch_size": 200}
                },
            }  # fmt: skip
            path = Path(tmp) / "synchub.yaml"
            path.write_text(yaml.safe_dump(doc))
            config = load_config(path)
            store = Store(config.state.url)
            store.upgrade()
            MemoryDatabase.forget()
            report = run_flow(config, "customers", store)
            store.close()
            phases = dict(report.phase_seconds)
            # The engine's "read" phase does not cover the time spent inside the connector's page
            # generator, so the engine's own work is the sum of its other phases; the rest is I/O.
            engine_s = sum(v for k, v in phases.items() if k not in ("read", "write"))
            print(f"customers sync Tryton -> memory: {report.status}, {report.sides['crm'].created} created "
                  f"in {report.duration_s:.2f} s")  # fmt: skip
            print("  phases: " + ", ".join(f"{k} {v:.2f}s" for k, v in sorted(phases.items())))
            print(
                f"  engine share (its phases but read/write; the rest is Tryton I/O): "
                f"{engine_s:.2f} s = {engine_s / report.duration_s:.0%}"
            )
        finally:
            instance.stop()


if __name__ == "__main__":
    main()

"""kill -9 of a run in the middle of its writes, on the default SQLite store, against real servers:
the rerun starts at once (the lock's process is gone), writes no duplicate and loses nothing."""

from __future__ import annotations

from connectors.base import WriteRequest
from sync_engine.flows import run_flow
from sync_engine.store import Store
from synchub_dev.demo import seed
from tests.steady.conftest import RealPeers
from tests.steady.steps import killed_customers_run


def test_a_run_killed_mid_write_on_sqlite_reruns_at_once_without_duplicates(peers: RealPeers) -> None:
    connectors = peers.connectors()
    erp, crm = connectors["erp"], connectors["crm"]
    names = [f"Kill -9 Probe {i:02d} / 试验 {i}" for i in range(12)]
    seed.write_all(erp, "customer", [WriteRequest("create", n, {"name": n}) for n in names])
    try:
        config = killed_customers_run(peers)
        store = Store(config.state.url)
        try:
            [lock] = store.list_locks()
            assert lock.dead, "the killed run's lock row is left behind, its process gone"
            report = run_flow(config, "customers", store, connectors=connectors)  # at once: no waiting
            assert report.status == "success", report.as_dict()
            again = run_flow(config, "customers", store, connectors=connectors)
            assert again.writes == 0, again.as_dict()
            assert store.list_locks() == []
        finally:
            store.close()
        crm_names = [r.data["name"] for p in crm.read_changes("customer", None) for r in p.records]
        assert sorted(n for n in crm_names if n.startswith("Kill -9")) == sorted(names), "each exactly once"
    finally:
        for connector in connectors.values():
            connector.close()

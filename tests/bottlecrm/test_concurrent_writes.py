"""Write batches in flight at once against a real BottleCRM: no duplicate, the same end state as one at
a time, and the runs after convergence write nothing."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.base import ConnectionSettings
from connectors.bottlecrm import BottleCrmConnector
from connectors.memory import MemoryDatabase
from sync_engine.config import load_config
from sync_engine.flows import open_connector, run_flow
from sync_engine.retrying import RetryPolicy
from sync_engine.store import Store
from synchub_dev.peers.bottlecrm import BottleCrmInstance, BottleCrmPeer

from .test_engine_flow import native

REPO = Path(__file__).resolve().parents[2]
FAST_RETRY = RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.05)
CUSTOMERS = 24


class InFlight:
    """Counts the ``write_batch`` calls running at the same moment (the most seen)."""

    def __init__(self, connector: Any) -> None:
        self.now = self.most = 0
        self.lock = threading.Lock()
        self.write_batch = connector.write_batch
        connector.write_batch = self  # the engine calls it as before, now through here

    def __call__(self, entity: str, requests: Any) -> Any:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            return self.write_batch(entity, requests)
        finally:
            with self.lock:
                self.now -= 1


def end_state(connector: BottleCrmConnector, suffix: str) -> list[dict[str, Any]]:
    """The customers whose names end in ``suffix``, without BottleCRM's own ids, sorted by name."""
    rows = [r.data for p in connector.read_changes("customer", None) for r in p.records]
    mine = [row for row in rows if str(row["name"]).endswith(suffix)]
    names = Counter(row["name"] for row in mine)
    assert not [n for n, k in names.items() if k > 1], f"duplicated accounts: {names.most_common(3)}"
    return sorted(
        (
            {**row, "contacts": [{k: v for k, v in c.items() if k != "id"} for c in row["contacts"]]}
            for row in mine
        ),
        key=lambda row: row["name"],
    )


def sync(tmp: Path, uri: str, concurrency: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], int]:
    """The customers flow ERP -> BottleCRM with ``concurrency`` batches in flight, then three more runs;
    the reports and the most write batches seen in flight at once."""
    tmp.mkdir()
    monkeypatch.setenv(f"SYNCHUB_CONN_CRM{concurrency}", uri)
    flow = {"entity": "customer", "erp": "erp", "crm": "crm", "direction": "erp_to_crm",
            "match_keys": [["name"]], "page_size": 4, "batch_size": 4}  # fmt: skip
    doc = {
        "version": 1,
        "state": {"url": f"sqlite:///{tmp / 'state.db'}"},
        "mappings_dir": str(REPO / "mappings"),
        "systems": {
            "erp": {"connector": "memory", "options": {}},
            "crm": {
                "connector": "bottlecrm",
                "connection": f"crm{concurrency}",
                "max_concurrency": concurrency,
            },
        },
        "flows": {"customers": flow},
    }
    (tmp / "synchub.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    config = load_config(tmp / "synchub.yaml")
    store = Store(config.state.url)
    store.upgrade()
    connectors = {"erp": open_connector(config, "erp"), "crm": open_connector(config, "crm")}
    in_flight = InFlight(connectors["crm"])
    try:
        reports = [
            run_flow(config, "customers", store, retry=FAST_RETRY, connectors=connectors) for _ in range(4)
        ]
        assert store.count_links("customers") == CUSTOMERS
    finally:
        store.close()
        for conn in connectors.values():
            conn.close()
    return reports, in_flight.most


def test_concurrent_batches_give_the_same_customers_as_sequential_ones_and_no_duplicate(
    crm: BottleCrmInstance,
    bottlecrm_peer: BottleCrmPeer,
    tmp_path: Path,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    MemoryDatabase.forget()
    erp = MemoryDatabase.named("erp")
    suffix = f" {unique}"
    for i in range(CUSTOMERS):
        erp.put(
            "customer", None, native(f"Firma {i:02d}{suffix}", f"DE{i:03d}", f"ann{i}-{unique}@example.de")
        )
    try:
        with bottlecrm_peer.start(tmp_path / "second-crm") as other:
            sequential, one = sync(tmp_path / "seq", crm.connection_uri(), 1, monkeypatch)
            concurrent, most = sync(tmp_path / "con", other.connection_uri(), 4, monkeypatch)
            with (
                BottleCrmConnector(ConnectionSettings.from_uri(crm.connection_uri())) as seq_crm,
                BottleCrmConnector(ConnectionSettings.from_uri(other.connection_uri())) as con_crm,
            ):
                seq_state, con_state = end_state(seq_crm, suffix), end_state(con_crm, suffix)
    finally:
        MemoryDatabase.forget()

    for first, *quiet in (sequential, concurrent):
        assert first.status == "success" and first.dead_letters == 0, first.error
        assert first.sides["crm"].created == CUSTOMERS
        assert [run.writes for run in quiet] == [0, 0, 0], [run.as_dict() for run in quiet]
    assert len(con_state) == CUSTOMERS and con_state == seq_state
    assert con_state[5]["contacts"][0]["email"] == f"ann5-{unique}@example.de"
    assert (one, most) == (1, 4), "batches one at a time, then four in flight"


def test_threads_calling_one_client_at_once_each_get_their_own_session(connector: BottleCrmConnector) -> None:
    """requests.Session is not thread safe: calls from several threads must not share one."""
    client = connector.client
    used: set[int] = set()

    def call(_: int) -> int:
        assert client.get("profile/")
        used.add(id(client.session))
        time.sleep(0.05)  # keep each worker busy so the pool spreads the calls over all four
        return threading.get_ident()

    with ThreadPoolExecutor(4) as pool:
        threads = set(pool.map(call, range(8)))
    assert len(used) == len(threads) == 4
    pools = [client_session.get_adapter(client.base_url).poolmanager for client_session in client._sessions]
    assert len(pools) == 4 and all(len(pool.pools) == 1 for pool in pools)
    client.close()
    assert all(len(pool.pools) == 0 for pool in pools), "close() closes every thread's connections"
    assert client.get("profile/"), "a call after close() opens a fresh session"

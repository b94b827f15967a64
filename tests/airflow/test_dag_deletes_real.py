"""A party deleted in Tryton reaches the CRM through the scheduled DAG, on the flow's reconciliation
schedule, and ``deletes: archive`` (the default for customers) deactivates the account instead of
deleting it. Real Tryton and real BottleCRM; the DAG runs with ``dag.test()`` as the scheduler would."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.base import ConnectionSettings, WriteRequest
from connectors.bottlecrm import BottleCrmConnector
from connectors.tryton import TrytonConnector
from sync_engine.airflow.dag_factory import dag_id
from sync_engine.store import Store
from synchub_dev.peers.bottlecrm import BottleCrmInstance, BottleCrmPeer
from synchub_dev.peers.tryton import TrytonInstance, TrytonPeer
from tests.bottlecrm.conftest import bottlecrm_peer  # noqa: F401 - shared session fixtures
from tests.tryton.conftest import tryton_peer  # noqa: F401
from tests.tryton.helpers import party

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def servers(
    tryton_peer: TrytonPeer,  # noqa: F811
    bottlecrm_peer: BottleCrmPeer,  # noqa: F811
    tmp_path: Path,
) -> Iterator[tuple[TrytonInstance, BottleCrmInstance]]:
    tryton = tryton_peer.start(tmp_path / "tryton")
    try:
        with bottlecrm_peer.start(tmp_path / "bottlecrm") as crm:
            yield tryton, crm
    finally:
        tryton.stop()


def _dag_run(flow: str) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(REPO / "dags")).get_dag(dag_id(flow))
    assert dag is not None, "the flow's DAG did not load"
    run = dag.test()
    assert run.state == "success"
    return run


def _accounts(crm: BottleCrmConnector) -> dict[str, dict[str, Any]]:
    return {r.data["name"]: r.data for page in crm.read_changes("customer", None) for r in page.records}


def test_a_party_deleted_in_tryton_is_archived_in_the_crm_when_reconciliation_is_due(
    airflow_db: Path,
    servers: tuple[TrytonInstance, BottleCrmInstance],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tryton, crm_server = servers
    state = f"sqlite:///{tmp_path / 'state.db'}"
    config = {
        "version": 1,
        "state": {"url": state},
        "mappings_dir": str(REPO / "mappings"),
        "systems": {
            "erp": {"connector": "tryton", "connection": "steady_erp", "options": {"accept_warnings": True}},
            "crm": {"connector": "bottlecrm", "connection": "steady_crm"},
        },
        # reconcile_deletes and deletes are left to their defaults: daily, and archive for customers
        "flows": {"customers": {"entity": "customer", "erp": "erp", "crm": "crm", "schedule": "@hourly",
                                "match_keys": [["tax_id"], ["name"]]}},
    }  # fmt: skip
    path = tmp_path / "synchub.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    store = Store(state)
    store.upgrade()
    monkeypatch.setenv("SYNCHUB_CONFIG", str(path))
    monkeypatch.setenv("AIRFLOW_CONN_STEADY_ERP", tryton.uri)
    monkeypatch.setenv("AIRFLOW_CONN_STEADY_CRM", crm_server.connection_uri())
    erp = TrytonConnector(ConnectionSettings.from_uri(tryton.uri))
    crm = BottleCrmConnector(ConnectionSettings.from_uri(crm_server.connection_uri()))
    try:
        gone, kept = "Löschbar GmbH / 削除可能", "Bleibt AG"
        # (BottleCRM wants a contact's e-mail unique across accounts)
        people = {
            n: [{"name": "Ann Lee", "email": f"ann{i}@example.com"}] for i, n in enumerate((gone, kept))
        }
        creates = [WriteRequest("create", n, party(n, contacts=people[n])) for n in (gone, kept)]
        ids = [r.id for r in erp.write_batch("customer", creates)]
        _dag_run("customers")
        assert {gone, kept} <= set(_accounts(crm))

        assert erp.write_batch("customer", [WriteRequest("delete", "d", {}, ids[0])])[0].ok
        _dag_run("customers")  # reconciled at the first run, a day is not over: not seen yet
        assert _accounts(crm)[gone]["is_active"] is True

        store.set_reconciled("customers", "erp", datetime.now(UTC) - timedelta(hours=25))
        _dag_run("customers")  # a day later: the ids are compared, the deletion found
        accounts = _accounts(crm)
        assert accounts[gone]["is_active"] is False, "archived: deactivated, not deleted"
        assert accounts[kept]["is_active"] is True
        [run] = store.list_runs(flow="customers", limit=1)
        assert run.counts["systems"]["crm"]["updated"] == 1 and run.counts["systems"]["crm"]["deleted"] == 0

        _dag_run("customers")
        [quiet] = store.list_runs(flow="customers", limit=1)
        assert all(c["created"] + c["updated"] + c["deleted"] == 0 for c in quiet.counts["systems"].values())
    finally:
        erp.close()
        crm.close()
        store.close()

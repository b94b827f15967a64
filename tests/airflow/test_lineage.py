"""OpenLineage: a flow's DAG run emits events naming the systems and objects, with counts as facets.

The events are captured by OpenLineage's file transport, written by the real
``apache-airflow-providers-openlineage`` listener while ``dag.test()`` runs the customers DAG.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from synchub_world import REPO, World, customer

from sync_engine.airflow.lineage import flow_lineage
from sync_engine.config import load_config

RUN_DAG = """
from airflow.dag_processing.dagbag import DagBag
run = DagBag(dag_folder={dags!r}).get_dag("synchub_customers").test()
print("STATE", run.state)
"""


SECRET = "Pa55-w0rd-never-logged"


@dataclass
class DagRunInAProcess:
    events: list[dict[str, Any]]
    events_text: str
    output: str


@pytest.fixture(scope="module")
def dag_run(airflow_db: Path, tmp_path_factory: pytest.TempPathFactory) -> DagRunInAProcess:
    """The customers DAG run once by ``dag.test()`` in a process of its own, as a worker runs it (the
    provider's listener and transport set up from scratch); the ERP's Connection has a password.
    A world of its own: the session's shared one holds what earlier Airflow tests synced."""
    world = World(tmp_path_factory.mktemp("lineage-world"))
    world.write()
    world.system("erp").put("customer", None, customer("Lineage AG", "DE-LINEAGE"))
    world.system("crm").put("customer", None, {**customer("Kaputt", "DE-KAPUTT"), "status": "?"})
    events_file = tmp_path_factory.mktemp("lineage") / "openlineage.jsonl"
    transport = {"type": "file", "log_file_path": str(events_file), "append": True}
    env = {
        **os.environ,
        **world.env(),
        "AIRFLOW_CONN_SYNCHUB_ERP": f"memory://sync:{SECRET}@erp?path={world.erp_file}",
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport),
    }
    done = subprocess.run(
        [sys.executable, "-c", RUN_DAG.format(dags=str(REPO / "dags"))],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "STATE failed" in done.stdout, done.stderr[-4000:]  # review fails: a dead letter was left
    text = events_file.read_text(encoding="utf-8")
    return DagRunInAProcess([json.loads(line) for line in text.splitlines()], text, done.stdout + done.stderr)


def test_a_dag_run_emits_inputs_outputs_and_synchub_facets(dag_run: DagRunInAProcess) -> None:
    events = dag_run.events
    by_job = {(e["job"]["name"], e["eventType"]): e for e in events}
    complete = by_job[("synchub_customers.sync", "COMPLETE")]
    inputs = {(d["namespace"], d["name"]): d for d in complete["inputs"]}
    outputs = {(d["namespace"], d["name"]): d for d in complete["outputs"]}
    assert set(inputs) == set(outputs) == {("memory://erp", "customer"), ("memory://crm", "customer")}
    assert inputs[("memory://erp", "customer")]["inputFacets"]["inputStatistics"]["rowCount"] == 1
    assert outputs[("memory://crm", "customer")]["outputFacets"]["outputStatistics"]["rowCount"] == 1
    assert inputs[("memory://crm", "customer")]["facets"]["dataSource"]["name"] == "crm"
    facet = complete["run"]["facets"]["synchub"]
    assert (facet["flow"], facet["entity"], facet["status"]) == ("customers", "customer", "partial")
    assert (facet["deadLetters"], facet["conflicts"]) == (1, 0)  # the CRM's broken record
    assert facet["systems"]["crm"]["failed"] == 1 and facet["runId"] is not None
    plan = by_job[("synchub_customers.plan", "COMPLETE")]
    assert plan["outputs"] == [] and plan["run"]["facets"]["synchub"]["dryRun"] is True
    assert SECRET not in dag_run.events_text


def test_task_logs_show_each_step_and_never_the_connection_secret(dag_run: DagRunInAProcess) -> None:
    logs = dag_run.output
    assert "flow customers: run 1 started (erp -> crm)" in logs
    assert "flow customers: read 1 records from erp (all)" in logs
    assert "flow customers: batch of 1 records committed" in logs
    assert "crm customer C000001 dead-lettered (stage map, field active)" in logs
    assert "opened 0 conflict(s) and left 1 dead letter(s)" in logs  # the review task's failure
    assert SECRET not in logs


def test_datasets_name_the_real_systems_and_their_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_path = tmp_path / "synchub.yaml"
    config_path.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "state": {"url": f"sqlite:///{tmp_path / 'state.db'}"},
                "systems": {
                    "erp": {"connector": "tryton", "connection": "erp_conn"},
                    "crm": {"connector": "bottlecrm", "connection": "crm_conn"},
                },
                "flows": {"customers": {"entity": "customer", "erp": "erp", "crm": "crm"}},
            }
        )
    )
    monkeypatch.setenv("SYNCHUB_CONN_ERP_CONN", "tryton://admin:s3cret-pw@tryton.internal:8000/sales")
    monkeypatch.setenv("SYNCHUB_CONN_CRM_CONN", "bottlecrm://:bcrm_pat_s3cret@crm.internal:443")
    result = {
        "flow": "customers",
        "run_id": 7,
        "status": "success",
        "dry_run": False,
        "systems": {
            "erp": {"role": "erp", "read": 3, "created": 1, "updated": 0, "deleted": 0},
            "crm": {"role": "crm", "read": 5, "created": 2, "updated": 1, "deleted": 0},
        },
        "conflicts": 1,
        "dead_letters": 2,
        "deferred": 0,
    }

    lineage = flow_lineage(load_config(config_path), "customers", result)

    names = [(d.namespace, d.name) for d in lineage.inputs]
    assert names == [
        ("tryton://tryton.internal:8000", "sales.party.party"),
        ("bottlecrm://crm.internal:443", "account"),
    ]
    rows = {d.name: d.outputFacets["outputStatistics"].rowCount for d in lineage.outputs}
    assert rows == {"sales.party.party": 1, "account": 3}
    facet = lineage.run_facets["synchub"]
    assert (facet.conflicts, facet.deadLetters, facet.runId) == (1, 2, "7")
    assert "s3cret" not in repr(lineage)

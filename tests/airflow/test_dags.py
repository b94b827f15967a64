"""The generated DAGs: they load, carry the scheduling rules, and run the customers flow end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from synchub_world import REPO, World, customer

from sync_engine.airflow.dag_factory import DAG_PREFIX, dag_id, flow_asset


def _dagbag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_every_enabled_flow_becomes_a_dag_without_import_errors(airflow_db: Path) -> None:
    bag = _dagbag()
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {dag_id("customers"), dag_id("products"), dag_id("quotes")}


def test_dags_bound_runs_retries_and_api_concurrency(airflow_db: Path) -> None:
    dag = _dagbag().get_dag(dag_id("customers"))
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert {"synchub", "entity:customer", "system:erp", "system:crm"} <= set(dag.tags)
    tasks = {t.task_id: t for t in dag.tasks}
    assert set(tasks) == {"plan", "sync", "report", "review"}
    assert tasks["sync"].upstream_task_ids == {"plan"}
    assert tasks["report"].upstream_task_ids == {"sync"}
    assert tasks["review"].upstream_task_ids == {"report"} and tasks["review"].retries == 0
    assert tasks["sync"].retries == 3
    assert tasks["sync"].retry_exponential_backoff > 1
    # two-way flow: writes count against the ERP's pool; products (ERP -> CRM) against the CRM's
    assert tasks["sync"].pool == f"{DAG_PREFIX}erp"
    products = _dagbag().get_dag(dag_id("products"))
    assert {t.task_id: t for t in products.tasks}["sync"].pool == f"{DAG_PREFIX}crm"


def test_dependent_flow_is_scheduled_by_the_assets_of_the_flows_it_needs(airflow_db: Path) -> None:
    bag = _dagbag()
    quotes = bag.get_dag(dag_id("quotes"))
    needed = {asset.name for asset in quotes.schedule.objects}  # both must have been updated
    assert needed == {flow_asset("customers").name, flow_asset("products").name}
    customers = bag.get_dag(dag_id("customers"))
    report = {t.task_id: t for t in customers.tasks}["report"]
    assert [o.name for o in report.outlets] == [flow_asset("customers").name]


def test_broken_config_is_reported_as_a_dag_import_error(
    airflow_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "synchub.yaml"
    broken.write_text("version: 1\nsystems: {}\nflows:\n  customers: {entity: customr, erp: erp, crm: crm}\n")
    monkeypatch.setenv("SYNCHUB_CONFIG", str(broken))
    errors = _dagbag().import_errors
    assert len(errors) == 1
    message = next(iter(errors.values()))
    assert f"{broken}:4:" in message


def test_unset_config_variable_is_reported_as_a_dag_import_error(
    airflow_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SYNCHUB_CONFIG")
    (message,) = _dagbag().import_errors.values()
    assert "SYNCHUB_CONFIG is not set" in message


def _xcom(dag_run_id: str, dag: str, task_id: str) -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.scalars(
            XComModel.get_many(run_id=dag_run_id, dag_ids=dag, task_ids=task_id, key="return_value")
        ).first()
        return XComModel.deserialize_value(row) if row is not None else None


def test_dag_test_syncs_customers_and_puts_counts_in_xcom_and_the_run_note(
    airflow_db: Path, world: World
) -> None:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    # The ERP is reached through the Airflow Connection AIRFLOW_CONN_SYNCHUB_ERP (memory://erp?path=...).
    world.system("erp").put("customer", None, customer("Dagtest GmbH", "DE-DAGTEST"))
    dag = _dagbag().get_dag(dag_id("customers"))

    run = dag.test()

    assert run.state == "success"
    crm = world.system("crm").all("customer")
    assert [c["company"]["name"] for c in crm.values()].count("Dagtest GmbH") == 1
    planned = _xcom(run.run_id, dag.dag_id, "plan")
    assert planned["planned"]["crm"].get("create", 0) >= 1
    synced = _xcom(run.run_id, dag.dag_id, "sync")
    assert synced["status"] == "success"
    assert synced["systems"]["crm"]["created"] >= 1
    assert synced["systems"]["erp"]["read"] >= 1
    assert "Dagtest" not in str(synced)  # never record payloads
    reported = _xcom(run.run_id, dag.dag_id, "report")
    assert reported["run_id"] == synced["run_id"]
    with create_session() as session:
        note = session.get(DagRun, run.id).note
    assert f"SyncHub run {synced['run_id']}" in note
    assert "Open conflicts: **0**" in note


def _states(dag_run_id: str) -> dict[str, str]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(TaskInstance).filter(TaskInstance.run_id == dag_run_id).all()
        return {ti.task_id: str(ti.state) for ti in rows}


def test_a_run_that_left_a_dead_letter_ends_with_review_failed(airflow_db: Path, world: World) -> None:
    world.system("crm").put("customer", None, {**customer("Kaputt KG", "DE-REVIEW"), "status": "?"})
    dag = _dagbag().get_dag(dag_id("customers"))

    run = dag.test()

    assert run.state == "failed"  # not plain green: a person has to look
    assert _states(run.run_id) == {
        "plan": "success",
        "sync": "success",
        "report": "success",
        "review": "failed",
    }
    assert _xcom(run.run_id, dag.dag_id, "report")["new_dead_letters"] == 1  # the asset event went out first


def test_trigger_config_dry_run_writes_nothing(airflow_db: Path, world: World) -> None:
    world.system("erp").put("customer", None, customer("Trockenlauf GmbH", "DE-DRYRUN"))
    dag = _dagbag().get_dag(dag_id("customers"))

    run = dag.test(run_conf={"dry_run": True, "page_size": 1, "batch_size": 1})

    assert run.state == "success"
    names = [c["company"]["name"] for c in world.system("crm").all("customer").values()]
    assert "Trockenlauf GmbH" not in names
    synced = _xcom(run.run_id, dag.dag_id, "sync")
    assert synced["dry_run"] is True and synced["systems"]["crm"]["created"] >= 1  # planned, not written


@pytest.mark.parametrize(
    "conf", [{"page_size": 0}, {"batch_size": 10_001}, {"dry_run": "yes"}, {"page_size": "many"}]
)
def test_trigger_config_outside_the_params_is_refused(airflow_db: Path, conf: dict[str, Any]) -> None:
    from airflow.sdk.exceptions import ParamValidationError

    dag = _dagbag().get_dag(dag_id("customers"))
    with pytest.raises(ParamValidationError):
        dag.test(run_conf=conf)

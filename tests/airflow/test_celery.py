"""SyncHub on the CeleryExecutor: two workers, the local Redis as broker, a fresh PostgreSQL database for
Airflow's metadata (and Celery's results), as docs/deploy.md describes.

Two flows triggered at once both succeed, their tasks spread over both workers; the same flow
triggered twice at once runs once after the other (``max_active_runs=1``; the store's flow lock
would refuse an overlap) and the second run writes nothing. One Airflow serves the whole module.
The workers serve a queue of their own, so other Celery users of this Redis are not disturbed.
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from live_airflow import Airflow
from synchub_world import World, customer

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
REDIS = "redis://127.0.0.1:6379/0"
WORKERS = ("synchub-w1", "synchub-w2")
PRODUCT = {
    "code": "CEL-1",
    "title": "Sellerie",
    "notes": None,
    "uom": "PCE",
    "price": 3.2,
    "price_currency": "EUR",
    "is_active": True,
}
WORKER_NAME = """import os


def hostname() -> str:
    return os.environ["SYNCHUB_WORKER"]
"""


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS} ({exc}); start it to run the CeleryExecutor test")


@dataclass
class Celery:
    airflow: Airflow
    world: World

    def trigger(self, dag: str) -> str:
        created = self.airflow.api("POST", f"/dags/{dag}/dagRuns", json={"logical_date": None, "conf": {}})
        assert created.status_code == 200, created.text
        return str(created.json()["dag_run_id"])

    def tasks(self, dag: str, run_id: str) -> dict[str, dict[str, Any]]:
        found = self.airflow.api("GET", f"/dags/{dag}/dagRuns/{run_id}/taskInstances").json()
        return {t["task_id"]: t for t in found["task_instances"]}

    def synced(self, dag: str, run_id: str) -> dict[str, Any]:
        path = f"/dags/{dag}/dagRuns/{run_id}/taskInstances/sync/xcomEntries/return_value"
        entry = self.airflow.api("GET", path, params={"deserialize": True}).json()
        value = entry["value"]
        return dict(json.loads(value) if isinstance(value, str) else value)


@pytest.fixture(scope="module")
def celery(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Celery]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    _redis_or_skip()
    root = tmp_path_factory.mktemp("celery")
    database = f"airflow_celery_{secrets.token_hex(4)}"
    server = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    meta = make_url(pg_url).set(drivername="postgresql+psycopg2", database=database)
    meta_url = meta.render_as_string(hide_password=False)
    queue = f"synchub_{secrets.token_hex(4)}"
    world = World(root / "world")
    world.root.mkdir(parents=True)
    world.write()
    # Triggered runs only: a scheduled run, started when a DAG is unpaused, would race the tests'
    # own runs for the flow lock (one of them then finds the lock taken and syncs nothing).
    doc = yaml.safe_load(world.config_path.read_text(encoding="utf-8"))
    for flow in doc["flows"].values():
        flow.pop("schedule", None)
    world.config_path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    (root / "pythonpath").mkdir()
    (root / "pythonpath" / "synchub_worker_name.py").write_text(WORKER_NAME)
    airflow = Airflow(
        root / "airflow",
        world.env(),
        {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta_url,
            "AIRFLOW__CELERY__BROKER_URL": REDIS,
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+"
            + meta.set(drivername="postgresql").render_as_string(False),
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
            "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
        },
    )
    try:
        airflow.start()
        for name in WORKERS:
            airflow.spawn(
                name,
                ["celery", "worker", "-q", queue, "-c", "1", "-H", f"{name}@%h", "--skip-serve-logs"],
                {
                    "SYNCHUB_WORKER": name,  # the task instances' hostname names the worker
                    "AIRFLOW__CORE__HOSTNAME_CALLABLE": "synchub_worker_name.hostname",
                    "PYTHONPATH": str(root / "pythonpath"),
                },
            )
        for dag in ("synchub_customers", "synchub_products"):
            airflow.prepare_dag(dag, ["synchub_erp", "synchub_crm"])
        yield Celery(airflow, world)
    finally:
        airflow.stop()
        shutil.copytree(
            airflow.logs,
            Path(__file__).resolve().parents[2] / "test-artifacts" / "celery-logs",
            dirs_exist_ok=True,
        )
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        server.dispose()


def test_two_flows_at_once_succeed_on_both_workers(celery: Celery) -> None:
    erp = celery.world.system("erp")
    erp.put("customer", None, customer("Celery Kunde AG", "DE-CELERY-1"))
    erp.put("product", None, PRODUCT)

    runs = {dag: celery.trigger(dag) for dag in ("synchub_customers", "synchub_products")}
    for dag, run_id in runs.items():
        celery.airflow.wait_run(dag, run_id, timeout=600)

    hosts = {t["hostname"] for dag, run_id in runs.items() for t in celery.tasks(dag, run_id).values()}
    assert hosts == set(WORKERS), f"tasks ran on {hosts}"
    crm = celery.world.system("crm")
    assert [c["company"]["name"] for c in crm.all("customer").values()].count("Celery Kunde AG") == 1
    # The product is in the CRM once, and the run that put it there succeeded.
    assert [p["code"] for p in crm.all("product").values()].count("CEL-1") == 1
    assert celery.synced("synchub_products", runs["synchub_products"])["systems"]["crm"]["created"] == 1


def test_the_same_flow_twice_at_once_runs_one_after_the_other_and_writes_once(celery: Celery) -> None:
    celery.world.system("erp").put("customer", None, customer("Doppelt GmbH", "DE-CELERY-2"))

    first, second = celery.trigger("synchub_customers"), celery.trigger("synchub_customers")
    celery.airflow.wait_run("synchub_customers", first, timeout=600)
    celery.airflow.wait_run("synchub_customers", second, timeout=600)

    one, two = celery.tasks("synchub_customers", first), celery.tasks("synchub_customers", second)
    assert one["sync"]["end_date"] <= two["plan"]["start_date"]  # the second waited for the first
    names = [c["company"]["name"] for c in celery.world.system("crm").all("customer").values()]
    assert names.count("Doppelt GmbH") == 1
    assert celery.synced("synchub_customers", first)["systems"]["crm"]["created"] == 1
    again = celery.synced("synchub_customers", second)["systems"]
    assert all(s["created"] == s["updated"] == s["deleted"] == 0 for s in again.values())

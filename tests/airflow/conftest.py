"""Airflow test setup. Airflow reads its configuration when first imported, so its environment (a
temporary AIRFLOW_HOME, the repo's dags/ folder) is set here at import time, before any test module
imports airflow. The SyncHub variables are set per test only, so other test folders never see them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from synchub_world import REPO, World

_HOME = Path(tempfile.mkdtemp(prefix="synchub-airflow-"))
AIRFLOW_ENV = {
    "AIRFLOW_HOME": str(_HOME / "home"),
    "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__PARALLELISM": "4",
    "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,viewer:viewer",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME / 'airflow.db'}",
    "AIRFLOW__API__SECRET_KEY": "synchub-test-secret",
    "AIRFLOW__API_AUTH__JWT_SECRET": "synchub-test-jwt-secret-" + "0123456789abcdef" * 4,
    "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(_HOME / "logs"),
}
os.environ.update(AIRFLOW_ENV)
WORLD = World(_HOME / "world")
WORLD.root.mkdir(parents=True, exist_ok=True)
WORLD.write()


@pytest.fixture(autouse=True)
def _synchub_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """SYNCHUB_CONFIG and the ERP's Airflow Connection, for DAG parsing and in-process tasks."""
    for key, value in WORLD.env().items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="session")
def world() -> World:
    return WORLD


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[Path]:
    """Airflow's metadata database, migrated once per session."""
    Path(AIRFLOW_ENV["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, timeout=300)
    yield _HOME
    shutil.rmtree(_HOME, ignore_errors=True)

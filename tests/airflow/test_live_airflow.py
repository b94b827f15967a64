"""A real Airflow (api-server, scheduler, dag-processor on 127.0.0.1, SQLite) runs the customers flow;
real headless Chromium logs in, opens SyncHub inside the Airflow UI and resolves a conflict.

Slow (about two minutes): it starts three servers and runs the flow twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from synchub_world import REPO, World, customer

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "admin-live-password"
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(what: str, check: Callable[[], Any], timeout: float, logs: Path) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except requests.RequestException as exc:
            last = exc
        time.sleep(1)
    tails = "\n".join(
        f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(logs.glob("*.log"))
    )
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})\n{tails}")


class Airflow:
    """Three Airflow servers, each in its own process group, stopped by PID."""

    def __init__(self, root: Path, world: World) -> None:
        self.root = root
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs = root / "logs"
        self.logs.mkdir(parents=True)
        passwords = root / "passwords.json"
        passwords.write_text(json.dumps({"admin": PASSWORD}))
        self.env = {
            **os.environ,
            **world.env(),
            "AIRFLOW_HOME": str(root / "home"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{root / 'airflow.db'}",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__API__SECRET_KEY": "live-test-secret",
            "AIRFLOW__API_AUTH__JWT_SECRET": "live-test-jwt-" + "0123456789abcdef" * 4,
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(root / "task-logs"),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(_free_port()),
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        }
        self.procs: list[subprocess.Popen[bytes]] = []
        self.airflow = str(Path(sys.executable).with_name("airflow"))

    def start(self) -> None:
        subprocess.run(
            [self.airflow, "db", "migrate"], env=self.env, check=True, capture_output=True, timeout=300
        )
        for name, args in (
            ("api-server", ["api-server", "--host", "127.0.0.1", "--port", str(self.port)]),
            ("scheduler", ["scheduler"]),
            ("dag-processor", ["dag-processor"]),
        ):
            log = (self.logs / f"{name}.log").open("wb")
            self.procs.append(
                subprocess.Popen(
                    [self.airflow, *args],
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    cwd=self.root,
                )
            )

    def stop(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGTERM)  # the group: workers and gunicorn children too
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=20)
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)  # whatever ignored SIGTERM
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                proc.wait(timeout=10)

    # -- REST API v2
    def token(self) -> str:
        response = requests.post(
            f"{self.url}/auth/token", json={"username": "admin", "password": PASSWORD}, timeout=30
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token()}"}
        return requests.request(method, f"{self.url}/api/v2{path}", headers=headers, timeout=30, **kwargs)

    def run_dag(self, dag: str, timeout: float = 240) -> dict[str, Any]:
        created = self.api("POST", f"/dags/{dag}/dagRuns", json={"logical_date": None, "conf": {}})
        assert created.status_code == 200, created.text
        run_id = created.json()["dag_run_id"]

        def finished() -> dict[str, Any] | None:
            run = self.api("GET", f"/dags/{dag}/dagRuns/{run_id}").json()
            return run if run.get("state") in ("success", "failed") else None

        run = _wait(f"{dag} run {run_id}", finished, timeout, self.logs)
        assert run["state"] == "success", f"{dag} run failed:\n{self._task_states(dag, run_id)}"
        return run

    def _task_states(self, dag: str, run_id: str) -> str:
        return self.api("GET", f"/dags/{dag}/dagRuns/{run_id}/taskInstances").text


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Airflow, World]]:
    root = tmp_path_factory.mktemp("live-airflow")
    world = World(root / "world")
    world.root.mkdir()
    world.write()
    airflow = Airflow(root, world)
    airflow.start()
    try:

        def healthy() -> bool:
            health = requests.get(f"{airflow.url}/api/v2/monitor/health", timeout=10).json()
            return all(
                health.get(part, {}).get("status") == "healthy"
                for part in ("metadatabase", "scheduler", "dag_processor")
            )

        _wait("Airflow health", healthy, 240, airflow.logs)
        yield airflow, world
    finally:
        airflow.stop()
        shutil.copytree(airflow.logs, ARTIFACTS / "airflow-logs", dirs_exist_ok=True)


def test_airflow_runs_the_flow_and_chromium_resolves_a_conflict_in_the_synchub_page(
    live: tuple[Airflow, World],
) -> None:
    from playwright.sync_api import sync_playwright

    airflow, world = live
    dag = "synchub_customers"
    for system in ("erp", "crm"):
        pool = airflow.api("POST", "/pools", json={"name": f"synchub_{system}", "slots": 2})
        assert pool.status_code in (200, 201, 409), pool.text
    _wait(
        f"DAG {dag} parsed", lambda: airflow.api("GET", f"/dags/{dag}").status_code == 200, 180, airflow.logs
    )
    assert airflow.api("PATCH", f"/dags/{dag}", json={"is_paused": False}).status_code == 200

    erp = world.system("erp")
    erp_id = erp.put("customer", None, customer("Live Acme", "DE-LIVE-1"))
    airflow.run_dag(dag)
    crm = world.system("crm")
    (crm_id,) = [i for i, c in crm.all("customer").items() if c["vat_number"] == "DE-LIVE-1"]

    # Both sides rename the customer differently: the next run opens a conflict for a person.
    world.system("erp").patch("customer", erp_id, {"company": {"name": "Live Acme (ERP)"}})
    world.system("crm").patch("customer", crm_id, {"company": {"name": "Live Acme (CRM)"}})
    second = airflow.run_dag(dag)
    store = world.store()
    (conflict,) = store.list_conflicts(flow="customers")
    assert conflict.field == "name"
    assert "Open conflicts: **1**" in (second.get("note") or ""), second

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{airflow.url}/", timeout=60_000)
            page.locator('input[name="username"]').fill("admin", timeout=60_000)
            page.locator('input[name="password"]').fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda url: "/auth/login" not in url, timeout=60_000)

            page.goto(f"{airflow.url}/plugin/synchub", timeout=60_000)
            frame = page.frame_locator("iframe")
            frame.get_by_text("Live Acme (CRM)").wait_for(timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "airflow-conflicts.png"))
            frame.get_by_role("link", name="Review").first.click()
            frame.locator("#take-erp").click()
            # The review page itself says "Conflict #N": wait for the confirmation after the POST.
            frame.get_by_text("resolved with erp").first.wait_for(timeout=30_000)
        finally:
            browser.close()

    resolved = store.get_conflict(conflict.id)
    store.close()
    assert resolved is not None
    assert (resolved.status, resolved.resolution, resolved.resolved_value, resolved.resolved_by) == (
        "resolved",
        "erp",
        "Live Acme (ERP)",
        "admin",
    )
    if os.environ.get("SYNCHUB_UPDATE_DOCS"):  # refresh the README's picture on purpose, not on every run
        shutil.copyfile(ARTIFACTS / "airflow-conflicts.png", REPO / "docs" / "airflow-conflicts.png")

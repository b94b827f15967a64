"""A real Airflow for browser tests: api-server, scheduler and dag-processor on 127.0.0.1 with SQLite,
each in its own process group, stopped by PID; and a headless Chromium logged in to it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
PASSWORDS = {"admin": "admin-live-password", "viewer": "viewer-live-password"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(what: str, check: Callable[[], Any], timeout: float, logs: Path) -> Any:
    """Poll ``check`` until it returns something true; on timeout fail with the servers' log tails."""
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
    """Three Airflow servers with the simple auth manager: ``admin`` (Admin) and ``viewer`` (Viewer)."""

    def __init__(self, root: Path, env: dict[str, str], settings: dict[str, str] | None = None) -> None:
        """``env``: the SyncHub side (config, connections); ``settings``: Airflow settings that replace
        the defaults here (e.g. another executor and metadata database)."""
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs = root / "logs"
        self.logs.mkdir(parents=True)
        passwords = root / "passwords.json"
        passwords.write_text(json.dumps(PASSWORDS))
        self.env = {
            **os.environ,
            **env,
            "AIRFLOW_HOME": str(root / "home"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,viewer:viewer",
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
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            **(settings or {}),
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
            self.spawn(name, args)

        def healthy() -> bool:
            health = requests.get(f"{self.url}/api/v2/monitor/health", timeout=10).json()
            return all(
                health.get(part, {}).get("status") == "healthy"
                for part in ("metadatabase", "scheduler", "dag_processor")
            )

        wait_for("Airflow health", healthy, 240, self.logs)

    def spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        """One more Airflow process (its own group, log ``logs/<name>.log``), stopped by :meth:`stop`."""
        log = (self.logs / f"{name}.log").open("wb")
        self.procs.append(
            subprocess.Popen(
                [self.airflow, *args],
                env={**self.env, **(env or {})},
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
    def token(self, user: str = "admin") -> str:
        response = requests.post(
            f"{self.url}/auth/token", json={"username": user, "password": PASSWORDS[user]}, timeout=30
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token()}"}
        return requests.request(method, f"{self.url}/api/v2{path}", headers=headers, timeout=30, **kwargs)

    def prepare_dag(self, dag: str, pools: list[str]) -> None:
        """Pools exist, the DAG is parsed and unpaused (new DAGs start paused)."""
        for pool in pools:
            made = self.api("POST", "/pools", json={"name": pool, "slots": 2})
            assert made.status_code in (200, 201, 409), made.text
        parsed = lambda: self.api("GET", f"/dags/{dag}").status_code == 200  # noqa: E731
        wait_for(f"DAG {dag} parsed", parsed, 180, self.logs)
        assert self.api("PATCH", f"/dags/{dag}", json={"is_paused": False}).status_code == 200

    def wait_run(
        self, dag: str, run_id: str, timeout: float = 300, *, needs_attention: bool = False
    ) -> dict[str, Any]:
        """The finished run: green, or (``needs_attention``) failed only in its ``review`` task."""

        def finished() -> dict[str, Any] | None:
            run = self.api("GET", f"/dags/{dag}/dagRuns/{run_id}").json()
            return run if run.get("state") in ("success", "failed") else None

        run = wait_for(f"{dag} run {run_id}", finished, timeout, self.logs)
        tasks = self.api("GET", f"/dags/{dag}/dagRuns/{run_id}/taskInstances").json()["task_instances"]
        states = {t["task_id"]: t["state"] for t in tasks}
        expected = {"plan": "success", "sync": "success", "report": "success"}
        expected["review"] = "failed" if needs_attention else "success"
        assert states == expected, f"{dag} run {run['state']}: {tasks}"
        return run

    def run_dag(self, dag: str, timeout: float = 300, *, needs_attention: bool = False) -> dict[str, Any]:
        created = self.api("POST", f"/dags/{dag}/dagRuns", json={"logical_date": None, "conf": {}})
        assert created.status_code == 200, created.text
        return self.wait_run(dag, created.json()["dag_run_id"], timeout, needs_attention=needs_attention)


@contextlib.contextmanager
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def log_in(page: Any, airflow: Airflow, user: str) -> None:
    page.goto(f"{airflow.url}/", timeout=60_000)
    page.locator('input[name="username"]').fill(user, timeout=60_000)
    page.locator('input[name="password"]').fill(PASSWORDS[user])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/auth/login" not in url, timeout=60_000)

"""The Airflow quick start of README and docs/airflow.md, run as written on a fresh checkout.

The blocks marked ``doc-test: airflow`` run in a sandbox checkout with an environment scrubbed of
every AIRFLOW_* and SYNCHUB_* variable, so Airflow gets its settings only from the airflow.cfg the
docs make from ``airflow.cfg.example``. The one change the test makes is to move the generated
airflow.cfg's ports off 8080/8793/8794 (other tests on this machine may hold them). ``airflow
standalone`` (the block's last line, which a reader leaves running) starts in the background; the
test then unpauses and triggers ``synchub_customers`` through the REST API and waits for success.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from doc_blocks import REPO, Block, blocks, reader_env, sandbox

pytestmark = pytest.mark.slow
STANDALONE = "airflow standalone"


def _airflow_blocks(path: Path) -> list[Block]:
    return [b for b in blocks(path) if b.kind == "airflow"]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _move_ports(cfg: Path, port: int) -> None:
    text = cfg.read_text(encoding="utf-8")
    assert text.count("\nport = 8080\n") == text.count("\nbase_url = http://127.0.0.1:8080\n") == 1
    text = text.replace("\nport = 8080\n", f"\nport = {port}\n").replace(
        "\nbase_url = http://127.0.0.1:8080\n", f"\nbase_url = http://127.0.0.1:{port}\n"
    )
    text = text.replace(
        "\n[logging]\n",
        f"\n[logging]\nworker_log_server_port = {_free_port()}\ntrigger_log_server_port = {_free_port()}\n",
    )
    cfg.write_text(text, encoding="utf-8")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGINT)  # standalone stops its components on Ctrl-C
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=40)
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)  # anything left in the group
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def test_readme_and_docs_give_the_same_airflow_quick_start() -> None:
    readme = _airflow_blocks(REPO / "README.md")
    docs = _airflow_blocks(REPO / "docs" / "airflow.md")
    assert len(readme) == 1 and docs, "README's Airflow block or docs/airflow.md's lost its marker"
    assert readme[0].text == docs[0].text, "README's Airflow steps differ from docs/airflow.md's"


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    """The docs' steps run in a sandbox checkout, then ``airflow standalone`` in the background."""
    root = sandbox(tmp_path_factory.mktemp("quickstart") / "synchub")
    start, *more = _airflow_blocks(REPO / "docs" / "airflow.md")
    lines = start.text.splitlines()
    assert lines[-1].split("#")[0].strip() == STANDALONE, "the quick start no longer ends in standalone"
    export = next(line for line in lines if line.startswith("export "))
    port = _free_port()
    before = "\n".join(lines[:-1])  # the steps before standalone
    after = "".join(f"{export}\n{b.text}" for b in more)  # "in another shell": the export line first
    env = reader_env()
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", before],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, f"the quick start failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    home = root / ".airflow"
    made = (home / "airflow.cfg").read_text(encoding="utf-8")
    assert "<random-secret>" not in made and "<fernet-key>" not in made and "/path/to/synchub" not in made
    _move_ports(home / "airflow.cfg", port)
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", after], cwd=root, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, f"the Connection examples failed:\n{run.stderr[-3000:]}"
    log = (root / "standalone.log").open("wb")
    proc = subprocess.Popen(
        ["bash", "-c", f"{export}\nexec {lines[-1].split('#')[0].strip()}"],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield f"http://127.0.0.1:{port}", home, (root / "standalone.log").name
    finally:
        _stop(proc)


def _wait(what: str, check, timeout: float, log: Path):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException, ValueError):
            last = check()
            if last:
                return last
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what} (last {last!r}):\n{log.read_text()[-4000:]}")


def test_the_quick_start_reaches_a_green_dag_run(standalone: tuple[str, Path, str]) -> None:
    url, home, log_name = standalone
    log = home.parent / log_name
    passwords = home / "simple_auth_manager_passwords.json.generated"
    _wait("the generated admin password", passwords.exists, 120, log)
    password = json.loads(passwords.read_text())["admin"]

    def token() -> str | None:
        answer = requests.post(
            f"{url}/auth/token", json={"username": "admin", "password": password}, timeout=10
        )
        return answer.json().get("access_token") if answer.ok else None

    headers = {"Authorization": f"Bearer {_wait('the api-server', token, 180, log)}"}
    dag = f"{url}/api/v2/dags/synchub_customers"
    _wait("synchub_customers parsed", lambda: requests.get(dag, headers=headers, timeout=10).ok, 180, log)
    assert requests.patch(dag, json={"is_paused": False}, headers=headers, timeout=10).ok
    created = requests.post(
        f"{dag}/dagRuns", json={"logical_date": None, "conf": {}}, headers=headers, timeout=10
    )
    assert created.ok, created.text
    run_url = f"{dag}/dagRuns/{created.json()['dag_run_id']}"

    def finished() -> str | None:
        state = requests.get(run_url, headers=headers, timeout=10).json()["state"]
        return state if state in ("success", "failed") else None

    state = _wait("the DAG run", finished, 300, log)
    tasks = requests.get(f"{run_url}/taskInstances", headers=headers, timeout=10).json()["task_instances"]
    assert state == "success", (
        f"tasks: {[(t['task_id'], t['state']) for t in tasks]}\n{log.read_text()[-4000:]}"
    )
    assert {t["task_id"]: t["state"] for t in tasks} == {
        "plan": "success",
        "sync": "success",
        "report": "success",
        "review": "success",
    }


def test_connection_passwords_are_stored_encrypted(standalone: tuple[str, Path, str]) -> None:
    _, home, _ = standalone
    with contextlib.closing(sqlite3.connect(home / "airflow.db")) as db:
        rows = dict(db.execute("select conn_id, password from connection where is_encrypted").fetchall())
        clear = db.execute("select count(*) from connection where not is_encrypted").fetchone()[0]
    assert set(rows) == {"erp_conn", "crm_conn"} and clear == 0
    assert all("s@cret" not in p and "bcrm_pat_xxx" not in p for p in rows.values())

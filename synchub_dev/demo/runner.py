"""The demo's phases, in order, each timed: from nothing to two synced servers and one open conflict."""

from __future__ import annotations

import os
import shlex
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from connectors.base import Connector
from sync_engine.config import Config, load_config
from sync_engine.connections import env_var_name
from sync_engine.flows import open_connector, run_flow
from sync_engine.report import RunReport
from sync_engine.store import Store
from sync_engine.store.records import ConflictRecord
from synchub_dev.demo import scenario, seed
from synchub_dev.demo.servers import Servers, prepare_templates, start_servers, stop_servers

__all__ = ["DemoFailed", "DemoResult", "FlowRun", "run_demo"]

FIRST_FLOWS = ("customers", "products")
SALES_FLOWS = ("orders", "costs", "complaints")


class DemoFailed(RuntimeError):
    """A phase failed: which one, why, and the servers' log tails (when they were running)."""

    def __init__(self, phase: str, cause: BaseException, logs: dict[str, str]) -> None:
        super().__init__(f"demo phase {phase!r} failed: {type(cause).__name__}: {cause}")
        self.phase = phase
        self.cause = cause
        self.logs = logs


@dataclass
class FlowRun:
    label: str  # "first run" / "after the edits"
    report: RunReport


@dataclass
class DemoResult:
    workdir: Path
    config_path: Path
    phases: list[tuple[str, float]] = field(default_factory=list)
    runs: list[FlowRun] = field(default_factory=list)
    conflicts: list[ConflictRecord] = field(default_factory=list)
    servers: dict[str, Any] = field(default_factory=dict)
    seeded: dict[str, Any] = field(default_factory=dict)

    @property
    def total_s(self) -> float:
        return sum(seconds for _, seconds in self.phases)


def run_demo(
    workdir: Path, *, fresh: bool = False, on_phase: Callable[[str, float | None], None] = lambda n, s: None
) -> DemoResult:
    """Run the whole demo in ``workdir``; the servers keep running (``stop_servers`` ends them).

    ``on_phase(name, None)`` is called when a phase starts and ``on_phase(name, seconds)`` when it ends.
    """
    workdir = Path(workdir).resolve()
    stop_servers(workdir)  # a second demo starts afresh
    if fresh and workdir.exists():
        shutil.rmtree(workdir)
    for stale in ("state.db", "tryton", "bottlecrm"):
        path = workdir / stale
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    result = DemoResult(workdir=workdir, config_path=workdir / "synchub.yaml")
    servers: Servers | None = None

    @contextmanager
    def phase(name: str) -> Iterator[None]:
        on_phase(name, None)
        start = time.perf_counter()
        try:
            yield
        except Exception as exc:
            raise DemoFailed(name, exc, _log_tails(servers)) from exc
        seconds = time.perf_counter() - start
        result.phases.append((name, seconds))
        on_phase(name, seconds)

    with phase("set up Tryton and BottleCRM (venvs, template databases)"):
        prepare_templates()
    with phase("start both servers"):
        servers = start_servers(workdir)
        result.servers = servers.describe()
    with phase("write the config"):
        config = write_config(workdir, servers)
    with phase("migrate the state store"):
        store = Store(config.state.url)
        store.upgrade()
    try:
        with ExitStack() as stack:
            erp: Connector = stack.enter_context(open_connector(config, "erp"))
            crm: Connector = stack.enter_context(open_connector(config, "crm"))
            connectors = {"erp": erp, "crm": crm}

            def run(names: tuple[str, ...], label: str) -> None:
                for name in names:
                    report = run_flow(config, name, store, connectors=connectors)
                    result.runs.append(FlowRun(label, report))

            with phase("seed customers and products (Tryton) and accounts (BottleCRM)"):
                result.seeded.update(seed.seed_masters(erp, crm))
            with phase("sync customers and products"):
                run(FIRST_FLOWS, "first run")
            with phase("accept a quote and open a case in BottleCRM"):
                result.seeded.update(seed.seed_sales(crm, servers.crm))
            with phase("sync orders, costs and complaints"):
                run(SALES_FLOWS, "first run")
            with phase("rename one customer differently on both sides"):
                seed.edit_both_sides(erp, crm)
            with phase("sync all flows again (the order's status goes back, the rename conflicts)"):
                run((*FIRST_FLOWS, *SALES_FLOWS), "second run")
                result.conflicts = store.list_conflicts(status="open")
    finally:
        store.close()
    return result


def write_config(workdir: Path, servers: Servers) -> Config:
    """``synchub.yaml`` and ``env.sh`` in ``workdir``; the connection variables set in this process."""
    path = workdir / "synchub.yaml"
    path.write_text(
        "# Written by `synchub demo`: Tryton (erp) and BottleCRM (crm) on this machine.\n"
        "# Credentials are in env.sh: `source env.sh`, then `synchub status -c synchub.yaml`.\n"
        + yaml.safe_dump(scenario.config_document(workdir), allow_unicode=True, sort_keys=False)
    )
    env = {
        env_var_name(scenario.ERP_CONNECTION): servers.tryton.uri,
        env_var_name(scenario.CRM_CONNECTION): servers.crm.connection_uri(),
        "SYNCHUB_CONFIG": str(path),
    }
    os.environ.update(env)
    env_file = workdir / "env.sh"
    env_file.write_text("".join(f"export {key}={shlex.quote(value)}\n" for key, value in env.items()))
    env_file.chmod(0o600)
    return load_config(path)


def _log_tails(servers: Servers | None, lines: int = 20) -> dict[str, str]:
    if servers is None:
        return {}
    out = {}
    for name, path in (
        ("tryton", servers.tryton.workdir / "trytond.log"),
        ("bottlecrm", servers.crm.workdir / "gunicorn.log"),
    ):
        if path.exists():
            out[name] = "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return out

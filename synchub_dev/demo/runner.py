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
from synchub_dev.peers.bottlecrm import BottleCrmInstance

__all__ = ["DemoFailed", "DemoResult", "FlowRun", "run_demo"]

CRM_LABELS = {"bottlecrm": "BottleCRM", "suitecrm": "SuiteCRM"}
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
    crm: str = "bottlecrm"
    """The CRM's connector: ``bottlecrm`` or ``suitecrm``."""

    @property
    def crm_label(self) -> str:
        return CRM_LABELS[self.crm]

    @property
    def total_s(self) -> float:
        return sum(seconds for _, seconds in self.phases)


def run_demo(
    workdir: Path,
    *,
    fresh: bool = False,
    on_phase: Callable[[str, float | None], None] = lambda n, s: None,
    crm: str = "bottlecrm",
) -> DemoResult:
    """Run the whole demo in ``workdir``; the servers keep running (``stop_servers`` ends them).

    ``crm``: ``bottlecrm`` or ``suitecrm``. ``on_phase(name, None)`` is called when a phase starts and
    ``on_phase(name, seconds)`` when it ends.
    """
    if crm not in CRM_LABELS:
        raise ValueError(f"the demo's CRM is one of {', '.join(CRM_LABELS)}, not {crm!r}")
    label = CRM_LABELS[crm]
    workdir = Path(workdir).resolve()
    stop_servers(workdir)  # a second demo starts afresh
    if fresh and workdir.exists():
        shutil.rmtree(workdir)
    for stale in ("state.db", "tryton", "bottlecrm", "suitecrm"):
        path = workdir / stale
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    result = DemoResult(workdir=workdir, config_path=workdir / "synchub.yaml", crm=crm)
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

    with phase(f"set up Tryton and {label} (venvs, template databases)"):
        prepare_templates(crm)
    with phase("start both servers"):
        servers = start_servers(workdir, crm)
        result.servers = servers.describe()
    with phase("write the config"):
        config = write_config(workdir, servers, crm)
    with phase("migrate the state store"):
        store = Store(config.state.url)
        store.upgrade()
    try:
        with ExitStack() as stack:
            erp: Connector = stack.enter_context(open_connector(config, "erp"))
            crm_side: Connector = stack.enter_context(open_connector(config, "crm"))
            connectors = {"erp": erp, "crm": crm_side}

            def run(names: tuple[str, ...], label: str) -> None:
                for name in names:
                    report = run_flow(config, name, store, connectors=connectors)
                    result.runs.append(FlowRun(label, report))

            with phase(f"seed customers and products (Tryton) and accounts ({label})"):
                result.seeded.update(seed.seed_masters(erp, crm_side))
            with phase("sync customers and products"):
                run(FIRST_FLOWS, "first run")
            with phase(f"accept a quote and open a case in {label}"):
                instance = servers.crm if isinstance(servers.crm, BottleCrmInstance) else None
                result.seeded.update(seed.seed_sales(crm_side, instance))
            with phase("sync orders, costs and complaints"):
                run(SALES_FLOWS, "first run")
            with phase("rename one customer differently on both sides"):
                seed.edit_both_sides(erp, crm_side)
            with phase("sync all flows again (the order's status goes back, the rename conflicts)"):
                run((*FIRST_FLOWS, *SALES_FLOWS), "second run")
                result.conflicts = store.list_conflicts(status="open")
    finally:
        store.close()
    return result


def write_config(workdir: Path, servers: Servers, crm: str = "bottlecrm") -> Config:
    """``synchub.yaml`` and ``env.sh`` in ``workdir``; the connection variables set in this process."""
    path = workdir / "synchub.yaml"
    path.write_text(
        f"# Written by `synchub demo`: Tryton (erp) and {CRM_LABELS[crm]} (crm) on this machine.\n"
        "# Credentials are in env.sh: `source env.sh`, then `synchub status -c synchub.yaml`.\n"
        + yaml.safe_dump(scenario.config_document(workdir, crm), allow_unicode=True, sort_keys=False)
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
    crm_log = (
        ("bottlecrm", servers.crm.workdir / "gunicorn.log")
        if isinstance(servers.crm, BottleCrmInstance)
        else ("suitecrm", servers.crm.root / "php_errors.log")
    )
    for name, path in (("tryton", servers.tryton.workdir / "trytond.log"), crm_log):
        if path.exists():
            out[name] = "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return out

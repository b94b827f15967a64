"""What each task of a flow's DAG does, free of Airflow so it can be read and tested on its own.

The engine runs a flow in one transactional pass, so the DAG does not split read/merge/write into
separate tasks (that would commit links and cursors between them). Instead:

- ``plan``: a dry run; counts of planned creates/updates per side and conflicts.
- ``sync``: the real run, one pass with the engine's exactly-once guarantees and flow lock.
- ``report``: open conflicts and dead letters after the run, and a one-line summary.

Only ids and counts leave these functions (they go to XCom): never record payloads, never secrets.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sync_engine.config import CONFIG_ENV, Config, load_config
from sync_engine.flows import get_flow, open_store, run_flow


class FlowRunFailed(RuntimeError):
    """The engine reported a failed run; raising lets Airflow retry the task."""


class NeedsAttention(RuntimeError):
    """The run opened conflicts or left dead letters: a person has to look (the ``review`` task)."""


class RunOptions(BaseModel):
    """What one DAG run may change ("Trigger DAG w/ config", or an operator's arguments)."""

    model_config = ConfigDict(extra="forbid")
    dry_run: bool = False
    reconcile_deletes: bool = False
    page_size: int | None = Field(default=None, ge=1, le=10_000)
    batch_size: int | None = Field(default=None, ge=1, le=10_000)

    def apply(self, config: Config, flow: str) -> Config:
        """The config with this run's page and batch size for ``flow`` (the file is not changed)."""
        sizes = {k: v for k, v in (("page_size", self.page_size), ("batch_size", self.batch_size)) if v}
        if not sizes:
            return config
        changed = get_flow(config, flow).model_copy(update=sizes)
        return config.model_copy(update={"flows": {**config.flows, flow: changed}})


def config_from_env() -> Config:
    """The config named by ``SYNCHUB_CONFIG`` (a clear error when it is unset)."""
    path = os.environ.get(CONFIG_ENV)
    if not path:
        raise RuntimeError(
            f"{CONFIG_ENV} is not set; point it at your synchub.yaml in the environment of the "
            "Airflow scheduler, dag-processor, workers and api-server"
        )
    return load_config(Path(path))


def plan(config: Config, flow: str, options: RunOptions | None = None) -> dict[str, Any]:
    """Dry-run the flow: what it would write per side, and how many conflicts it would open."""
    options = options or RunOptions()
    config = options.apply(config, flow)
    store = open_store(config)
    try:
        report = run_flow(config, flow, store, dry_run=True, reconcile_deletes=options.reconcile_deletes)
    finally:
        store.close()
    planned: dict[str, Counter[str]] = {role: Counter() for role in report.sides}
    for write in report.plan:
        planned.setdefault(write.role, Counter())[write.op] += 1
    return {
        "flow": flow,
        "status": report.status,
        "dry_run": True,
        "systems": report.counts()["systems"],
        "planned": {
            report.sides[role].system if role in report.sides else role: dict(ops)
            for role, ops in planned.items()
        },
        "conflicts": report.conflicts,
        "dead_letters": report.dead_letters,
    }


def sync(config: Config, flow: str, options: RunOptions | None = None) -> dict[str, Any]:
    """Run the flow (for real unless ``options.dry_run``); raise :class:`FlowRunFailed` when the engine
    says the run failed."""
    options = options or RunOptions()
    config = options.apply(config, flow)
    store = open_store(config)
    try:
        report = run_flow(
            config, flow, store, dry_run=options.dry_run, reconcile_deletes=options.reconcile_deletes
        )
    finally:
        store.close()
    if report.status == "failed":
        raise FlowRunFailed(
            f"flow {flow!r} run {report.run_id} failed: {report.error}; "
            "see `synchub deadletters list` and the task log, then retry"
        )
    return {
        "flow": flow,
        "run_id": report.run_id,
        "status": report.status,
        "dry_run": options.dry_run,
        **report.counts(),
    }


def report(config: Config, flow: str, synced: dict[str, Any]) -> dict[str, Any]:
    """Counts after the run plus what is waiting for a person, and the DAG run note's text."""
    store = open_store(config)
    try:
        open_conflicts = store.count_conflicts(flow=flow)
        open_dead_letters = store.count_dead_letters(flow=flow)
    finally:
        store.close()
    return {
        "flow": flow,
        "run_id": synced.get("run_id"),
        "status": synced.get("status"),
        "dry_run": bool(synced.get("dry_run")),
        "new_conflicts": synced.get("conflicts", 0),
        "new_dead_letters": synced.get("dead_letters", 0),
        "open_conflicts": open_conflicts,
        "open_dead_letters": open_dead_letters,
        "note": summary_text(synced, open_conflicts, open_dead_letters),
    }


def raise_if_attention(reported: dict[str, Any]) -> None:
    """Raise :class:`NeedsAttention` when a real run opened conflicts or left dead letters."""
    if reported.get("dry_run"):
        return
    conflicts, dead = int(reported.get("new_conflicts") or 0), int(reported.get("new_dead_letters") or 0)
    if conflicts or dead:
        raise NeedsAttention(
            f"flow {reported.get('flow')!r} run {reported.get('run_id')} opened {conflicts} conflict(s) and "
            f"left {dead} dead letter(s) (open now: {reported.get('open_conflicts')} conflicts, "
            f"{reported.get('open_dead_letters')} dead letters); review them under SyncHub in the Airflow "
            "navigation or with `synchub conflicts list` / `synchub deadletters list`"
        )


def summary_text(synced: dict[str, Any], open_conflicts: int, open_dead_letters: int) -> str:
    """Markdown for the DAG run note: per system what was read and written, then what is open."""
    lines = [f"**SyncHub run {synced.get('run_id')}**: {synced.get('status')}", ""]
    for system, c in (synced.get("systems") or {}).items():
        lines.append(
            f"- {system} ({c.get('role')}): read {c.get('read', 0)}, created {c.get('created', 0)}, "
            f"updated {c.get('updated', 0)}, deleted {c.get('deleted', 0)}, failed {c.get('failed', 0)}"
        )
    lines.append(
        f"- conflicts opened {synced.get('conflicts', 0)}, deferred {synced.get('deferred', 0)}, "
        f"dead letters {synced.get('dead_letters', 0)}"
    )
    lines += ["", f"Open conflicts: **{open_conflicts}**; open dead letters: **{open_dead_letters}**"]
    if open_conflicts:
        lines.append("Review them under *SyncHub* in the navigation.")
    return "\n".join(lines)

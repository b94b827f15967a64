"""A run's context for stage tests: two memory systems, a migrated SQLite store, the customers flow.

Stages are called directly with the context the runner would build, so each is tested on its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectionSettings
from connectors.memory import MemoryConnector, MemoryDatabase
from sync_engine.config import FlowConfig
from sync_engine.mapping import load_mapping
from sync_engine.report import RunReport, SideCounts
from sync_engine.retrying import RetryPolicy
from sync_engine.run import FlowRunner
from sync_engine.run.context import RunContext, RunLedger
from sync_engine.store import Store

REPO = Path(__file__).resolve().parents[2]
FAST = RetryPolicy(attempts=2, initial_wait=0.001, max_wait=0.002)
_worlds = itertools.count()


class World:
    """Stores, systems and a context factory for one test."""

    def __init__(self, root: Path, **flow: Any) -> None:
        n = next(_worlds)
        self.erp_name, self.crm_name = f"stage-erp-{n}", f"stage-crm-{n}"
        self.store = Store(f"sqlite:///{root / 'state.db'}")
        self.store.upgrade()
        self.flow = FlowConfig(
            name="customers",
            entity="customer",
            erp="erp",
            crm="crm",
            match_keys=[["tax_id"], ["name"]],
            **{"deletes": "propagate", "page_size": 50, "batch_size": 20, **flow},
        )
        self.erp_options: dict[str, Any] = {}
        self.crm_options: dict[str, Any] = {}

    @property
    def erp(self) -> MemoryDatabase:
        return MemoryDatabase.named(self.erp_name)

    @property
    def crm(self) -> MemoryDatabase:
        return MemoryDatabase.named(self.crm_name)

    def context(self, *, dry_run: bool = False, hook: Callable[[str], None] | None = None) -> RunContext:
        connectors = {
            "erp": MemoryConnector(ConnectionSettings("memory", host=self.erp_name), self.erp_options),
            "crm": MemoryConnector(ConnectionSettings("memory", host=self.crm_name), self.crm_options),
        }
        mapping = load_mapping(REPO / "mappings", "memory", "customer")
        runner = FlowRunner(self.flow, self.store, connectors, {"erp": mapping, "crm": mapping}, retry=FAST)
        report = RunReport(
            flow="customers",
            entity="customer",
            sides={role: SideCounts(system=side.system) for role, side in runner.sides.items()},
            dry_run=dry_run,
        )
        return RunContext(
            self.flow,
            self.store,
            runner.sides,
            runner.policy,
            FAST,
            report,
            dry_run,
            hook or (lambda step: None),
            lambda event, n: None,
        )

    def run(self) -> RunReport:
        ctx = self.context()
        runner = FlowRunner(
            self.flow,
            self.store,
            {r: s.connector for r, s in ctx.sides.items()},
            {r: s.mapping for r, s in ctx.sides.items()},
            retry=FAST,
        )
        return runner.run()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path)
    yield made
    made.store.close()
    MemoryDatabase.forget(made.erp_name)
    MemoryDatabase.forget(made.crm_name)


@pytest.fixture
def ledger() -> RunLedger:
    return RunLedger()

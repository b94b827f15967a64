"""What every stage of a run is given: the flow, its two sides, the store, and the run's ledger.

:class:`RunContext` holds what does not change during a run; :class:`RunLedger` is the little the
stages learn as they go and later stages need (records that failed, dead letters that may resolve,
whether conflicts are open). Both are created by the runner before the first stage and passed on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sync_engine.config import FlowConfig
from sync_engine.merge import MergePolicy
from sync_engine.report import RunReport
from sync_engine.retrying import RetryPolicy
from sync_engine.run.sides import Side
from sync_engine.store import Store

StepHook = Callable[[str], None]
"""Called at "after_read", "after_write", "before_commit" (inside the commit's transaction) and
"after_commit": tests raise there to prove a crash at each step loses nothing."""
Progress = Callable[[str, int], None]
"""``progress(event, n)``: records read and written, for a progress display."""


def now() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class RunContext:
    """The fixed facts of one run."""

    flow: FlowConfig
    store: Store
    sides: dict[str, Side]
    """Role ("erp", "crm") -> the system in that role."""
    policy: MergePolicy
    retry: RetryPolicy
    report: RunReport
    dry_run: bool
    hook: StepHook
    progress: Progress

    @property
    def name(self) -> str:
        return self.flow.name

    @property
    def entity(self) -> str:
        return self.flow.entity

    def systems(self) -> dict[str, str]:
        """Role -> system name."""
        return {role: side.system for role, side in self.sides.items()}


@dataclass
class RunLedger:
    """What stages learn during a run and later stages use."""

    failed: set[tuple[str, str]] = field(default_factory=set)
    """(system, record id) of source records that failed somewhere this run."""
    waiting: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    """(system, record id) -> (dead letter id, native hash) of records that failed for good earlier."""
    resumed: dict[int, tuple[str, str]] = field(default_factory=dict)
    """Dead letters whose record changed and was taken again: resolved if it goes through."""
    resolutions: dict[str, tuple[dict[str, Any], list[int]]] = field(default_factory=dict)
    """Canonical id -> (path -> value a person chose, conflict ids), not yet applied."""
    conflicts_open: bool = False
    """Whether the flow has open conflicts (else the per-batch supersede lookup is skipped)."""
    links_saved: int = 0
    """Links saved so far this run (a save may unbind external ids: see reading's deletion check)."""

    def fail(self, system: str, record_id: str) -> None:
        self.failed.add((system, record_id))

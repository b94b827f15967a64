"""What one run of a flow did: counts per system, conflicts, dead letters, phase timings, the plan."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

PHASES = ("read", "map", "validate", "identify", "merge", "hash", "write", "commit")


@dataclass
class SideCounts:
    """Per system: what was read from it and what was written to it."""

    system: str
    read: int = 0
    unchanged: int = 0
    waiting: int = 0
    """Records that failed for good earlier and have not changed since (open dead letters)."""
    created: int = 0
    updated: int = 0
    deleted: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "read": self.read,
            "unchanged": self.unchanged,
            "waiting": self.waiting,
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "failed": self.failed,
        }


@dataclass
class PlannedWrite:
    """One write a run would make (``--dry-run``) or made."""

    role: str
    system: str
    op: str
    canonical_id: str
    external_id: str | None
    fields: list[str]


@dataclass
class RunReport:
    flow: str
    entity: str
    sides: dict[str, SideCounts]
    dry_run: bool = False
    run_id: int | None = None
    status: str = "running"
    conflicts: int = 0
    """Conflicts this run opened (a conflict still open from an earlier run is not counted again)."""
    open_conflicts: int = 0
    """Conflicts of the flow still open after the run, old and new: what waits for a person."""
    dead_letters: int = 0
    deferred: int = 0
    duplicates: int = 0
    resolutions_applied: int = 0
    error: str | None = None
    started: float = field(default_factory=time.perf_counter)
    duration_s: float = 0.0
    # Seconds per phase, summed over the threads that ran it (concurrent write batches add up, so
    # write/settle may exceed the wall time).
    phase_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    _phase_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    plan: list[PlannedWrite] = field(default_factory=list)

    def timed(self, phase: str) -> _PhaseTimer:
        """``with report.timed("merge"): ...`` adds the block's seconds to the phase, raised or not."""
        return _PhaseTimer(self, phase)

    def finish(self, status: str, error: str | None = None) -> None:
        self.status = status
        self.error = error
        self.duration_s = time.perf_counter() - self.started

    @property
    def records_read(self) -> int:
        return sum(s.read for s in self.sides.values())

    @property
    def writes(self) -> int:
        return sum(s.created + s.updated + s.deleted for s in self.sides.values())

    def summary(self) -> str:
        """One line for logs: the outcome, what moved per system, what waits for a person."""
        systems = "; ".join(
            f"{s.system} read {s.read}, created {s.created}, updated {s.updated}, deleted {s.deleted}, "
            f"failed {s.failed}, waiting {s.waiting}"
            for s in self.sides.values()
        )
        return (
            f"{self.status} in {self.duration_s:.2f} s: {systems}; conflicts opened {self.conflicts} "
            f"(open {self.open_conflicts}), dead letters {self.dead_letters}, deferred {self.deferred}"
        )

    def counts(self) -> dict[str, Any]:
        """The figures stored with the run and shown by ``synchub status``."""
        return {
            "systems": {side.system: {"role": role, **side.as_dict()} for role, side in self.sides.items()},
            "conflicts": self.conflicts,
            "open_conflicts": self.open_conflicts,
            "dead_letters": self.dead_letters,
            "deferred": self.deferred,
            "duplicates": self.duplicates,
            "resolutions_applied": self.resolutions_applied,
        }

    def as_dict(self) -> dict[str, Any]:
        """The one JSON object ``synchub run --json`` prints."""
        data: dict[str, Any] = {
            "flow": self.flow,
            "entity": self.entity,
            "run_id": self.run_id,
            "status": self.status,
            "dry_run": self.dry_run,
            "systems": {side.system: {"role": role, **side.as_dict()} for role, side in self.sides.items()},
            "conflicts": self.conflicts,
            "open_conflicts": self.open_conflicts,
            "dead_letters": self.dead_letters,
            "deferred": self.deferred,
            "duplicates": self.duplicates,
            "resolutions_applied": self.resolutions_applied,
            "duration_s": round(self.duration_s, 3),
            "phase_seconds": {k: round(v, 4) for k, v in self.phase_seconds.items()},
            "error": self.error,
        }
        if self.dry_run:
            data["plan"] = [vars(p) for p in self.plan]
        return data


class _PhaseTimer:
    """The context manager of :meth:`RunReport.timed`: a plain class, not ``@contextmanager``, because
    it wraps every record's pairing and merge (a generator-based one cost about 1 µs a use)."""

    __slots__ = ("_phase", "_report", "_start")

    def __init__(self, report: RunReport, phase: str) -> None:
        self._report = report
        self._phase = phase
        self._start = 0.0

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, *_exc: object) -> None:
        elapsed = time.perf_counter() - self._start
        report = self._report
        with report._phase_lock:  # write batches finish on worker threads
            report.phase_seconds[self._phase] += elapsed

"""Injected failures, so tests can see how the engine copes with a misbehaving system."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.base import PermanentError, TransientError

__all__ = ["FaultPlan", "RecordFault", "SimulatedCrash"]


class SimulatedCrash(BaseException):
    """Raised by ``crash_after``: the process 'dies' in the middle of a batch.

    A ``BaseException``, like the interrupt a killed process meets: no error handling (the
    connector's, the engine's) may treat it as a failed call.
    """


@dataclass
class RecordFault:
    """How one record write fails."""

    transient: bool
    error: str
    field: str | None = None
    times: int | None = None
    """How many more writes this fault hits; None = every one."""


@dataclass
class FaultPlan:
    next_records: list[RecordFault] = field(default_factory=list)
    by_key: dict[str, RecordFault] = field(default_factory=dict)
    """Keyed by record id or ``WriteRequest.ref``."""
    next_calls: list[RecordFault] = field(default_factory=list)
    crash_countdown: int | None = None
    crash: BaseException | None = None

    def record_fault(self, record_id: str | None, ref: str) -> RecordFault | None:
        """The fault that hits this record write, if any (consumes it)."""
        if self.next_records:
            return self.next_records.pop(0)
        for key in (record_id, ref):
            fault = self.by_key.get(key) if key is not None else None
            if fault is not None:
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        del self.by_key[key]  # type: ignore[arg-type]
                return fault
        return None

    def check_call(self, what: str) -> None:
        """Fail a whole call (read or write) as a 5xx or a rejected request would."""
        if not self.next_calls:
            return
        fault = self.next_calls.pop(0)
        message = f"{fault.error} (simulated, during {what})"
        if fault.transient:
            raise TransientError(message)
        raise PermanentError(message)

    def should_crash(self) -> bool:
        return self.crash_countdown is not None and self.crash_countdown <= 0

    def count_write(self) -> None:
        if self.crash_countdown is not None:
            self.crash_countdown -= 1

    def take_crash(self) -> BaseException:
        crash = self.crash or SimulatedCrash("simulated crash in the middle of a write batch")
        self.crash_countdown, self.crash = None, None
        return crash

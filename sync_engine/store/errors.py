"""Errors the store raises; messages say what is wrong and what to do."""

from __future__ import annotations

from datetime import datetime


class StoreError(Exception):
    """The state database refused or cannot do what was asked."""


class FlowLocked(StoreError):
    """Another run holds the flow's lock."""

    def __init__(
        self, flow: str, holder: str | None, since: datetime | None, *, hint: str | None = None
    ) -> None:
        self.flow = flow
        self.holder = holder
        self.since = since
        who = holder or "another process"
        when = f" since {since.isoformat()}" if since else ""
        hint = hint or (
            "wait for that run to finish (or stop it) before starting another; if you know that "
            f"process is gone, `synchub locks break {flow}` frees the lock"
        )
        super().__init__(f"flow {flow!r} is already running: locked by {who}{when}; {hint}")

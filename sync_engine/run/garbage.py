"""Fewer cyclic garbage collections while a run holds many objects alive.

A run keeps tens of thousands of records, links and changes alive at once (the first side's spool, a
batch in flight). Python's cycle collector starts after every 700 net allocations and, every so often,
walks every live object: at 20,000 records that was 18 full walks, a fifth of the engine's own time
in the mapping, merge and hashing phases. Almost everything a run frees goes by reference counting
anyway, so for the run's duration the first threshold is raised; the collector still runs, less often.
Runs in threads of one process share the setting: the last run to finish restores it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["RUN_THRESHOLD", "fewer_collections"]

RUN_THRESHOLD = 100_000
"""Net allocations between collections during a run (Python's default is 700)."""

_lock = threading.Lock()
_active = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections() -> Iterator[None]:
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()
            first, second, third = _saved
            if 0 < first < RUN_THRESHOLD:  # 0: collection turned off by the host, leave it so
                gc.set_threshold(RUN_THRESHOLD, second, third)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None

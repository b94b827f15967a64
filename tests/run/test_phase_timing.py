from __future__ import annotations

import sys
import threading
import time

import pytest

from sync_engine.report import RunReport


def test_a_phase_adds_up_its_blocks_including_one_that_raised() -> None:
    report = RunReport("customers", "customer", {})
    with report.timed("merge"):
        time.sleep(0.01)
    with pytest.raises(KeyError, match="boom"), report.timed("merge"):
        time.sleep(0.01)
        raise KeyError("boom")
    with report.timed("commit"):
        pass
    assert 0.02 <= report.phase_seconds["merge"] < 1.0
    assert 0.0 <= report.phase_seconds["commit"] < report.phase_seconds["merge"]


def test_phases_timed_on_several_threads_lose_no_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """Write batches finish on worker threads: each block adds its own time exactly once (a timer shared
    between threads would mix their starts)."""
    report = RunReport("customers", "customer", {})
    ticks = threading.local()

    def clock() -> float:  # each thread's blocks last exactly half a second
        ticks.now = getattr(ticks, "now", 0.0) + 0.5
        return ticks.now

    monkeypatch.setattr("sync_engine.report.time.perf_counter", clock)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often, as inside a read-modify-write of the sum
    uses, workers = 20_000, 4

    def work() -> None:
        for _ in range(uses):
            with report.timed("write"):
                pass

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sys.setswitchinterval(previous)
    monkeypatch.undo()
    assert report.phase_seconds["write"] == 0.5 * uses * workers

"""A run raises the cycle collector's first threshold while it holds its records, and puts it back."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from sync_engine.run import FlowRunner
from sync_engine.run.garbage import RUN_THRESHOLD, fewer_collections
from tests.memory_samples import native_customer as customer
from tests.run.conftest import FAST, World


@pytest.fixture(autouse=True)
def default_threshold() -> Iterator[tuple[int, int, int]]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*saved)


def _runner(world: World, hook: object) -> FlowRunner:
    ctx = world.context()
    connectors = {role: side.connector for role, side in ctx.sides.items()}
    mappings = {role: side.mapping for role, side in ctx.sides.items()}
    return FlowRunner(world.flow, world.store, connectors, mappings, retry=FAST, hook=hook)  # type: ignore[arg-type]


def test_a_run_collects_less_often_and_restores_the_threshold(world: World) -> None:
    world.erp.put("customer", None, customer("Garbage GmbH", "DE-GC-1"))
    seen: dict[str, tuple[int, int, int]] = {}

    report = _runner(world, lambda step: seen.setdefault(step, gc.get_threshold())).run()

    assert report.sides["crm"].created == 1
    assert seen["after_read"] == seen["after_commit"] == (RUN_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_failed_run_restores_the_threshold_too(world: World) -> None:
    world.erp.put("customer", None, customer("Crash GmbH", "DE-GC-2"))

    def crash(step: str) -> None:
        if step == "after_read":
            raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError, match="simulated crash"):
        _runner(world, crash).run()
    assert gc.get_threshold() == (700, 10, 10)


def test_runs_in_threads_restore_the_threshold_when_the_last_one_ends() -> None:
    first_in, second_done = threading.Event(), threading.Event()
    after_other_ended: list[int] = []

    def first() -> None:
        with fewer_collections():
            first_in.set()
            second_done.wait(5)
            after_other_ended.append(gc.get_threshold()[0])

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(5)
    with fewer_collections():
        assert gc.get_threshold()[0] == RUN_THRESHOLD
    second_done.set()
    thread.join(5)
    assert after_other_ended == [RUN_THRESHOLD]  # the other run's end did not restore it
    assert gc.get_threshold() == (700, 10, 10)


def test_a_host_that_turned_collection_off_keeps_it_off() -> None:
    gc.set_threshold(0, 10, 10)
    with fewer_collections():
        assert gc.get_threshold()[0] == 0
    assert gc.get_threshold()[0] == 0

"""Flushing stage: batches in flight at once up to the systems' limit, committed in order."""

from __future__ import annotations

import threading
import time
from typing import Any

from sync_engine.run import FlowRunner
from tests.memory_samples import native_customer as customer
from tests.run.conftest import FAST, World


class Overlap:
    """Wraps a connector's write_batch: slow, and counting how many calls run at once."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.lock = threading.Lock()

    def wrap(self, write_batch: Any) -> Any:
        def slow(entity: str, requests: Any) -> Any:
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
            try:
                time.sleep(0.05)
                return write_batch(entity, requests)
            finally:
                with self.lock:
                    self.now -= 1

        return slow


def runner(world: World, limits: dict[str, int]) -> tuple[FlowRunner, Overlap]:
    ctx = world.context()
    overlap = Overlap()
    crm = ctx.sides["crm"].connector
    crm.write_batch = overlap.wrap(crm.write_batch)  # type: ignore[method-assign]
    connectors = {role: side.connector for role, side in ctx.sides.items()}
    mappings = {role: side.mapping for role, side in ctx.sides.items()}
    return FlowRunner(world.flow, world.store, connectors, mappings, retry=FAST, concurrency=limits), overlap


def test_write_batches_overlap_up_to_the_smaller_limit_and_all_are_committed(world: World) -> None:
    world.flow = world.flow.model_copy(update={"batch_size": 2, "page_size": 2})
    for i in range(20):
        world.erp.put("customer", None, customer(f"Firma {i}", f"DE{i}"))
    run, overlap = runner(world, {"erp": 3, "crm": 8})

    report = run.run()

    assert overlap.most == 3, "three batches in flight: the ERP's limit"
    assert report.sides["crm"].created == 20 and world.store.count_links("customers") == 20


def test_one_batch_at_a_time_when_a_connector_does_not_allow_concurrent_writes(world: World) -> None:
    world.flow = world.flow.model_copy(update={"batch_size": 2, "page_size": 2})
    for i in range(8):
        world.erp.put("customer", None, customer(f"Firma {i}", f"DE{i}"))
    run, overlap = runner(world, {"erp": 4, "crm": 4})
    from connectors.base import Capabilities

    erp = run.sides["erp"].connector
    sequential = Capabilities(entities=frozenset({"customer"}), concurrent_writes=False)
    erp.capabilities_for = lambda entity: sequential  # type: ignore[method-assign]

    run.run()

    assert overlap.most == 1


def test_a_side_the_flow_never_writes_does_not_limit_the_batches_in_flight(world: World) -> None:
    """Tryton -> BottleCRM: only the CRM is written, so only its limit and its thread safety count."""
    world.flow = world.flow.model_copy(update={"batch_size": 2, "page_size": 2, "direction": "erp_to_crm"})
    for i in range(16):
        world.erp.put("customer", None, customer(f"Firma {i}", f"DE{i}"))
    run, overlap = runner(world, {"erp": 1, "crm": 4})
    from connectors.base import Capabilities

    erp = run.sides["erp"].connector
    sequential = Capabilities(entities=frozenset({"customer"}), concurrent_writes=False)
    erp.capabilities_for = lambda entity: sequential  # type: ignore[method-assign]

    report = run.run()

    assert overlap.most == 4, "four batches in flight: the CRM's limit; the read-only ERP has no say"
    assert report.sides["crm"].created == 16 and world.store.count_links("customers") == 16


def test_batches_hold_batch_size_even_when_a_page_is_larger(world: World) -> None:
    world.flow = world.flow.model_copy(update={"batch_size": 3, "page_size": 100})
    for i in range(10):
        world.erp.put("customer", None, customer(f"Seite {i}", f"DE{i}"))
    ctx = world.context()
    sizes: list[int] = []
    crm = ctx.sides["crm"].connector
    write_batch = crm.write_batch

    def recording(entity: str, requests: Any) -> Any:
        sizes.append(len(requests))
        return write_batch(entity, requests)

    crm.write_batch = recording  # type: ignore[method-assign]
    connectors = {role: side.connector for role, side in ctx.sides.items()}
    mappings = {role: side.mapping for role, side in ctx.sides.items()}
    report = FlowRunner(world.flow, world.store, connectors, mappings, retry=FAST).run()

    assert sizes == [3, 3, 3, 1], "one page of ten records goes out in batches of three"
    assert report.sides["crm"].created == 10

"""Exactly-once effects: a run killed at any step, then rerun, gives no duplicate and loses nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from connectors.memory import SimulatedCrash
from tests.engine.conftest import Hub
from tests.memory_samples import native_customer as customer

MODES = [
    # A connector that upserts by our id needs no natural key to recognise its own records...
    pytest.param({"upsert": True, "keys": []}, id="upsert-by-ref-only"),
    # ...one that cannot is recognised by the flow's natural keys.
    pytest.param({"upsert": False, "keys": [["tax_id"], ["name"]]}, id="natural-keys-only"),
]


def _hub(make_hub: Callable[..., Hub], mode: dict[str, Any]) -> Hub:
    options = {"upsert_by_external_id": mode["upsert"]}
    hub = make_hub(erp_options=options, crm_options=options, match_keys=mode["keys"])
    for i in range(25):
        hub.erp.put("customer", None, customer(f"ERP Kunde {i} 株式会社", f"DE{i:03d}"))
    for i in range(5):
        hub.crm.put("customer", None, customer(f"CRM Account {i}", f"FR{i:03d}"))
    return hub


def _assert_converged(hub: Hub) -> None:
    erp, crm = hub.canonical("erp"), hub.canonical("crm")
    erp_names = sorted(r["name"] for r in erp.values())
    crm_names = sorted(r["name"] for r in crm.values())
    assert len(erp_names) == len(set(erp_names)) == 30, "a duplicate or a lost record on the ERP"
    assert crm_names == erp_names, "the two sides hold different records"
    assert hub.by_name("erp") == hub.by_name("crm")
    assert hub.store.count_links("customers") == 30
    assert hub.run().writes == 0


def _crash_at(step: str) -> Callable[[str], None]:
    def hook(at: str) -> None:
        if at == step:
            raise SimulatedCrash(f"killed at {step}")

    return hook


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("step", ["after_read", "after_write", "before_commit", "after_commit"])
def test_a_run_killed_at_a_step_then_rerun_converges_without_duplicates(
    make_hub: Callable[..., Hub], step: str, mode: dict[str, Any]
) -> None:
    hub = _hub(make_hub, mode)

    with pytest.raises(SimulatedCrash):
        hub.run(hook=_crash_at(step))
    assert hub.store.list_runs(flow="customers")[0].status == "failed"

    hub.run()
    _assert_converged(hub)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("after_writes", [1, 7, 20, 23])
def test_a_run_killed_in_the_middle_of_a_write_batch_then_rerun_converges(
    make_hub: Callable[..., Hub], after_writes: int, mode: dict[str, Any]
) -> None:
    hub = _hub(make_hub, mode)
    hub.crm.crash_after(after_writes)

    with pytest.raises(SimulatedCrash):
        hub.run()

    hub.crm.clear_faults()
    hub.run()
    _assert_converged(hub)


@pytest.mark.parametrize("step", ["after_read", "after_write", "before_commit"])
def test_updates_in_flight_during_a_crash_are_not_lost(make_hub: Callable[..., Hub], step: str) -> None:
    hub = _hub(make_hub, {"upsert": True, "keys": [["tax_id"]]})
    hub.run()
    erp_id = hub.id_of("erp", "ERP Kunde 3 株式会社")
    crm_id = hub.id_of("crm", "CRM Account 2")
    hub.erp.patch("customer", erp_id, {"status": "I"})
    hub.crm.patch("customer", crm_id, {"company": {"name": "CRM Account 2 renamed"}})

    with pytest.raises(SimulatedCrash):
        hub.run(hook=_crash_at(step))
    hub.run()

    by_name = hub.by_name("crm")
    assert by_name["ERP Kunde 3 株式会社"]["active"] is False
    assert "CRM Account 2 renamed" in hub.by_name("erp")
    assert hub.by_name("erp") == by_name
    assert hub.run().writes == 0


def _in_flight_hub(make_hub: Callable[..., Hub], mode: dict[str, Any]) -> Hub:
    """Small batches and pages, so several write batches are in flight at once (memory systems allow
    concurrent writes; each system's max_concurrency is 4 by default)."""
    options = {"upsert_by_external_id": mode["upsert"]}
    hub = make_hub(
        erp_options=options, crm_options=options, match_keys=mode["keys"], batch_size=3, page_size=3
    )
    for i in range(25):
        hub.erp.put("customer", None, customer(f"ERP Kunde {i} 株式会社", f"DE{i:03d}"))
    for i in range(5):
        hub.crm.put("customer", None, customer(f"CRM Account {i}", f"FR{i:03d}"))
    return hub


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("after_writes", [2, 8, 17])
def test_a_crash_with_concurrent_write_batches_in_flight_then_rerun_converges(
    make_hub: Callable[..., Hub], after_writes: int, mode: dict[str, Any]
) -> None:
    hub = _in_flight_hub(make_hub, mode)
    hub.crm.crash_after(after_writes)

    with pytest.raises(SimulatedCrash):
        hub.run()

    hub.crm.clear_faults()
    hub.run()
    _assert_converged(hub)


@pytest.mark.parametrize("mode", MODES)
def test_a_kill_after_a_batch_was_written_while_others_are_in_flight_then_rerun_converges(
    make_hub: Callable[..., Hub], mode: dict[str, Any]
) -> None:
    hub = _in_flight_hub(make_hub, mode)
    seen: list[str] = []

    def kill_at_the_third_commit(step: str) -> None:
        seen.append(step)
        if seen.count("after_write") == 3:  # batches 4.. may be written already, none committed
            raise SimulatedCrash("killed while batches were in flight")

    with pytest.raises(SimulatedCrash):
        hub.run(hook=kill_at_the_third_commit)
    assert hub.store.count_links("customers") < 30

    hub.run()
    _assert_converged(hub)

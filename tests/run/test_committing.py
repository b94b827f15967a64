"""Committing stage: the link after the writes, audit of what was written, dead letters for refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.memory.faults import RecordFault
from sync_engine.run import runner
from sync_engine.run.committing import commit
from sync_engine.run.context import RunLedger
from sync_engine.run.deciding import decide, requests_for
from sync_engine.run.pairing import Pair
from sync_engine.run.settling import settle
from sync_engine.run.writing import write_items
from tests.memory_samples import native_customer as customer
from tests.run.conftest import FAST, World
from tests.sqlite_files import links_in_file_alone


def decided(world: World, ctx, name: str):
    erp_id = world.erp.put("customer", None, customer(name, "DE1"))
    [native] = ctx.sides["erp"].connector.read_by_ids("customer", [erp_id])
    [change] = ctx.sides["erp"].prepare([native], {}, ctx.report, lambda rej: None)
    item = decide(
        Pair("c1", None, {"erp": change}, None),
        ctx.sides,
        ctx.policy,
        None,
        flow="customers",
        entity="customer",
    )
    return requests_for(item, ctx.sides), erp_id


def test_a_written_record_is_linked_with_its_snapshot_and_audited(world: World) -> None:
    ctx = world.context()
    item, erp_id = decided(world, ctx, "Acme")
    results = write_items(ctx.sides, [item], lambda i: i.requests, FAST)
    commit(ctx, RunLedger(), [item], results, settle(ctx, [item], results))

    [link] = world.store.find_links("customers", "erp", [erp_id]).values()
    crm_id = results[("crm", "c1")].id
    assert link.external_ids == {"erp": erp_id, "crm": crm_id} and link.snapshot["name"] == "Acme"
    [entry] = world.store.list_audit(flow="customers")
    assert (entry.system, entry.op, entry.external_id, entry.after["name"]) == (
        "crm",
        "create",
        crm_id,
        "Acme",
    )
    assert ctx.report.sides["crm"].created == 1


def test_a_refused_write_is_a_dead_letter_and_leaves_no_snapshot(world: World) -> None:
    ctx = world.context()
    item, erp_id = decided(world, ctx, "Refused")
    world.crm.faults.next_records = [RecordFault(False, "name not allowed", field="company")]
    ledger = RunLedger()
    results = write_items(ctx.sides, [item], lambda i: i.requests, FAST)
    commit(ctx, ledger, [item], results, settle(ctx, [item], results))

    [link] = world.store.find_links("customers", "erp", [erp_id]).values()
    assert link.snapshot is None and "crm" not in link.external_ids
    [letter] = world.store.list_dead_letters(flow="customers")
    assert (letter.stage, letter.system, letter.field) == ("write", "crm", "company")
    assert letter.payload["sources"][0]["id"] == erp_id and letter.payload["sources"][0]["hash"]
    assert ("erp", erp_id) in ledger.failed and ctx.report.dead_letters == 1


def test_a_large_run_leaves_what_it_wrote_in_the_database_file_a_small_one_in_its_log(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "CHECKPOINT_AFTER_LINKS", 2)
    world.erp.put("customer", None, customer("Checkpoint GmbH", "DE-CP-1"))
    assert world.run().sides["crm"].created == 1
    assert links_in_file_alone(tmp_path / "state.db", tmp_path / "small.db") == 0, "left to the log"

    world.erp.put("customer", None, customer("Checkpoint AG", "DE-CP-2"))
    world.erp.put("customer", None, customer("Checkpoint SE", "DE-CP-3"))
    assert world.run().sides["crm"].created == 2
    assert links_in_file_alone(tmp_path / "state.db", tmp_path / "large.db") == 3

"""Dead-letter stage: what a later run re-reads (retries) and what waits for a change."""

from __future__ import annotations

from sync_engine.identity import record_hash
from sync_engine.run import dead_letters
from sync_engine.run.context import RunLedger
from sync_engine.run.sides import Rejection
from tests.run.conftest import World


def test_a_rejection_waits_until_its_record_changes_and_a_deferral_is_retried(world: World) -> None:
    ctx = world.context()
    ledger = RunLedger()
    native = {"company": {"name": "X"}, "status": "?"}
    dead_letters.reject(ctx, ledger, Rejection(ctx.sides["crm"], "K1", "map", "bad status", "status", native))
    dead_letters.reject(
        ctx,
        ledger,
        Rejection(ctx.sides["crm"], "K2", "reference", "no customer yet", "customer_id", {}, deferred=True),
    )

    assert ledger.failed == {("crm", "K1"), ("crm", "K2")}
    assert (ctx.report.dead_letters, ctx.report.deferred, ctx.report.sides["crm"].failed) == (1, 1, 1)
    [(open_id, waiting_hash)] = dead_letters.load_waiting(ctx).values()
    assert waiting_hash == record_hash(native)
    assert dead_letters.load_retries(ctx) == {"crm": [(open_id + 1, "crm", "K2")]}


def test_a_dry_run_counts_rejections_without_keeping_them(world: World) -> None:
    ctx = world.context(dry_run=True)
    dead_letters.reject(ctx, RunLedger(), Rejection(ctx.sides["crm"], "K1", "map", "bad", None, {}))
    assert ctx.report.dead_letters == 1 and world.store.list_dead_letters() == []

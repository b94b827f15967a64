"""Reading stage: where a cursor read resumes, retries first, waiting records, deletions by id scan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.base import Cursor, TransientError
from connectors.memory import MemoryConnector, MemoryDatabase
from sync_engine.run import reading
from sync_engine.run.context import RunLedger
from sync_engine.store import CursorState
from tests.memory_samples import native_customer as customer
from tests.run.conftest import World

T = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def cursor(modified: datetime, read_at: datetime | None) -> CursorState:
    return CursorState("customers", "erp", modified, "E7", T, read_at)


def test_a_read_resumes_in_the_overlap_window_only_while_it_reaches_before_the_mark() -> None:
    assert reading.resume_point(None, 120) is None
    # the last read began 30 s after the mark: a late commit may still hide in the window
    assert reading.resume_point(cursor(T, T + timedelta(seconds=30)), 120) == Cursor(
        T - timedelta(seconds=90), ""
    )
    # it began long after: resume exactly at the mark
    assert reading.resume_point(cursor(T, T + timedelta(hours=1)), 120) == Cursor(T, "E7")
    # no overlap configured: always the exact mark; a cursor saved before read times were kept: window
    assert reading.resume_point(cursor(T, None), 0) == Cursor(T, "E7")
    assert reading.resume_point(cursor(T, None), 120) == Cursor(T - timedelta(seconds=120), "")


def pages(world: World, role: str, ledger: RunLedger, retries=(), reconcile: bool = False):
    ctx = world.context()
    side = ctx.sides[role]
    state = reading.start(side)
    changes = [
        c
        for page in reading.read_side(ctx, ledger, side, list(retries), state, reconcile_deletes=reconcile)
        for c in page
    ]
    return ctx, state, changes


def test_new_records_come_as_changes_and_the_state_keeps_the_highest_mark(
    world: World, ledger: RunLedger
) -> None:
    ids = [world.erp.put("customer", None, customer(f"Firma {i}", f"DE{i}")) for i in range(3)]
    ctx, state, changes = pages(world, "erp", ledger)
    assert [c.ext_id for c in changes] == ids
    assert all(c.record is not None and c.link is None for c in changes)
    last = world.erp.modified_at("customer", ids[-1])
    assert state.high == Cursor(last, ids[-1]) and ctx.report.sides["erp"].read == 3


def test_retried_dead_letters_are_read_first_and_not_twice(world: World, ledger: RunLedger) -> None:
    a = world.erp.put("customer", None, customer("A", "DE1"))
    b = world.erp.put("customer", None, customer("B", "DE2"))
    _, _, changes = pages(world, "erp", ledger, retries=[(9, "erp", b)])
    assert [c.ext_id for c in changes] == [b, a]


def test_a_record_that_failed_for_good_waits_while_unchanged(world: World) -> None:
    a = world.erp.put("customer", None, customer("A", "DE1"))
    from sync_engine.identity import record_hash

    [native] = [r for r in world.erp.all("customer").values()]
    ledger = RunLedger(waiting={("erp", a): (5, record_hash(native))})
    ctx, _, changes = pages(world, "erp", ledger)
    assert changes == [] and ctx.report.sides["erp"].waiting == 1 and ledger.resumed == {}

    world.erp.patch("customer", a, {"status": "I"})
    ctx, _, changes = pages(world, "erp", ledger)
    assert [c.ext_id for c in changes] == [a] and ledger.resumed == {5: ("erp", a)}


def test_ids_are_compared_only_when_reconciliation_is_due_and_something_is_linked(world: World) -> None:
    world.erp_options = {"delete_detection": False}
    a = world.erp.put("customer", None, customer("A", "DE1"))
    _, state, _ = pages(world, "erp", RunLedger())
    assert state.reconciled, "never reconciled: due, and recorded as done (nothing linked to lose)"
    world.run()
    world.erp.delete("customer", a)
    world.store.set_reconciled("customers", "erp", datetime.now(UTC))
    _, state, changes = pages(world, "erp", RunLedger())
    assert not state.reconciled and changes == [], "reconciled just now: not due"
    _, state, changes = pages(world, "erp", RunLedger(), reconcile=True)
    assert state.reconciled and [(c.ext_id, c.deleted) for c in changes] == [(a, True)]


def test_a_snapshot_read_restarted_by_a_transient_error_takes_each_record_once(tmp_path) -> None:
    world = World(tmp_path, page_size=2)
    try:
        world.erp_options = {"change_tracking": "none"}
        ids = [world.erp.put("customer", None, customer(f"Firma {i}", f"DE{i}")) for i in range(5)]
        ctx = world.context()
        side = ctx.sides["erp"]
        plain = side.connector.read_changes
        reads = []

        def flaky(entity, since, *, page_size):
            reads.append(since)
            for n, page in enumerate(plain(entity, since, page_size=page_size)):
                if len(reads) == 1 and n == 2:
                    raise TransientError("HTTP 503 (simulated, after two pages)")
                yield page

        side.connector.read_changes = flaky  # type: ignore[method-assign]
        state = reading.start(side)
        changes = [
            c
            for page in reading.read_side(ctx, RunLedger(), side, [], state, reconcile_deletes=False)
            for c in page
        ]

        assert reads == [None, None], "a snapshot has no cursor: it starts again from the beginning"
        assert sorted(c.ext_id for c in changes) == sorted(ids)
        assert ctx.report.sides["erp"].read == 5
    finally:
        world.store.close()
        MemoryDatabase.forget(world.erp_name)
        MemoryDatabase.forget(world.crm_name)


def test_a_first_sync_lists_no_ids_to_find_deletions(tmp_path, monkeypatch) -> None:
    """Links made during the run are of records it read or wrote: none can have vanished yet."""
    world = World(tmp_path, batch_size=1)  # batches are saved while the ERP is still being read
    try:
        world.erp_options = {"delete_detection": False}
        for i in range(3):
            world.erp.put("customer", None, customer(f"Firma {i}", f"DE{i}"))
        listed: list[str] = []
        plain = MemoryConnector.list_ids

        def listing(self, entity):
            listed.append(entity)
            return plain(self, entity)

        monkeypatch.setattr(MemoryConnector, "list_ids", listing)

        assert world.run().sides["crm"].created == 3
        assert listed == []
        assert world.store.reconciled_at("customers", "erp") is not None, "due, and recorded as done"
    finally:
        world.store.close()
        MemoryDatabase.forget(world.erp_name)
        MemoryDatabase.forget(world.crm_name)

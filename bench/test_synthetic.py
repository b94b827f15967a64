"""The synthetic connector behind bench/engine.py behaves like a system, so its figures mean something.

Run: .venv/bin/pytest bench/test_synthetic.py
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from _synthetic import EPOCH, SyntheticClock, SyntheticCustomers, generate, index_of_tax_id
from engine import _world, targets

from connectors.base import Cursor, NativeRecord, WriteRequest
from sync_engine.mapping import load_mapping
from sync_engine.model import entity_model

ROOT = Path(__file__).resolve().parent.parent


def _system(
    records: int, capacity: int | None = None, tracking: str = "cursor", *, scattered: bool = False
) -> SyntheticCustomers:
    return SyntheticCustomers.system(
        "erp",
        records=records,
        capacity=records if capacity is None else capacity,
        prefix="E",
        tracking=tracking,
        clock=SyntheticClock(),
        scattered_ids=scattered,
    )


def _all(system: SyntheticCustomers, since: Cursor | None = None, page_size: int = 7) -> list[NativeRecord]:
    return [r for page in system.read_changes("customer", since, page_size=page_size) for r in page.records]


def test_generated_customer_survives_the_memory_mapping_both_ways() -> None:
    # The other side regenerates what the engine created there: only sound if nothing is lost.
    mapping = load_mapping(ROOT / "mappings", "memory", "customer")
    model = entity_model("customer")
    for index in range(0, 3000, 13):
        native = generate(index)
        canonical = model.model_validate(mapping.to_canonical(native)).model_dump(mode="json")
        assert mapping.to_native(canonical) == native, index


def test_generated_customer_is_typical_and_the_same_for_the_same_index() -> None:
    record = generate(42)
    assert record == generate(42)
    assert record != generate(43)
    assert len(record["addresses"]) == 2
    assert len(record["people"]) == 3
    assert index_of_tax_id(record["vat_number"]) == 42


def test_full_read_returns_every_record_once_in_modified_order() -> None:
    system = _system(20)
    records = _all(system)
    assert [r.id for r in records] == [f"E{i:07d}" for i in range(20)]
    marks = [(r.modified, r.id) for r in records]
    assert marks == sorted(marks)


def test_cursor_read_returns_only_what_changed_after_it() -> None:
    system = _system(50)
    pages = list(system.read_changes("customer", None, page_size=50))
    cursor = pages[-1].cursor
    assert cursor is not None
    system.clock.advance(3600)
    system.edit(7, {"finance": {"payment_terms": "NET60"}})
    system.edit(3, {"status": "I"})
    changed = _all(system, Cursor(cursor.modified + timedelta(microseconds=1)))
    assert [r.id for r in changed] == ["E0000007", "E0000003"]
    assert changed[0].data["finance"] == {**generate(7)["finance"], "payment_terms": "NET60"}


def test_an_edited_record_appears_only_at_its_new_place() -> None:
    system = _system(10)
    system.edit(2, {"status": "I"})
    ids = [r.id for r in _all(system)]
    assert ids.count("E0000002") == 1
    assert ids[-1] == "E0000002"


def test_create_takes_the_index_from_the_tax_id_and_reads_back_as_written() -> None:
    system = _system(0, capacity=10)
    data = generate(4)
    (result,) = system.write_batch("customer", [WriteRequest("create", "c-4", data)])
    assert result.ok and result.id == "E0000004"
    assert system.read_by_ids("customer", ["E0000004"])[0].data == data
    assert system.count() == 1


def test_duplicate_or_foreign_create_is_refused_naming_the_field() -> None:
    system = _system(5, capacity=10)
    duplicate, foreign = system.write_batch(
        "customer",
        [
            WriteRequest("create", "a", generate(1)),
            WriteRequest("create", "b", {**generate(2), "vat_number": "XX"}),
        ],
    )
    assert not duplicate.ok and "already exists" in (duplicate.error or "")
    assert not foreign.ok and foreign.field == "vat_number"
    assert system.count() == 5


def test_update_merges_nested_fields_and_moves_the_record_to_the_end() -> None:
    system = _system(5)
    (result,) = system.write_batch(
        "customer", [WriteRequest("update", "x", {"finance": {"credit_limit": "1.00"}}, "E0000001")]
    )
    assert result.ok
    record = system.read_by_ids("customer", ["E0000001"])[0]
    assert record.data["finance"] == {**generate(1)["finance"], "credit_limit": "1.00"}
    assert _all(system)[-1].id == "E0000001"


def test_scattered_ids_are_distinct_in_no_order_and_find_their_records() -> None:
    system = _system(0, capacity=2000, scattered=True)
    requests = [WriteRequest("create", f"c-{i}", generate(i)) for i in range(2000)]
    ids = [result.id for result in system.write_batch("customer", requests)]
    assert len(set(ids)) == 2000 and all(i is not None and i[0] == "E" for i in ids)
    # consecutive records land anywhere in the id order, as UUIDs do: not sorted, not a few runs
    ascending = sum(a < b for a, b in pairwise(ids))
    assert 600 < ascending < 1400
    found = system.read_by_ids("customer", [ids[7], ids[1999]])
    assert [r.data for r in found] == [generate(7), generate(1999)]
    (updated,) = system.write_batch(
        "customer", [WriteRequest("update", "x", {"finance": {"credit_limit": "1.00"}}, ids[3])]
    )
    assert updated.ok and _all(system)[-1].id == ids[3]
    assert system.read_by_ids("customer", ["E0000003", "E9999999999"]) == []  # no such records


def test_snapshot_system_returns_all_records_without_a_cursor() -> None:
    system = _system(12, tracking="none")
    # a cursor far in the future would hide everything from a cursor system; a snapshot ignores it
    pages = list(system.read_changes("customer", Cursor(EPOCH + timedelta(days=10_000)), page_size=5))
    assert sum(len(p.records) for p in pages) == 12
    assert all(p.cursor is None for p in pages)


@pytest.mark.parametrize(("direction", "scattered"), [("erp_to_crm", False), ("both", False), ("both", True)])
def test_engine_creates_every_customer_once_then_finds_nothing_to_do(
    tmp_path: Path, direction: str, scattered: bool
) -> None:
    world = _world(str(tmp_path), 150, tracking="cursor", direction=direction, scattered_crm_ids=scattered)
    first, _ = world.run()
    assert first.status == "success"
    assert first.sides["crm"].created == 150
    assert world.crm.count() == 150
    crm_ids = list(world.store.iter_external_ids("customers", "crm"))
    assert len(crm_ids) == 150 and {len(i) for i in crm_ids} == {11 if scattered else 8}
    world.clock.advance(3600)
    second, _ = world.run()
    assert second.writes == 0 and second.dead_letters == 0


def test_targets_report_met_and_not_met_from_the_figures() -> None:
    def initial(n: int, seconds: float, peak: float) -> dict[str, object]:
        return {"records": n, "seconds": seconds, "peak_mb": peak, "start_mb": 80.0, "connectors_mb": 1.0}

    lines = targets(
        {("initial", 100): initial(100, 0.001, 90.0), ("initial", 1000): initial(1000, 1.0, 400.0)}, 100, 1000
    )
    assert lines[0].startswith("MET") and "100,000 records/s" in lines[0]
    assert lines[1].startswith("NOT MET") and "1,000 records/s" in lines[1]
    assert lines[2].startswith("NOT MET") and "peak 400 MB" in lines[2]
    assert lines[3].startswith("NOT MET") and "1000.0x" in lines[3]
    assert "floor" not in lines[3], "no floor figures, no floor growth"

    small, big = initial(100, 0.01, 90.0), initial(1000, 0.12, 90.0)
    small.update(n=100, floor_s=0.02, floor_connector_s=0.01)
    big.update(n=1000, floor_s=0.15, floor_connector_s=0.03)
    figures = {("initial", 100): small, ("initial", 1000): big}
    line = next(x for x in targets(figures, 100, 1000) if "linear" in x)
    assert line.startswith("NOT MET") and "took 12.0x" in line and "the floor's own time grew 12.0x" in line


def test_the_initial_floor_stores_what_the_engine_stores(tmp_path: Path) -> None:
    """The floor is only a floor if it does the engine's work: the same links, ids, native hashes and
    audit rows, by value (the engine's own timestamps and run ids aside)."""
    import sqlite3

    import floor

    engine_world = _world(str(tmp_path), 60, tracking="cursor", direction="erp_to_crm")
    report, _ = engine_world.run()
    assert report.sides["crm"].created == 60
    (tmp_path / "floor").mkdir()
    twin = _world(str(tmp_path / "floor"), 60, tracking="cursor", direction="erp_to_crm")
    version = load_mapping(ROOT / "mappings", "memory", "customer").version
    floor.initial(twin.erp, twin.crm, str(tmp_path / "floor" / "state.db"), version)

    def stored(path: Path) -> dict[str, list[tuple[object, ...]]]:
        with sqlite3.connect(path) as db:
            return {
                "links": db.execute("SELECT flow, canonical_id, entity, snapshot, hash, meta FROM links "
                                    "ORDER BY canonical_id").fetchall(),
                "link_ids": db.execute("SELECT flow, entity, system, external_id, canonical_id, native_hash "
                                       "FROM link_ids ORDER BY canonical_id, system").fetchall(),
                "audit": db.execute('SELECT flow, system, entity, external_id, op, "before", "after" '
                                    "FROM audit_log ORDER BY external_id").fetchall(),
            }  # fmt: skip

    engine_rows, floor_rows = stored(tmp_path / "state.db"), stored(tmp_path / "floor" / "state.db")
    assert len(floor_rows["link_ids"]) == 120
    assert sum(1 for row in floor_rows["link_ids"] if row[5] is not None) == 60  # the ERP's records
    assert floor_rows == engine_rows

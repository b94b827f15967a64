"""The in-memory connector honours the connector protocol."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.base import ConnectionSettings, Cursor, PermanentError, TransientError, WriteRequest
from connectors.memory import ManualClock, MemoryConnector, MemoryDatabase, SimulatedCrash

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
_names = itertools.count()


@pytest.fixture
def host() -> Iterator[str]:
    """A fresh system name per test, forgotten afterwards."""
    name = f"test-{next(_names)}"
    yield name
    MemoryDatabase.forget(name)


def connect(host: str, **options) -> MemoryConnector:
    return MemoryConnector(ConnectionSettings("memory", host=host), options)


def create(name: str, ref: str | None = None) -> WriteRequest:
    return WriteRequest("create", ref or f"ref-{name}", {"name": name})


def all_records(conn: MemoryConnector, entity: str = "customer", since: Cursor | None = None, page_size=500):
    return [r for page in conn.read_changes(entity, since, page_size=page_size) for r in page.records]


def test_create_returns_ids_and_the_records_can_be_read_back(host: str) -> None:
    conn = connect(host)
    results = conn.write_batch("customer", [create("山田"), create("株式会社 山田"), create("شركة النور")])
    assert [r.ok for r in results] == [True, True, True]
    ids = [r.id for r in results]
    assert ids == ["C000001", "C000002", "C000003"]
    read = conn.read_by_ids("customer", [ids[2], "C999999", ids[0]])
    assert [(r.id, r.data["name"], r.ref) for r in read] == [
        (ids[2], "شركة النور", "ref-شركة النور"),
        (ids[0], "山田", "ref-山田"),
    ]
    assert all(r.modified is not None and r.modified.tzinfo is not None for r in read)


def test_create_with_a_known_ref_updates_the_same_record(host: str) -> None:
    conn = connect(host)
    [first] = conn.write_batch("customer", [create("A", ref="canon-1")])
    [again] = conn.write_batch("customer", [WriteRequest("create", "canon-1", {"name": "A2"})])
    assert again.ok and again.id == first.id
    assert conn.db.all("customer") == {first.id: {"name": "A2"}}


def test_without_upsert_a_repeated_create_makes_a_duplicate(host: str) -> None:
    conn = connect(host, upsert_by_external_id=False)
    conn.write_batch("customer", [create("A", ref="canon-1")])
    conn.write_batch("customer", [create("A", ref="canon-1")])
    assert conn.db.count("customer") == 2
    assert all(r.ref is None for r in all_records(conn))


def test_update_changes_only_the_given_fields(host: str) -> None:
    conn = connect(host)
    record_id = conn.db.put("customer", None, {"name": "A", "city": "Köln"})
    [result] = conn.write_batch("customer", [WriteRequest("update", "r", {"city": "Bonn"}, id=record_id)])
    assert result.ok and result.modified is not None
    assert conn.db.get("customer", record_id) == {"name": "A", "city": "Bonn"}


def test_update_of_a_missing_record_fails_that_record_only(host: str) -> None:
    conn = connect(host)
    results = conn.write_batch(
        "customer", [WriteRequest("update", "r1", {"name": "x"}, id="C404"), create("B", ref="r2")]
    )
    assert [(r.ref, r.ok, r.transient) for r in results] == [("r1", False, False), ("r2", True, False)]
    assert "C404" in results[0].error


def test_delete_is_idempotent(host: str) -> None:
    conn = connect(host)
    record_id = conn.db.put("customer", None, {"name": "A"})
    for _ in range(2):
        [result] = conn.write_batch("customer", [WriteRequest("delete", "r", id=record_id)])
        assert result.ok
    assert conn.db.count("customer") == 0


def test_system_rules_reject_a_record_naming_the_field(host: str) -> None:
    conn = connect(host, rules={"customer": {"required": ["name"], "max_length": {"name": 5}}})
    results = conn.write_batch(
        "customer",
        [
            WriteRequest("create", "r1", {"city": "Wien"}),
            WriteRequest("create", "r2", {"name": "Much too long"}),
            WriteRequest("create", "r3", {"name": "Ok"}),
        ],
    )
    assert [(r.ok, r.field) for r in results] == [(False, "name"), (False, "name"), (True, None)]
    assert "r1" in results[0].error and "required" in results[0].error
    assert not results[0].transient


def test_cursor_reads_return_changes_in_modified_then_id_order(host: str) -> None:
    conn = connect(host)
    clock = conn.db.clock = ManualClock(T0)
    first = conn.db.put("customer", None, {"name": "a"})
    second = conn.db.put("customer", None, {"name": "b"})
    clock.advance(timedelta(seconds=5))
    conn.db.patch("customer", first, {"name": "a2"})
    assert [r.id for r in all_records(conn)] == [second, first]
    since = Cursor(T0 + timedelta(seconds=5), "")
    assert [(r.id, r.data) for r in all_records(conn, since=since)] == [(first, {"name": "a2"})]


def test_many_records_with_the_same_timestamp_page_without_loss_or_repeat(host: str) -> None:
    conn = connect(host)
    conn.db.clock = ManualClock(T0)  # every record gets the same timestamp
    ids = {conn.db.put("customer", None, {"n": i}) for i in range(25)}
    seen: list[str] = []
    cursor = None
    while True:
        pages = list(itertools.islice(conn.read_changes("customer", cursor, page_size=10), 1))
        fresh = [r.id for r in pages[0].records if r.id not in seen] if pages else []
        if not fresh:
            break
        seen.extend(fresh)
        cursor = pages[0].cursor  # resume at (modified, id) of the last record: inclusive
    assert len(seen) == len(set(seen)) == 25 and set(seen) == ids


def test_each_page_carries_the_cursor_of_its_last_record(host: str) -> None:
    conn = connect(host)
    conn.db.clock = ManualClock(T0, step=timedelta(microseconds=1))
    for i in range(5):
        conn.db.put("customer", None, {"n": i})
    pages = list(conn.read_changes("customer", None, page_size=2))
    assert [len(p.records) for p in pages] == [2, 2, 1]
    for page in pages:
        last = page.records[-1]
        assert page.cursor == Cursor(last.modified, last.id)


def test_deletes_are_reported_as_tombstones_with_their_time(host: str) -> None:
    conn = connect(host)
    clock = conn.db.clock = ManualClock(T0)
    record_id = conn.db.put("customer", None, {"name": "a"})
    clock.advance()
    conn.db.delete("customer", record_id)
    [tombstone] = all_records(conn, since=Cursor(T0 + timedelta(seconds=1)))
    assert (tombstone.id, tombstone.deleted, tombstone.modified) == (
        record_id,
        True,
        T0 + timedelta(seconds=1),
    )
    assert list(conn.list_ids("customer")) == []


def test_without_delete_detection_deletes_leave_no_trace(host: str) -> None:
    conn = connect(host, delete_detection=False)
    record_id = conn.db.put("customer", None, {"name": "a"})
    conn.db.delete("customer", record_id)
    assert all_records(conn) == []


def test_snapshot_mode_returns_everything_in_id_order_without_cursor(host: str) -> None:
    conn = connect(host, change_tracking="none")
    conn.db.clock = ManualClock(T0, step=timedelta(seconds=-1))  # newest first: order must be by id
    ids = [conn.db.put("customer", None, {"n": i}) for i in range(5)]
    pages = list(conn.read_changes("customer", Cursor(T0 + timedelta(days=1)), page_size=2))
    assert [r.id for p in pages for r in p.records] == ids
    assert all(p.cursor is None for p in pages)
    assert not conn.capabilities.delete_detection


def test_capabilities_come_from_options_or_the_connection_uri(host: str) -> None:
    settings = ConnectionSettings.from_uri(f"memory://{host}?change_tracking=none&max_batch_size=3")
    conn = MemoryConnector(settings, {"entities": ["customer", "product"]})
    caps = conn.capabilities
    assert (caps.change_tracking, caps.max_batch_size, caps.entities) == (
        "none",
        3,
        frozenset({"customer", "product"}),
    )
    with pytest.raises(PermanentError, match="split it"):
        conn.write_batch("customer", [create(str(i)) for i in range(4)])
    with pytest.raises(PermanentError, match="'quote'"):
        list(conn.read_changes("quote", None))


def test_connectors_of_the_same_host_share_one_database(host: str) -> None:
    [result] = connect(host).write_batch("customer", [create("A")])
    assert connect(host).read_by_ids("customer", [result.id])[0].data == {"name": "A"}
    assert connect(f"{host}-other").db.count("customer") == 0
    MemoryDatabase.forget(f"{host}-other")


def test_reads_hand_out_copies_the_caller_may_change(host: str) -> None:
    conn = connect(host)
    record_id = conn.db.put("customer", None, {"name": "A", "contacts": [{"email": "a@x"}]})
    [record] = all_records(conn)
    record.data["contacts"][0]["email"] = "changed"
    record.data["name"] = "changed"
    assert conn.db.get("customer", record_id) == {"name": "A", "contacts": [{"email": "a@x"}]}


def test_reserved_fields_are_not_stored_as_data(host: str) -> None:
    conn = connect(host)
    [result] = conn.write_batch(
        "customer", [WriteRequest("create", "r", {"id": "x", "modified": 1, "name": "A"})]
    )
    assert conn.db.get("customer", result.id) == {"name": "A"}


def test_injected_record_failures_are_per_record(host: str) -> None:
    conn = connect(host)
    conn.db.fail_next(1, transient=True)
    conn.db.fail_record("ref-C", transient=False, error="VAT number invalid", field="vat", times=1)
    results = conn.write_batch("customer", [create("A"), create("B"), create("C")])
    assert [(r.ok, r.transient, r.field) for r in results] == [
        (False, True, None),
        (True, False, None),
        (False, False, "vat"),
    ]
    assert "VAT number invalid" in results[2].error
    assert conn.write_batch("customer", [create("C")])[0].ok  # the fault was for one write only


def test_injected_call_failures_raise_transient_or_permanent_errors(host: str) -> None:
    conn = connect(host)
    conn.db.fail_next_call(1)
    conn.db.fail_next_call(1, transient=False, error="HTTP 401")
    with pytest.raises(TransientError, match="503"):
        conn.write_batch("customer", [create("A")])
    with pytest.raises(PermanentError, match="401"):
        list(conn.read_changes("customer", None))
    assert conn.write_batch("customer", [create("A")])[0].ok


def test_a_crash_mid_batch_keeps_the_writes_made_before_it(host: str) -> None:
    conn = connect(host)
    conn.db.crash_after(2)
    with pytest.raises(SimulatedCrash):
        conn.write_batch("customer", [create("A"), create("B"), create("C")])
    assert sorted(r["name"] for r in conn.db.all("customer").values()) == ["A", "B"]
    # A rerun of the whole batch with upsert by ref leaves no duplicates.
    results = conn.write_batch("customer", [create("A"), create("B"), create("C")])
    assert all(r.ok for r in results) and conn.db.count("customer") == 3


def test_a_crash_after_the_last_write_loses_only_the_results(host: str) -> None:
    conn = connect(host)
    # a crash is a BaseException (a killed process): an ordinary exception would be classified
    conn.db.crash_after(2, SimulatedCrash("power cut"))
    with pytest.raises(SimulatedCrash, match="power cut"):
        conn.write_batch("customer", [create("A"), create("B")])
    assert conn.db.count("customer") == 2


def test_a_file_keeps_the_data_between_processes(host: str, tmp_path: Path) -> None:
    path = tmp_path / "erp.json"
    conn = connect(host, path=str(path))
    record = {"name": "株式会社 山田", "limit": Decimal("1000.50"), "since": T0, "tags": ["a"]}
    [result] = conn.write_batch("customer", [WriteRequest("create", "canon-1", record)])
    conn.db.delete("customer", conn.db.put("customer", None, {"name": "gone"}))
    script = (
        "import json, sys\n"
        "from connectors.base import ConnectionSettings\n"
        "from connectors.memory import MemoryConnector\n"
        f"conn = MemoryConnector(ConnectionSettings('memory', host='other'), {{'path': {str(path)!r}}})\n"
        "pages = conn.read_changes('customer', None)\n"
        "out = [[r.id, r.ref, r.deleted, repr(r.data)] for p in pages for r in p.records]\n"
        "print(json.dumps(out, ensure_ascii=False))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    rows = json.loads(done.stdout)
    assert rows[0] == [result.id, "canon-1", False, repr(record)]
    assert rows[1][2] is True  # the tombstone survives too


def test_processes_writing_one_file_at_once_lose_nothing(host: str, tmp_path: Path) -> None:
    # Two Celery workers syncing two flows into one CRM: each must see the other's rows, not save
    # over them with the copy it loaded when it started.
    path = tmp_path / "crm.json"
    script = (
        "import sys\n"
        "from connectors.base import ConnectionSettings, WriteRequest\n"
        "from connectors.memory import MemoryConnector\n"
        f"conn = MemoryConnector(ConnectionSettings('memory', host='w'), {{'path': {str(path)!r}}})\n"
        "for n in range(40):\n"
        "    name = f'{sys.argv[1]}-{n}'\n"
        "    [r] = conn.write_batch('customer', [WriteRequest('create', name, {'name': name})])\n"
        "    assert r.ok, r\n"
    )
    workers = [subprocess.Popen([sys.executable, "-c", script, tag]) for tag in ("a", "b")]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]
    db = MemoryDatabase("check")
    db.attach(path)
    names = sorted(r["name"] for r in db.all("customer").values())
    assert names == sorted(f"{tag}-{n}" for tag in ("a", "b") for n in range(40))  # ids never clashed


def test_a_read_sees_what_another_process_wrote_since_the_file_was_opened(host: str, tmp_path: Path) -> None:
    path = tmp_path / "crm.json"
    conn = connect(host, path=str(path))
    conn.write_batch("customer", [create("A")])
    other = MemoryDatabase("other")
    other.attach(path)
    other.put("customer", None, {"name": "B"})
    pages = conn.read_changes("customer", None)
    assert sorted(r.data["name"] for p in pages for r in p.records) == ["A", "B"]
    assert conn.write_batch("customer", [create("C")])[0].id == "C000003"


def test_opening_a_file_replaces_what_the_process_held(host: str, tmp_path: Path) -> None:
    path = tmp_path / "crm.json"
    first = connect(host, path=str(path))
    first.write_batch("customer", [create("A")])
    MemoryDatabase.forget(host)
    again = connect(host, path=str(path))
    assert [r["name"] for r in again.db.all("customer").values()] == ["A"]
    assert again.write_batch("customer", [create("B")])[0].id == "C000002"  # numbering continues


def test_record_urls_follow_the_configured_pattern_with_the_id_escaped(host: str) -> None:
    conn = connect(host, record_url="https://erp.example/{entity}/{id}")
    assert conn.record_url("customer", "C 1/2") == "https://erp.example/customer/C%201%2F2"
    assert conn.record_url("sales_order", "S9") == "https://erp.example/sales_order/S9"
    assert connect(host).record_url("customer", "C1") is None

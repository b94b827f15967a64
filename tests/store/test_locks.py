from __future__ import annotations

import logging
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Protocol

import pytest

from sync_engine.store import FlowLocked, Store
from sync_engine.store.locks import default_holder, holder_is_dead
from sync_engine.store.tables import FLOW_LOCKS


class StoreTarget(Protocol):
    """The ``store_target`` fixture of tests/conftest.py: opens more Stores on the test database."""

    def open(self) -> Store: ...


def lock_rows(store: Store) -> dict[str, str]:
    with store.transaction() as conn:
        return {row.flow: row.holder for row in conn.execute(FLOW_LOCKS.select())}


def test_second_acquirer_fails_naming_the_holder(store: Store) -> None:
    with store.lock_flow("customers", holder="worker-1:100"):
        assert lock_rows(store) == {"customers": "worker-1:100"}
        with pytest.raises(FlowLocked) as caught, store.lock_flow("customers", holder="worker-2:200"):
            pytest.fail("the lock was granted twice")
        error = caught.value
        assert (error.flow, error.holder) == ("customers", "worker-1:100")
        assert error.since is not None and error.since.tzinfo == UTC
        assert "flow 'customers' is already running: locked by worker-1:100 since" in str(error)
        # another flow is independent
        with store.lock_flow("products", holder="worker-2:200"):
            pass
    assert lock_rows(store) == {}
    with store.lock_flow("customers", holder="worker-2:200"):
        pass


def test_the_lock_is_released_when_the_run_raises(store: Store) -> None:
    with pytest.raises(RuntimeError), store.lock_flow("customers"):
        raise RuntimeError("run crashed")
    with store.lock_flow("customers"):
        assert lock_rows(store) == {"customers": default_holder()}


def test_a_second_store_instance_is_locked_out(store: Store, store_target: StoreTarget) -> None:
    other = store_target.open()
    try:
        with (
            store.lock_flow("customers", holder="airflow-worker-a:1"),
            pytest.raises(FlowLocked, match="locked by airflow-worker-a:1"),
            other.lock_flow("customers"),
        ):
            pass
        with (
            other.lock_flow("customers", holder="airflow-worker-b:2"),
            pytest.raises(FlowLocked, match="locked by airflow-worker-b:2"),
            store.lock_flow("customers"),
        ):
            pass
    finally:
        other.close()


def test_sqlite_takes_over_a_stale_lock_left_by_a_crashed_run(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    if store.schema is not None:
        pytest.skip("PostgreSQL frees the advisory lock when the crashed session ends; no rows go stale")
    with store.transaction() as conn:
        conn.execute(
            FLOW_LOCKS.insert().values(
                flow="customers", holder="dead-host:1", acquired_at=datetime.now(UTC) - timedelta(hours=7)
            )
        )
    with (
        pytest.raises(FlowLocked, match="dead-host:1"),
        store.lock_flow("customers", stale_after=timedelta(hours=8)),
    ):
        pass

    with caplog.at_level(logging.WARNING), store.lock_flow("customers", holder="new-host:2"):
        assert lock_rows(store) == {"customers": "new-host:2"}
    assert "took over the lock of flow 'customers' from dead-host:1" in caplog.text
    assert lock_rows(store) == {}


def test_postgresql_lock_survives_a_stale_looking_row(store: Store, store_target: StoreTarget) -> None:
    if store.schema is None:
        pytest.skip("the advisory lock is PostgreSQL's")
    other = store_target.open()
    try:
        with store.lock_flow("customers", holder="alive:1"):
            # an old acquired_at must not let anyone in while the session holding the lock is alive
            with store.transaction() as conn:
                conn.execute(FLOW_LOCKS.update().values(acquired_at=datetime.now(UTC) - timedelta(days=2)))
            with (
                pytest.raises(FlowLocked, match="alive:1"),
                other.lock_flow("customers", stale_after=timedelta(0)),
            ):
                pass
    finally:
        other.close()


def _finished_pid() -> int:
    """The pid of a process that has ended (and been reaped): a run killed with -9 looks like this."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _plant(store: Store, holder: str, age: timedelta = timedelta(minutes=1)) -> None:
    with store.transaction() as conn:
        conn.execute(
            FLOW_LOCKS.insert().values(flow="customers", holder=holder, acquired_at=datetime.now(UTC) - age)
        )


def test_sqlite_takes_over_at_once_a_lock_whose_process_on_this_host_is_gone(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    if store.schema is not None:
        pytest.skip("PostgreSQL frees the advisory lock when the crashed session ends; no rows go stale")
    dead = f"{socket.gethostname()}:{_finished_pid()}"
    _plant(store, dead)
    assert [(lock.holder, lock.dead) for lock in store.list_locks()] == [(dead, True)]

    with caplog.at_level(logging.WARNING), store.lock_flow("customers", holder="new-host:2"):
        assert lock_rows(store) == {"customers": "new-host:2"}
    assert f"took over the lock of flow 'customers' from {dead}" in caplog.text
    assert "its process is gone" in caplog.text


def test_a_live_holder_on_this_host_keeps_its_lock_and_a_reused_pid_does_not(store: Store) -> None:
    if store.schema is not None:
        pytest.skip("the lock row decides only on SQLite")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _plant(store, f"{socket.gethostname()}:{sleeper.pid}")
        with pytest.raises(FlowLocked, match=f":{sleeper.pid} since"), store.lock_flow("customers"):
            pass
        # the same pid with another start time is another process: the holder is gone
        store.break_lock("customers")
        _plant(store, f"{socket.gethostname()}:{sleeper.pid}:1")
        assert holder_is_dead(f"{socket.gethostname()}:{sleeper.pid}:1")
        with store.lock_flow("customers", holder="new-host:3"):
            assert lock_rows(store) == {"customers": "new-host:3"}
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_holder_on_another_host_is_never_presumed_dead() -> None:
    assert not holder_is_dead(f"not-{socket.gethostname()}:{_finished_pid()}")
    assert not holder_is_dead("worker-1:100")
    assert not holder_is_dead(default_holder())


def test_the_lock_message_names_the_way_to_break_it(store: Store) -> None:
    with (
        store.lock_flow("customers", holder="worker-1:100"),
        pytest.raises(FlowLocked) as caught,
        store.lock_flow("customers"),
    ):
        pass
    assert "`synchub locks break customers` frees the lock" in str(caught.value)


def test_break_lock_frees_a_row_left_behind(store: Store) -> None:
    if store.schema is not None:
        pytest.skip("on PostgreSQL the row is informational; see the next test")
    _plant(store, "lost-host:7", age=timedelta(minutes=5))
    broken = store.break_lock("customers")
    assert broken is not None and (broken.flow, broken.holder, broken.dead) == (
        "customers",
        "lost-host:7",
        False,
    )
    assert store.break_lock("customers") is None
    with store.lock_flow("customers"):
        pass


def test_postgresql_refuses_to_break_a_lock_a_live_session_holds(
    store: Store, store_target: StoreTarget
) -> None:
    if store.schema is None:
        pytest.skip("the advisory lock is PostgreSQL's")
    other = store_target.open()
    try:
        with (
            store.lock_flow("customers", holder="alive:1"),
            pytest.raises(FlowLocked, match="a live PostgreSQL session holds this lock"),
        ):
            other.break_lock("customers")
        _plant(other, "lost-host:7")  # a row without a session behind it
        broken = other.break_lock("customers")
        assert broken is not None and broken.holder == "lost-host:7"
    finally:
        other.close()

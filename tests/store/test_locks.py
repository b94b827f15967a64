from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Protocol

import pytest

from sync_engine.store import FlowLocked, Store
from sync_engine.store.locks import default_holder
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

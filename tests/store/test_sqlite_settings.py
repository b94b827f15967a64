"""The settings every SQLite state connection gets (durability and write cost depend on them)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from sync_engine.store import LinkRecord, Store
from tests.sqlite_files import links_in_file_alone


def test_a_sqlite_state_file_runs_in_wal_with_rare_checkpoints(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        store.upgrade()
        with store.transaction() as conn:
            got = {
                name: conn.execute(text(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "wal_autocheckpoint")
            }
    finally:
        store.close()
    # synchronous 1 = NORMAL: in WAL a crash never corrupts; the last commits may roll back after
    # a power cut, which a rerun repairs (the claim of written-but-unlinked records)
    assert got == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "wal_autocheckpoint": 40_000}


def test_a_checkpoint_moves_what_the_log_holds_into_the_database_file(tmp_path: Path) -> None:
    database = tmp_path / "state.db"
    store = Store(f"sqlite:///{database}")
    try:
        store.upgrade()
        store.save_links([LinkRecord("customers", "customer", "c-1", {"erp": "E1"})])
        assert links_in_file_alone(database, tmp_path / "before.db") == 0  # still in the log only
        store.checkpoint()
        assert links_in_file_alone(database, tmp_path / "after.db") == 1
    finally:
        store.close()

"""The settings every SQLite state connection gets (durability and write cost depend on them)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from sync_engine.store import Store


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
    assert got == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "wal_autocheckpoint": 10_000}

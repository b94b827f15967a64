"""SyncHub's state store: links, cursors, runs, conflicts, dead letters, audit log and flow locks.

SQLAlchemy 2 on SQLite (default, a local file) or PostgreSQL (production, optionally in its own
schema), migrated by Alembic through :meth:`Store.upgrade`.
"""

from sync_engine.store.errors import FlowLocked, StoreError
from sync_engine.store.records import (
    AuditEntry,
    ConflictRecord,
    CursorState,
    DeadLetterRecord,
    LinkRecord,
    RunRecord,
)
from sync_engine.store.store import DEFAULT_URL, Store

__all__ = [
    "DEFAULT_URL",
    "AuditEntry",
    "ConflictRecord",
    "CursorState",
    "DeadLetterRecord",
    "FlowLocked",
    "LinkRecord",
    "RunRecord",
    "Store",
    "StoreError",
]

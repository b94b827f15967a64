"""Copy one state database into another (SQLite -> PostgreSQL when a deployment grows up).

Every table is copied row for row with its ids, so links keep pairing the same records: a run on the
target finds each record's link and writes nothing new, where a fresh target would re-pair by match
keys and could make duplicates. Flow locks are not copied (no run holds the new database).
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, func, insert, select, text

from sync_engine.store.errors import StoreError
from sync_engine.store.store import Store
from sync_engine.store.tables import Base

NOT_COPIED = frozenset({"flow_locks"})
CHUNK = 1000


def copy_state(source: Store, target: Store) -> dict[str, int]:
    """Copy ``source`` into ``target`` (migrated to the same revision first; must hold no state).

    Returns the rows copied per table. Runs in one transaction on the target: all or nothing.
    """
    source.ensure_current()
    target.upgrade()
    tables = [t for t in Base.metadata.sorted_tables if t.name not in NOT_COPIED]  # parents first
    copied: dict[str, int] = {}
    with source._engine.connect() as read, target._engine.begin() as write:
        filled = [t.name for t in tables if write.execute(select(func.count()).select_from(t)).scalar_one()]
        if filled:
            raise StoreError(
                f"the target state database {target.url} already holds state ({', '.join(filled)}); "
                "copy into an empty database or schema"
            )
        for table in tables:
            rows = read.execute(select(table)).mappings()
            copied[table.name] = 0
            while chunk := rows.fetchmany(CHUNK):
                write.execute(insert(table), [dict(row) for row in chunk])
                copied[table.name] += len(chunk)
        if write.dialect.name == "postgresql":
            _advance_sequences(write, tables)
    return copied


def _advance_sequences(write: Connection, tables: list[Table]) -> None:
    """Explicit ids do not move PostgreSQL's id sequences: set each past the largest copied id."""
    for table in tables:
        key = list(table.primary_key.columns)
        if len(key) != 1 or key[0].autoincrement is not True:
            continue
        column = key[0].name
        write.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f'COALESCE((SELECT MAX("{column}") FROM "{table.name}"), 0) + 1, false)'
            ),
            {"table": table.name, "column": column},
        )

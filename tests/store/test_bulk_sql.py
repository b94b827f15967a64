"""The bulk write path (``execute_many``) stores exactly what a Core insert stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from sync_engine.store import Store
from sync_engine.store.sql import among_param, among_value, insert_many, select_rows, upsert
from sync_engine.store.tables import AUDIT_LOG, LINK_IDS, LINKS

JSON_VALUES = pytest.mark.parametrize(
    "after",
    [None, {}, {"name": "Müller 名", "n": "2.50", "tags": ["a", None]}, [1, "two"]],
    ids=["sql-null", "empty", "nested", "list"],
)
AT = datetime(2026, 1, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=9)))


def _audit(external_id: str, after: object) -> dict[str, object]:
    return {
        "run_id": None,
        "flow": "customers",
        "system": "crm",
        "entity": "customer",
        "external_id": external_id,
        "op": "create",
        "before": None,
        "after": after,
        "at": AT,
    }


def _raw(store: Store, table: str, order: str) -> list[tuple[object, ...]]:
    """Rows as the database holds them: the text, not what SQLAlchemy makes of it."""
    with store.transaction() as conn:
        return [tuple(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))]


@JSON_VALUES
def test_bulk_insert_stores_the_same_as_a_core_insert(store: Store, after: object) -> None:
    with store.transaction() as conn:
        conn.execute(AUDIT_LOG.insert(), [_audit("core", after)])
        insert_many(conn, AUDIT_LOG, [_audit("bulk", after)])
    core, bulk = _raw(store, "audit_log", "id")
    assert core[0] + 1 == bulk[0]
    assert core[1:5] == bulk[1:5] == (None, "customers", "crm", "customer")
    assert core[6:] == bulk[6:]  # op, before (SQL NULL), after (JSON text), at (UTC)
    assert bulk[5] == "bulk"
    with store.transaction() as conn:
        back = conn.execute(select(AUDIT_LOG.c.before, AUDIT_LOG.c.after, AUDIT_LOG.c.at)).all()
    assert back[1] == (None, after, AT.astimezone(UTC))


def test_bulk_upsert_inserts_then_overwrites_only_the_update_columns(store: Store) -> None:
    row = {"flow": "f", "canonical_id": "c-1", "entity": "customer", "snapshot": {"a": 1}, "hash": "h1",
           "synced_at": AT, "meta": {}}  # fmt: skip
    with store.transaction() as conn:
        upsert(conn, LINKS, [row], keys=("flow", "canonical_id"), update=("snapshot", "hash"))
        changed = {**row, "entity": "ignored", "snapshot": None, "hash": "h2"}
        upsert(conn, LINKS, [changed], keys=("flow", "canonical_id"), update=("snapshot", "hash"))
    with store.transaction() as conn:
        got = conn.execute(select(LINKS)).one()
        sql_null = conn.execute(text("SELECT count(*) FROM links WHERE snapshot IS NULL")).scalar()
    assert (got.entity, got.snapshot, got.hash, got.synced_at) == ("customer", None, "h2", AT.astimezone(UTC))
    assert sql_null == 1  # None is SQL NULL, not the JSON text null


def test_a_bulk_upsert_of_many_rows_keeps_each_rows_values_apart(store: Store) -> None:
    rows = [
        {"flow": "f", "canonical_id": f"c-{n}", "entity": "customer", "snapshot": {"n": n, "s": "é'\"{}"},
         "hash": None if n % 2 else f"h{n}", "synced_at": AT + timedelta(seconds=n), "meta": {}}
        for n in range(300)
    ]  # fmt: skip
    with store.transaction() as conn:
        upsert(conn, LINKS, rows, keys=("flow", "canonical_id"), update=("snapshot", "hash"))
        upsert(conn, LINKS, rows[:10], keys=("flow", "canonical_id"), update=("snapshot", "hash"))
    with store.transaction() as conn:
        got = {r.canonical_id: r for r in conn.execute(select(LINKS))}
    assert len(got) == 300
    for n in (0, 1, 150, 299):
        row = got[f"c-{n}"]
        assert (row.snapshot, row.hash, row.synced_at) == (
            rows[n]["snapshot"],
            rows[n]["hash"],
            rows[n]["synced_at"],
        )


def test_an_upsert_reports_its_rows_and_which_are_new_on_postgresql_and_nothing_on_sqlite(
    store: Store,
) -> None:
    rows = [
        {"flow": "f", "canonical_id": f"c-{n}", "entity": "customer", "hash": None, "synced_at": AT,
         "snapshot": {"path": "C:\\dir\\", "quote": '"', "text": "Grüße 名 \u2028"}, "meta": {}}
        for n in (1, 2)
    ]  # fmt: skip
    keys, update = ("flow", "canonical_id"), ("snapshot", "hash")
    with store.transaction() as conn:
        first = upsert(
            conn, LINKS, rows[:1], keys, update, returning=("canonical_id", "id"), tell_inserted=True
        )
        both = upsert(conn, LINKS, rows, keys, update, returning=("canonical_id", "id"), tell_inserted=True)
        postgresql = conn.dialect.name == "postgresql"
    with store.transaction() as conn:
        stored = {row.canonical_id: row for row in conn.execute(select(LINKS))}
    assert {cid: row.snapshot for cid, row in stored.items()} == {
        "c-1": rows[0]["snapshot"],
        "c-2": rows[1]["snapshot"],
    }
    if not postgresql:  # SQLite's executemany cannot report rows
        assert first is None and both is None
        return
    assert first == [("c-1", stored["c-1"].id, True)]
    assert sorted(both) == [("c-1", stored["c-1"].id, False), ("c-2", stored["c-2"].id, True)]


def test_bulk_insert_refuses_a_naive_timestamp_and_writes_nothing(store: Store) -> None:
    with pytest.raises(StatementError, match="has no timezone"), store.transaction() as conn:
        naive = {**_audit("naive", None), "at": datetime(2026, 1, 1)}
        insert_many(conn, AUDIT_LOG, [_audit("ok", None), naive])
    assert _raw(store, "audit_log", "id") == []


def test_a_bulk_insert_that_breaks_a_constraint_is_sqlalchemys_integrity_error_and_rolls_back(
    store: Store,
) -> None:
    link = {"flow": "f", "canonical_id": "c-1", "entity": "customer", "snapshot": None, "hash": None,
            "synced_at": AT, "meta": {}}  # fmt: skip
    one = {"flow": "f", "entity": "customer", "system": "erp", "external_id": "E1", "canonical_id": "c-1",
           "native_hash": None}  # fmt: skip
    with pytest.raises(IntegrityError), store.transaction() as conn:  # SQLite executemany, PostgreSQL COPY
        insert_many(conn, LINKS, [link])
        insert_many(conn, LINK_IDS, [one, {**one, "native_hash": "again"}])
    assert _raw(store, "links", "canonical_id") == []


@JSON_VALUES
def test_a_prepared_select_reads_the_same_values_as_a_core_select(store: Store, after: object) -> None:
    with store.transaction() as conn:
        insert_many(conn, AUDIT_LOG, [_audit("E 'one'", after), _audit("two", {"x": 1})])

        def build():
            return (
                select(AUDIT_LOG.c.external_id, AUDIT_LOG.c.after, AUDIT_LOG.c.at)
                .where(
                    AUDIT_LOG.c.flow == bindparam("flow"), among_param(conn, AUDIT_LOG.c.external_id, "ids")
                )
                .order_by(AUDIT_LOG.c.id)
            )

        ids = among_value(conn, ["E 'one'", "three"])
        prepared = select_rows(conn, ("test_audit",), build, {"flow": "customers", "ids": ids})
        core = conn.execute(build(), {"flow": "customers", "ids": ids}).all()
        none = select_rows(conn, ("test_audit",), build, {"flow": "elsewhere", "ids": ids})
    assert [tuple(row) for row in prepared] == [tuple(row) for row in core] == [("E 'one'", after, AT)]
    assert none == []

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from sync_engine.identity import record_hash
from sync_engine.store import Store, StoreError
from sync_engine.store.migrate import VERSION_TABLE, context_options, head_revision
from sync_engine.store.tables import Base

STATE_TABLES = {
    "links",
    "link_ids",
    "cursors",
    "conflicts",
    "runs",
    "dead_letters",
    "audit_log",
    "flow_locks",
    "reconciliations",
}


def tables_of(store: Store) -> set[str]:
    with store.transaction() as conn:
        return set(inspect(conn).get_table_names())


def test_upgrade_creates_every_table_on_an_empty_database(blank_store: Store) -> None:
    assert tables_of(blank_store) == set()
    assert blank_store.current_revision() is None

    blank_store.upgrade()

    assert tables_of(blank_store) == STATE_TABLES | {VERSION_TABLE}
    assert blank_store.current_revision() == head_revision() == "0006_one_external_id_index"


def test_downgrade_to_base_drops_every_table_and_upgrade_recreates_them(store: Store) -> None:
    store.downgrade()
    assert tables_of(store) & STATE_TABLES == set()
    assert store.current_revision() is None

    store.upgrade()
    assert tables_of(store) >= STATE_TABLES
    assert store.current_revision() == head_revision()


def test_orm_models_match_the_migrations(store: Store) -> None:
    with store.transaction() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, **context_options()})
        assert compare_metadata(context, Base.metadata) == []


def test_ensure_current_refuses_an_unmigrated_database(blank_store: Store) -> None:
    with pytest.raises(StoreError, match="run `synchub db upgrade`"):
        blank_store.ensure_current()
    blank_store.upgrade()
    blank_store.ensure_current()


def test_postgresql_tables_and_version_table_live_in_the_given_schema(store: Store) -> None:
    if store.schema is None:
        pytest.skip("schemas are a PostgreSQL option")
    engine = create_engine(store._engine.url)  # no search_path: sees the whole database
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            assert set(inspector.get_table_names(schema=store.schema)) == STATE_TABLES | {VERSION_TABLE}
            assert STATE_TABLES.isdisjoint(inspector.get_table_names(schema="public"))
    finally:
        engine.dispose()


def test_url_shown_never_contains_the_password() -> None:
    store = Store("postgresql+psycopg://sync:s3cret-pw@db.example:5432/state", schema="synchub")
    assert "s3cret-pw" not in store.url
    assert "s3cret-pw" not in repr(store)
    assert "s3cret-pw" not in str(store)
    assert "synchub" in repr(store)


def test_schema_names_that_could_inject_sql_are_refused() -> None:
    with pytest.raises(StoreError, match="invalid schema name"):
        Store("postgresql+psycopg://postgres@127.0.0.1/test", schema='x"; DROP TABLE links; --')


def test_in_memory_sqlite_keeps_its_tables_across_connections() -> None:
    store = Store("sqlite://")
    store.upgrade()
    store.start_run("customers")
    assert [run.flow for run in store.list_runs()] == ["customers"]
    store.close()


def test_the_schema_option_is_refused_for_sqlite_and_other_backends_are_named() -> None:
    with pytest.raises(StoreError, match="schema option applies to PostgreSQL only"):
        Store("sqlite://", schema="synchub")
    with pytest.raises(StoreError, match=r"unsupported state database 'mysql://u:\*\*\*@h/db'"):
        Store("mysql://u:pw@h/db")


def test_ensure_current_names_a_revision_from_a_newer_synchub(store: Store) -> None:
    with store.transaction() as conn:
        conn.exec_driver_sql(f"UPDATE {VERSION_TABLE} SET version_num = '9999_future'")
    with pytest.raises(StoreError, match="revision '9999_future', which this SyncHub does not know"):
        store.ensure_current()


def test_0002_rewrites_snapshot_numbers_in_their_canonical_text_and_keeps_cursors(blank_store: Store) -> None:
    blank_store.upgrade("0001_initial")
    snapshot = {
        "customer_id": "c1",
        "currency": "EUR",
        "lines": [
            {"product_id": "p1", "quantity": "2.00", "unit_price": {"amount": "10.50", "currency": "EUR"}}
        ],
        "total": {"amount": "21.0", "currency": "EUR"},
        "number": "SO-2.00",  # text that only looks like a number stays as it is
    }
    now = datetime.now(UTC)
    with blank_store.transaction() as conn:
        conn.execute(
            text(
                "INSERT INTO links (flow, canonical_id, entity, snapshot, hash, meta) "
                "VALUES ('orders', 'o1', 'sales_order', :s, 'old', '{}')"
            ),
            {"s": json.dumps(snapshot)},
        )
        conn.execute(
            text(
                "INSERT INTO cursors (flow, system, modified, record_id, updated_at) "
                "VALUES ('orders', 'erp', :t, '7', :t)"
            ),
            {"t": now.replace(tzinfo=None) if blank_store.schema is None else now},
        )

    blank_store.upgrade()

    [link] = blank_store.get_links("orders", ["o1"]).values()
    assert link.snapshot["lines"][0]["quantity"] == "2"
    assert link.snapshot["lines"][0]["unit_price"]["amount"] == "10.5"
    assert link.snapshot["total"]["amount"] == "21"
    assert link.snapshot["number"] == "SO-2.00"
    assert link.hash == record_hash(link.snapshot)
    cursor = blank_store.get_cursor("orders", "erp")
    assert cursor is not None and (cursor.record_id, cursor.read_at) == ("7", None)


def test_0004_keeps_every_link_id_and_the_one_id_per_system_rule(blank_store: Store) -> None:
    blank_store.upgrade("0003_native_hashes")
    with blank_store.transaction() as conn:
        conn.execute(
            text(
                "INSERT INTO links (flow, canonical_id, entity, hash, meta) "
                "VALUES ('customers', 'c1', 'customer', 'h', '{}')"
            )
        )
        for system, ext, digest in (("erp", "E1", "n1"), ("crm", "K1", None)):
            conn.execute(
                text(
                    "INSERT INTO link_ids (flow, entity, system, external_id, canonical_id, native_hash) "
                    "VALUES ('customers', 'customer', :s, :e, 'c1', :h)"
                ),
                {"s": system, "e": ext, "h": digest},
            )

    blank_store.upgrade("0004_link_ids_canonical_first")

    with blank_store.transaction() as conn:
        rows = conn.execute(text("SELECT system, external_id, native_hash FROM link_ids")).all()
    assert sorted(rows) == [("crm", "K1", None), ("erp", "E1", "n1")]
    with pytest.raises(IntegrityError), blank_store.transaction() as conn:  # still one erp id per link
        conn.execute(
            text(
                "INSERT INTO link_ids (flow, entity, system, external_id, canonical_id) "
                "VALUES ('customers', 'customer', 'erp', 'E2', 'c1')"
            )
        )
    blank_store.downgrade("0003_native_hashes")
    blank_store.upgrade("0004_link_ids_canonical_first")


def _links_0004(store: Store) -> None:
    """Links as revision 0004 keeps them: two flows, one canonical id in both, hashes and snapshots."""
    with store.transaction() as conn:
        for flow, cid, snapshot in (
            ("customers", "c2", None),
            ("customers", "c1", '{"name": "A"}'),
            ("orders", "c1", None),
        ):
            conn.execute(
                text(
                    "INSERT INTO links (flow, canonical_id, entity, snapshot, hash, meta) "
                    "VALUES (:f, :c, 'customer', :s, 'h', '{\"deleted\": false}')"
                ),
                {"f": flow, "c": cid, "s": snapshot},
            )
        for flow, cid, system, ext, digest in (
            ("customers", "c1", "erp", "E1", "n1"),
            ("customers", "c1", "crm", "K1", None),
            ("customers", "c2", "erp", "E2", "n2"),
            ("orders", "c1", "erp", "O1", None),
        ):
            conn.execute(
                text(
                    "INSERT INTO link_ids (flow, entity, system, external_id, canonical_id, native_hash) "
                    "VALUES (:f, 'customer', :s, :e, :c, :h)"
                ),
                {"f": flow, "c": cid, "s": system, "e": ext, "h": digest},
            )


def test_0005_keys_links_by_integer_and_keeps_every_link_id_hash_and_rule(blank_store: Store) -> None:
    blank_store.upgrade("0004_link_ids_canonical_first")
    _links_0004(blank_store)

    blank_store.upgrade()

    [link] = blank_store.find_links("customers", "erp", ["E1"]).values()
    assert (link.canonical_id, link.external_ids) == ("c1", {"erp": "E1", "crm": "K1"})
    assert link.snapshot == {"name": "A"} and link.meta == {"deleted": False}
    assert blank_store.native_hashes("customers", "erp", ["E1", "E2"]) == {
        "E1": ("c1", "n1"),
        "E2": ("c2", "n2"),
    }
    assert blank_store.get_links("orders", ["c1"])["c1"].external_ids == {"erp": "O1"}
    assert blank_store.external_ids_for("customer", "erp", ["c1", "c2"]) == {"c1": "E1", "c2": "E2"}
    assert blank_store.resolve_references("customer", "crm", ["K1"]) == {"K1": "c1"}
    with blank_store.transaction() as conn:  # copied back in canonical-id order: ids follow it
        order = conn.execute(text("SELECT flow, canonical_id FROM links ORDER BY id")).all()
    assert order == [("customers", "c1"), ("customers", "c2"), ("orders", "c1")]
    with pytest.raises(IntegrityError), blank_store.transaction() as conn:  # still one erp id per link
        conn.execute(
            text(
                "INSERT INTO link_ids (link_id, flow, entity, system, external_id, canonical_id) "
                "SELECT id, 'customers', 'customer', 'erp', 'E9', 'c1' FROM links "
                "WHERE flow = 'customers' AND canonical_id = 'c1'"
            )
        )
    blank_store.delete_links("customers", ["c1"])
    assert blank_store.find_links("customers", "crm", ["K1"]) == {}
    assert blank_store.get_links("orders", ["c1"])["c1"].external_ids == {"erp": "O1"}


def test_0005_downgrade_keeps_every_link_and_id(blank_store: Store) -> None:
    blank_store.upgrade("0004_link_ids_canonical_first")
    _links_0004(blank_store)
    blank_store.upgrade()
    blank_store.save_links([])  # a no-op save on the new schema

    blank_store.downgrade("0004_link_ids_canonical_first")

    with blank_store.transaction() as conn:
        links = conn.execute(text("SELECT flow, canonical_id FROM links")).all()
        ids = conn.execute(
            text("SELECT flow, system, external_id, canonical_id, native_hash FROM link_ids")
        ).all()
    assert sorted(links) == [("customers", "c1"), ("customers", "c2"), ("orders", "c1")]
    assert sorted(ids) == [
        ("customers", "crm", "K1", "c1", None),
        ("customers", "erp", "E1", "c1", "n1"),
        ("customers", "erp", "E2", "c2", "n2"),
        ("orders", "erp", "O1", "c1", None),
    ]
    blank_store.upgrade()
    assert blank_store.count_links("customers") == 2


def _bindings(store: Store) -> list[tuple[object, ...]]:
    with store.transaction() as conn:
        return sorted(
            conn.execute(
                text(
                    "SELECT links.flow, links.canonical_id, link_ids.flow, link_ids.system, "
                    "link_ids.external_id, link_ids.canonical_id, link_ids.native_hash, link_ids.entity "
                    "FROM link_ids JOIN links ON links.id = link_ids.link_id"
                )
            ).all()
        )


def _link_ids_keys(store: Store) -> tuple[list[str], set[str]]:
    """link_ids' primary key columns, in order, and the names of its plain indexes (PostgreSQL also
    lists the one behind the unique constraint)."""
    with store.transaction() as conn:
        inspector = inspect(conn)
        key = inspector.get_pk_constraint("link_ids")["constrained_columns"]
        return key, {i["name"] for i in inspector.get_indexes("link_ids") if i["name"].startswith("ix_")}


def test_0006_keys_link_ids_by_system_and_external_id_and_keeps_every_id(blank_store: Store) -> None:
    blank_store.upgrade("0004_link_ids_canonical_first")
    _links_0004(blank_store)
    blank_store.upgrade("0005_link_integer_keys")
    before = _bindings(blank_store)
    assert _link_ids_keys(blank_store) == (
        ["flow", "system", "external_id"],
        {"ix_link_ids_entity_system_external"},
    )

    blank_store.upgrade()

    assert _bindings(blank_store) == before and len(before) == 4
    assert _link_ids_keys(blank_store) == (["system", "external_id", "flow"], set())
    assert blank_store.native_hashes("customers", "erp", ["E1", "E2", "O1"]) == {
        "E1": ("c1", "n1"),
        "E2": ("c2", "n2"),
    }
    assert blank_store.resolve_references("customer", "erp", ["E1", "O1", "E9"]) == {"E1": "c1", "O1": "c1"}
    assert blank_store.find_links("customers", "crm", ["K1"])["K1"].external_ids == {"erp": "E1", "crm": "K1"}
    for system, ext, cid in (("erp", "E9", "c1"), ("crm", "K1", "c2")):  # one id per link; one link per id
        with pytest.raises(IntegrityError), blank_store.transaction() as conn:
            conn.execute(
                text(
                    "INSERT INTO link_ids (link_id, flow, entity, system, external_id, canonical_id) "
                    "SELECT id, 'customers', 'customer', :s, :e, :c FROM links "
                    "WHERE flow = 'customers' AND canonical_id = :k"
                ),
                {"s": system, "e": ext, "c": cid, "k": cid},
            )
    blank_store.delete_links("customers", ["c1"])  # the cascade still reaches the ids
    assert blank_store.find_links("customers", "crm", ["K1"]) == {}
    assert blank_store.resolve_references("customer", "erp", ["E1", "O1"]) == {"O1": "c1"}


def test_0006_downgrade_restores_the_flow_first_key_and_the_entity_index(blank_store: Store) -> None:
    blank_store.upgrade("0004_link_ids_canonical_first")
    _links_0004(blank_store)
    blank_store.upgrade()
    before = _bindings(blank_store)

    blank_store.downgrade("0005_link_integer_keys")

    assert _bindings(blank_store) == before
    assert _link_ids_keys(blank_store) == (
        ["flow", "system", "external_id"],
        {"ix_link_ids_entity_system_external"},
    )
    blank_store.upgrade()
    assert _bindings(blank_store) == before

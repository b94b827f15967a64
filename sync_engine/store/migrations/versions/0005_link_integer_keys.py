"""links get an increasing integer key; link ids point at it

Revision ID: 0005_link_integer_keys
Revises: 0004_link_ids_canonical_first
Create Date: 2026-12-01

Canonical ids are hashes, so every index keyed by one takes each new link on a random page: a batch of
inserts dirtied pages all over three indexes, and their cost grew with the table. Now links are keyed
by an integer that only grows; link ids reference it, so their unique (link, system) index appends
too. The canonical id keeps one unique index, (canonical id, flow), which also finds a canonical id
across flows; link ids keep a copy of it (unindexed) so lookups by external id need no join.

Both tables are rebuilt (copied aside, recreated, copied back in canonical-id order), the same way on
SQLite and PostgreSQL; every link, id and native hash is kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_link_integer_keys"
down_revision = "0004_link_ids_canonical_first"
branch_labels = None
depends_on = None

# frozen copies of the column types as of this revision
TIMESTAMP = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

LINK_COLUMNS = "flow, canonical_id, entity, snapshot, hash, synced_at, meta"
ID_COLUMNS = "flow, entity, system, external_id, canonical_id, native_hash"


def _link_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("flow", sa.String(100), nullable=False),
        sa.Column("canonical_id", sa.String(255), nullable=False),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("hash", sa.String(128), nullable=True),
        sa.Column("synced_at", TIMESTAMP, nullable=True),
        sa.Column("meta", sa.JSON(), nullable=False),
    ]


def _id_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("flow", sa.String(100), nullable=False),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("canonical_id", sa.String(255), nullable=False),
        sa.Column("native_hash", sa.String(32), nullable=True),
    ]


def _set_aside() -> None:
    """Copy both tables' rows to holding tables and drop the tables (their indexes go with them)."""
    op.execute(f"CREATE TABLE links_held AS SELECT {LINK_COLUMNS} FROM links")
    op.execute(f"CREATE TABLE link_ids_held AS SELECT {ID_COLUMNS} FROM link_ids")
    op.drop_table("link_ids")
    op.drop_table("links")


def _drop_held() -> None:
    op.drop_table("link_ids_held")
    op.drop_table("links_held")


def upgrade() -> None:
    _set_aside()
    op.create_table(
        "links",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        *_link_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_links"),
        sa.UniqueConstraint("canonical_id", "flow", name="uq_links_canonical_flow"),
    )
    op.create_table(
        "link_ids",
        sa.Column("link_id", BIG_ID, nullable=False),
        *_id_columns(),
        sa.PrimaryKeyConstraint("flow", "system", "external_id", name="pk_link_ids"),
        sa.UniqueConstraint("link_id", "system", name="uq_link_ids_link_system"),
        sa.ForeignKeyConstraint(["link_id"], ["links.id"], name="fk_link_ids_links", ondelete="CASCADE"),
    )
    op.create_index("ix_link_ids_entity_system_external", "link_ids", ["entity", "system", "external_id"])
    op.execute(
        f"INSERT INTO links ({LINK_COLUMNS}) "
        f"SELECT {LINK_COLUMNS} FROM links_held ORDER BY flow, canonical_id"
    )
    held = ", ".join(f"held.{name}" for name in ID_COLUMNS.split(", "))
    op.execute(
        f"INSERT INTO link_ids (link_id, {ID_COLUMNS}) SELECT links.id, {held} FROM link_ids_held held "
        "JOIN links ON links.flow = held.flow AND links.canonical_id = held.canonical_id"
    )
    _drop_held()


def downgrade() -> None:
    _set_aside()
    op.create_table(
        "links",
        *_link_columns(),
        sa.PrimaryKeyConstraint("flow", "canonical_id", name="pk_links"),
    )
    op.create_table(
        "link_ids",
        *_id_columns(),
        sa.PrimaryKeyConstraint("flow", "system", "external_id", name="pk_link_ids"),
        sa.UniqueConstraint("flow", "canonical_id", "system", name="uq_link_ids_flow_canonical_system"),
        sa.ForeignKeyConstraint(
            ["flow", "canonical_id"],
            ["links.flow", "links.canonical_id"],
            name="fk_link_ids_links",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_link_ids_entity_system_external", "link_ids", ["entity", "system", "external_id"])
    op.create_index("ix_link_ids_entity_system_canonical", "link_ids", ["entity", "system", "canonical_id"])
    op.execute(f"INSERT INTO links ({LINK_COLUMNS}) SELECT {LINK_COLUMNS} FROM links_held")
    op.execute(f"INSERT INTO link_ids ({ID_COLUMNS}) SELECT {ID_COLUMNS} FROM link_ids_held")
    _drop_held()

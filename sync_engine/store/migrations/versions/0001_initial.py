"""initial state tables: links, link ids, cursors, conflicts, runs, dead letters, audit log, flow locks

Revision ID: 0001_initial
Revises:
Create Date: 2026-01-31
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

# frozen copies of the column types as of this revision (later model changes need new revisions)
TIMESTAMP = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "links",
        sa.Column("flow", sa.String(100), nullable=False),
        sa.Column("canonical_id", sa.String(255), nullable=False),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("hash", sa.String(128), nullable=True),
        sa.Column("synced_at", TIMESTAMP, nullable=True),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("flow", "canonical_id", name="pk_links"),
    )
    op.create_table(
        "link_ids",
        sa.Column("flow", sa.String(100), nullable=False),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("canonical_id", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("flow", "system", "external_id", name="pk_link_ids"),
        sa.UniqueConstraint("flow", "system", "canonical_id", name="uq_link_ids_flow_system_canonical"),
        sa.ForeignKeyConstraint(
            ["flow", "canonical_id"],
            ["links.flow", "links.canonical_id"],
            name="fk_link_ids_links",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_link_ids_entity_system_external", "link_ids", ["entity", "system", "external_id"])
    op.create_index("ix_link_ids_entity_system_canonical", "link_ids", ["entity", "system", "canonical_id"])
    op.create_index("ix_link_ids_flow_canonical", "link_ids", ["flow", "canonical_id"])

    op.create_table(
        "cursors",
        sa.Column("flow", sa.String(100), nullable=False),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("modified", TIMESTAMP, nullable=False),
        sa.Column("record_id", sa.String(255), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("flow", "system", name="pk_cursors"),
    )

    op.create_table(
        "conflicts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("flow", sa.String(100), nullable=False),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("canonical_id", sa.String(255), nullable=False),
        sa.Column("field", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("base", sa.JSON(), nullable=True),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("systems", sa.JSON(), nullable=False),
        sa.Column("changed_at", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("resolution", sa.String(20), nullable=True),
        sa.Column("resolved_value", sa.JSON(), nullable=True),
        sa.Column("resolved_by", sa.String(255), nullable=True),
        sa.Column("resolved_at", TIMESTAMP, nullable=True),
        sa.Column("applied_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("run_id", BIG_ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_conflicts"),
    )
    op.create_index("ix_conflicts_flow_status", "conflicts", ["flow", "status"])
    op.create_index("ix_conflicts_flow_canonical", "conflicts", ["flow", "canonical_id"])

    op.create_table(
        "runs",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("flow", sa.String(100), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_flow_id", "runs", ["flow", "id"])

    op.create_table(
        "dead_letters",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("flow", sa.String(100), nullable=False),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=True),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("field", sa.String(255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("run_id", BIG_ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_dead_letters"),
    )
    op.create_index("ix_dead_letters_flow_status", "dead_letters", ["flow", "status"])
    op.create_index("ix_dead_letters_flow_system_external", "dead_letters", ["flow", "system", "external_id"])

    op.create_table(
        "audit_log",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("run_id", BIG_ID, nullable=True),
        sa.Column("flow", sa.String(100), nullable=False),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("entity", sa.String(50), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=True),
        sa.Column("op", sa.String(10), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_run_id", "audit_log", ["run_id"])
    op.create_index("ix_audit_log_flow", "audit_log", ["flow"])

    op.create_table(
        "flow_locks",
        sa.Column("flow", sa.String(100), nullable=False),
        sa.Column("holder", sa.String(255), nullable=False),
        sa.Column("acquired_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("flow", name="pk_flow_locks"),
    )


def downgrade() -> None:
    op.drop_table("flow_locks")
    op.drop_table("audit_log")
    op.drop_table("dead_letters")
    op.drop_table("runs")
    op.drop_table("conflicts")
    op.drop_table("cursors")
    op.drop_table("link_ids")  # its indexes go with it
    op.drop_table("links")

"""link ids: one index leads with the canonical id, not two

Revision ID: 0004_link_ids_canonical_first
Revises: 0003_native_hashes
Create Date: 2026-12-01

Canonical ids are random, so every index entry keyed by one lands on a random page and each committed
batch rewrites many pages of each such index. The unique (flow, system, canonical id) constraint
becomes (flow, canonical id, system): the same rule, and an index that also serves the lookups of a
link's ids and the cascading delete, so the separate (flow, canonical id) index goes.
"""

from __future__ import annotations

from alembic import op

revision = "0004_link_ids_canonical_first"
down_revision = "0003_native_hashes"
branch_labels = None
depends_on = None

OLD, NEW = "uq_link_ids_flow_system_canonical", "uq_link_ids_flow_canonical_system"


def upgrade() -> None:
    op.drop_index("ix_link_ids_flow_canonical", table_name="link_ids")
    with op.batch_alter_table("link_ids") as batch:
        batch.drop_constraint(OLD, type_="unique")
        batch.create_unique_constraint(NEW, ["flow", "canonical_id", "system"])


def downgrade() -> None:
    with op.batch_alter_table("link_ids") as batch:
        batch.drop_constraint(NEW, type_="unique")
        batch.create_unique_constraint(OLD, ["flow", "system", "canonical_id"])
    op.create_index("ix_link_ids_flow_canonical", "link_ids", ["flow", "canonical_id"])

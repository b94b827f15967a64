"""native hashes: link ids remember the hash of the native record last seen unchanged

Revision ID: 0003_native_hashes
Revises: 0002_steady_state
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_native_hashes"
down_revision = "0002_steady_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("link_ids") as batch:
        batch.add_column(sa.Column("native_hash", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("link_ids") as batch:
        batch.drop_column("native_hash")

"""steady state: cursors remember when they were read; when each system's ids were last reconciled;
snapshot numbers in their one canonical text

Revision ID: 0002_steady_state
Revises: 0001_initial
Create Date: 2026-11-30
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002_steady_state"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
# Canonical fields that hold numbers as of this revision (frozen here: the model may change later).
NUMBER_KEYS = frozenset({"amount", "quantity", "delivered_quantity", "discount_percent"})


def _number_text(text: str) -> str:
    """Frozen copy of model.decimal_text for this data migration: no trailing zeros, no exponent."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if not value.is_finite():
        return text
    sign, digits, exponent = value.as_tuple()
    if not any(digits):
        return "0"
    kept = list(digits)
    assert isinstance(exponent, int)
    while exponent < 0 and kept[-1] == 0:
        kept.pop()
        exponent += 1
    return format(Decimal((sign, tuple(kept), exponent)), "f")


def _normalised(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _normalised(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    if key in NUMBER_KEYS and isinstance(value, str):
        return _number_text(value)
    return value


def _hash(record: dict[str, Any]) -> str:
    """Frozen copy of identity.record_hash as of this revision."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("cursors") as batch:
        batch.add_column(sa.Column("read_at", TIMESTAMP, nullable=True))
    op.create_table(
        "reconciliations",
        sa.Column("flow", sa.String(100), nullable=False),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("reconciled_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("flow", "system", name="pk_reconciliations"),
    )

    # Snapshots written before numbers had one text ("2.00" next to "2.0") would make the first run
    # after the upgrade see changes that are none: rewrite them, and their hashes, once.
    links = sa.table(
        "links",
        sa.column("flow", sa.String),
        sa.column("canonical_id", sa.String),
        sa.column("snapshot", sa.JSON(none_as_null=True)),
        sa.column("hash", sa.String),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(links.c.flow, links.c.canonical_id, links.c.snapshot)).all()
    changed = []
    for flow, canonical_id, snapshot in rows:
        if not isinstance(snapshot, dict):
            continue
        fixed = _normalised(snapshot)
        if fixed != snapshot:
            changed.append({"f": flow, "c": canonical_id, "s": fixed, "h": _hash(fixed)})
    if changed:
        conn.execute(
            links.update()
            .where(links.c.flow == sa.bindparam("f"), links.c.canonical_id == sa.bindparam("c"))
            .values(snapshot=sa.bindparam("s"), hash=sa.bindparam("h")),
            changed,
        )


def downgrade() -> None:
    op.drop_table("reconciliations")
    with op.batch_alter_table("cursors") as batch:
        batch.drop_column("read_at")

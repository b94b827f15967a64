"""ORM declarative models of the state tables. The migrations create exactly these.

The store reads and writes through Core statements on ``Model.__table__`` (bulk paths, no identity
map); the classes exist so the schema is declared once, typed, and comparable with the migrations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sync_engine.store.types import Json, UtcDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids for the growing tables.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    # constraint names as the migrations spell them, so both sides agree and renames are explicit
    metadata = MetaData(naming_convention={"pk": "pk_%(table_name)s"})


class Link(Base):
    """One canonical record of a flow: its last synced snapshot and hash.

    Keyed by an increasing integer, so new links append to the table and to the index of their ids
    instead of landing on random pages: canonical ids follow their source's ids (stable across a
    crashed run's rerun), which a CRM gives in no order, and then each index keyed by one costs a
    random page write per insert. Only the unique (canonical id, flow) index pays that; it also serves
    lookups of canonical ids across flows.
    """

    __tablename__ = "links"
    __table_args__ = (UniqueConstraint("canonical_id", "flow", name="uq_links_canonical_flow"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    flow: Mapped[str] = mapped_column(String(100))
    canonical_id: Mapped[str] = mapped_column(String(255))
    entity: Mapped[str] = mapped_column(String(50))
    snapshot: Mapped[Any] = mapped_column(Json(), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(128), nullable=True)
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    meta: Mapped[Any] = mapped_column(Json(), nullable=False)


class LinkId(Base):
    """The external id of a link's record in one system."""

    __tablename__ = "link_ids"
    __table_args__ = (
        # The only index keyed by the external id, which a CRM often makes a random UUID: each new id
        # lands on a random page of it. It finds an id of one flow (the whole key) and resolves
        # references by entity across flows (system and id, then the entity of each flow's row).
        PrimaryKeyConstraint("system", "external_id", "flow", name="pk_link_ids"),
        # one id per system and link; the same index finds all ids of a batch of links and serves the
        # cascading delete. Keyed by the link's integer id, it grows at its end like the links table.
        UniqueConstraint("link_id", "system", name="uq_link_ids_link_system"),
        ForeignKeyConstraint(["link_id"], ["links.id"], name="fk_link_ids_links", ondelete="CASCADE"),
    )

    link_id: Mapped[int] = mapped_column(BigId)
    flow: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(50))
    system: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(255))
    canonical_id: Mapped[str] = mapped_column(String(255))
    """The link's canonical id, copied (never changes), so a lookup by external id needs no join.
    Not indexed: lookups by canonical id find the link first."""
    native_hash: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Hash (keyed by the mapping's version) of the native record last seen unchanged, or last synced:
    an equal hash on the next read means nothing to map, validate or merge. NULL: always look."""


class CursorRow(Base):
    """High-water mark of incremental reads per (flow, system)."""

    __tablename__ = "cursors"
    __table_args__ = (PrimaryKeyConstraint("flow", "system", name="pk_cursors"),)

    flow: Mapped[str] = mapped_column(String(100))
    system: Mapped[str] = mapped_column(String(100))
    modified: Mapped[datetime] = mapped_column(UtcDateTime())
    record_id: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """When the read that reached this mark began (the system's clock where the connector knows it)."""


class Reconciliation(Base):
    """When every id of a system was last compared with a flow's links to find deletions."""

    __tablename__ = "reconciliations"
    __table_args__ = (PrimaryKeyConstraint("flow", "system", name="pk_reconciliations"),)

    flow: Mapped[str] = mapped_column(String(100))
    system: Mapped[str] = mapped_column(String(100))
    reconciled_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Conflict(Base):
    """A field both sides changed differently, held for a person to decide."""

    __tablename__ = "conflicts"
    __table_args__ = (
        Index("ix_conflicts_flow_status", "flow", "status"),
        Index("ix_conflicts_flow_canonical", "flow", "canonical_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    flow: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(50))
    canonical_id: Mapped[str] = mapped_column(String(255))
    field: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))
    base: Mapped[Any] = mapped_column(Json(), nullable=True)
    values: Mapped[Any] = mapped_column(Json(), nullable=False)
    systems: Mapped[Any] = mapped_column(Json(), nullable=False)
    changed_at: Mapped[Any] = mapped_column(Json(), nullable=False)
    status: Mapped[str] = mapped_column(String(20))
    resolution: Mapped[str | None] = mapped_column(String(20), nullable=True)
    resolved_value: Mapped[Any] = mapped_column(Json(), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    run_id: Mapped[int | None] = mapped_column(BigId, nullable=True)


class Run(Base):
    """One execution of a flow."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_flow_id", "flow", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    flow: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    dry_run: Mapped[bool] = mapped_column(Boolean())
    counts: Mapped[Any] = mapped_column(Json(), nullable=False)
    error: Mapped[str | None] = mapped_column(Text(), nullable=True)


class DeadLetter(Base):
    """A record that could not be read, mapped, validated or written, kept with its error."""

    __tablename__ = "dead_letters"
    __table_args__ = (
        Index("ix_dead_letters_flow_status", "flow", "status"),
        Index("ix_dead_letters_flow_system_external", "flow", "system", "external_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    flow: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(50))
    system: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    stage: Mapped[str] = mapped_column(String(20))
    field: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reason: Mapped[str] = mapped_column(Text())
    payload: Mapped[Any] = mapped_column(Json(), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    run_id: Mapped[int | None] = mapped_column(BigId, nullable=True)


class AuditRow(Base):
    """One write SyncHub made to a system."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_run_id", "run_id"),
        Index("ix_audit_log_flow", "flow"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    flow: Mapped[str] = mapped_column(String(100))
    system: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(50))
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    op: Mapped[str] = mapped_column(String(10))
    before: Mapped[Any] = mapped_column(Json(), nullable=True)
    after: Mapped[Any] = mapped_column(Json(), nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class FlowLock(Base):
    """Who runs a flow right now (the lock itself on SQLite; for visibility on PostgreSQL)."""

    __tablename__ = "flow_locks"
    __table_args__ = (PrimaryKeyConstraint("flow", name="pk_flow_locks"),)

    flow: Mapped[str] = mapped_column(String(100))
    holder: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime())


LINKS = Link.__table__
LINK_IDS = LinkId.__table__
CURSORS = CursorRow.__table__
RECONCILIATIONS = Reconciliation.__table__
CONFLICTS = Conflict.__table__
RUNS = Run.__table__
DEAD_LETTERS = DeadLetter.__table__
AUDIT_LOG = AuditRow.__table__
FLOW_LOCKS = FlowLock.__table__

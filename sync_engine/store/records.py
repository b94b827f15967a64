"""Plain records the store hands out and takes in: no ORM objects leave the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class LinkRecord:
    """A canonical record bound to its external ids, with the snapshot last synced."""

    flow: str
    entity: str
    canonical_id: str
    external_ids: dict[str, str]  # system name -> external id
    snapshot: dict[str, Any] | None = None
    hash: str | None = None
    synced_at: datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    native_hashes: dict[str, str | None] = field(default_factory=dict)
    """System -> native hash to remember on save (None forgets it); systems not named keep theirs."""


@dataclass
class CursorState:
    flow: str
    system: str
    modified: datetime
    record_id: str
    updated_at: datetime
    read_at: datetime | None = None


@dataclass
class ConflictRecord:
    id: int
    flow: str
    entity: str
    canonical_id: str
    field: str
    kind: str  # 'field' | 'delete' | 'duplicate'
    base: Any
    values: dict[str, Any]  # role ('erp' | 'crm') -> value
    systems: dict[str, str]  # role -> system name
    changed_at: dict[str, str | None]  # role -> ISO time or None
    status: str  # 'open' | 'resolved' | 'applied' | 'superseded'
    resolution: str | None  # 'erp' | 'crm' | 'value'
    resolved_value: Any
    resolved_by: str | None
    resolved_at: datetime | None
    applied_at: datetime | None
    created_at: datetime
    updated_at: datetime
    run_id: int | None


@dataclass
class DeadLetterRecord:
    id: int
    flow: str
    entity: str
    system: str
    external_id: str | None
    stage: str  # 'read' | 'map' | 'validate' | 'identify' | 'write' | 'reference'
    field: str | None
    reason: str
    payload: Any
    status: str  # 'open' | 'retrying' | 'resolved'
    attempts: int
    created_at: datetime
    updated_at: datetime
    run_id: int | None


@dataclass
class RunRecord:
    id: int
    flow: str
    started_at: datetime
    finished_at: datetime | None
    status: str  # 'running' | 'success' | 'partial' | 'failed'
    dry_run: bool
    counts: dict[str, Any]
    error: str | None


@dataclass
class AuditEntry:
    run_id: int | None
    flow: str
    system: str
    entity: str
    external_id: str | None
    op: str  # 'create' | 'update' | 'delete'
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    at: datetime | None = None

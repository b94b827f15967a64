"""A decided record on its way through writing, settling and committing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.base import WriteRequest
from sync_engine.merge import MergeResult
from sync_engine.run.sides import Change
from sync_engine.store import LinkRecord


@dataclass
class Item:
    """One record's decided outcome, waiting in the write batch."""

    cid: str
    link: LinkRecord
    result: MergeResult
    sources: list[Change]
    requests: dict[str, WriteRequest] = field(default_factory=dict)
    resolution_ids: list[int] = field(default_factory=list)
    held: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each side's own value of the fields an open conflict holds (kept in the link)."""
    snapshot: dict[str, Any] | None = None
    """The snapshot after the writes, from what the targets saved (None: the merge's snapshot)."""
    as_saved: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per side, fields it saved differently from the snapshot and the other side cannot take."""
    settle: dict[str, WriteRequest] = field(default_factory=dict)
    """Follow-up writes: values one target filled in or changed, for the other side to hold too."""
    settled_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    read_back: set[str] = field(default_factory=set)
    """Sides whose saved record was read back after this run's write."""

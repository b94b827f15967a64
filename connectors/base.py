"""The connector protocol: what every product plugin offers the engine.

A connector speaks one product's API. It returns and accepts *native* records (plain dicts in the
product's own field names); it knows nothing of canonical models, links or conflicts. Connectors are
found through the ``synchub.connectors`` entry-point group, so a third-party package can add one::

    [project.entry-points."synchub.connectors"]
    mycrm = "mycrm_synchub:MyCrmConnector"
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "Capabilities",
    "ConnectionSettings",
    "Connector",
    "ConnectorError",
    "Cursor",
    "NativeRecord",
    "Page",
    "PermanentError",
    "TransientError",
    "WriteRequest",
    "WriteResult",
    "available_connectors",
    "load_connector",
]

ENTRY_POINT_GROUP = "synchub.connectors"


class ConnectorError(Exception):
    """Base of errors a connector raises for a whole call (not for one record of a batch)."""


class TransientError(ConnectorError):
    """Worth retrying: timeouts, HTTP 429 and 5xx, lost sessions. ``retry_after`` in seconds if known."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """Retrying will not help: bad credentials, validation errors, unknown entity."""


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and how to reach a system; parsed from an Airflow Connection or a connection URI.

    ``password`` is never part of ``repr`` so settings can be logged safely.
    """

    conn_type: str
    host: str | None = None
    port: int | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    schema: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_uri(cls, uri: str) -> ConnectionSettings:
        """Parse Airflow's connection URI format: ``type://login:password@host:port/schema?extra=...``."""
        parts = urlsplit(uri)
        if not parts.scheme:
            raise ValueError("connection URI needs a scheme, e.g. tryton://admin:secret@127.0.0.1:8000/db")
        extra: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
        if "__extra__" in extra:
            import json

            extra = json.loads(extra.pop("__extra__"))
        return cls(
            conn_type=parts.scheme.replace("-", "_"),
            host=unquote(parts.hostname) if parts.hostname else None,
            port=parts.port,
            login=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            schema=unquote(parts.path.lstrip("/")) or None,
            extra=extra,
        )


@dataclass(frozen=True)
class Capabilities:
    """What a connector can do; the engine plans around it."""

    entities: frozenset[str]
    change_tracking: Literal["cursor", "none"] = "cursor"
    """``cursor``: ``read_changes`` honours ``since``; ``none``: it always returns a full snapshot."""
    delete_detection: bool = False
    """``read_changes`` reports deletions (``NativeRecord.deleted``)."""
    batch_writes: bool = True
    """``write_batch`` sends several records per API call."""
    upsert_by_external_id: bool = False
    """A create with ``WriteRequest.ref`` is idempotent: the system stores the ref and upserts on it,
    and reads return it in ``NativeRecord.ref``."""
    max_batch_size: int = 200


@dataclass(frozen=True, order=True)
class Cursor:
    """High-water mark of incremental reads: records with ``(modified, id)`` after it are new."""

    modified: datetime
    id: str = ""


@dataclass
class NativeRecord:
    """One record as the system holds it."""

    id: str
    data: dict[str, Any]
    modified: datetime | None = None
    deleted: bool = False
    ref: str | None = None
    """The SyncHub id the system stores for this record (upsert-by-external-id connectors)."""


@dataclass
class Page:
    """A page of changes; ``cursor`` is the high-water mark reached once this page is processed."""

    records: list[NativeRecord]
    cursor: Cursor | None = None


@dataclass(frozen=True)
class WriteRequest:
    """One record to create, update or delete. ``ref`` correlates the result (the canonical id)."""

    op: Literal["create", "update", "delete"]
    ref: str
    data: dict[str, Any] = field(default_factory=dict)
    """Native fields; for an update only the fields that change."""
    id: str | None = None
    """The system's id of the record (required for update and delete)."""


@dataclass(frozen=True)
class WriteResult:
    """Outcome of one ``WriteRequest``: one failed record never fails the batch."""

    ref: str
    ok: bool
    id: str | None = None
    error: str | None = None
    field: str | None = None
    transient: bool = False
    """A failure worth retrying in a later run (timeouts, locks); otherwise it is dead-lettered."""
    modified: datetime | None = None
    record: NativeRecord | None = None
    """What the system saved, when its answer to the write carries it (filled defaults, numbers
    it assigned, values it trimmed). Without it the engine reads the record back by id."""


class Connector(abc.ABC):
    """Base class of every connector. Subclasses set ``name`` and ``capabilities``."""

    name: ClassVar[str]
    capabilities: Capabilities
    """A class attribute, or set per instance in ``__init__`` when options decide what it can do."""

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        self.settings = settings
        self.options: dict[str, Any] = dict(options or {})

    @abc.abstractmethod
    def read_changes(self, entity: str, since: Cursor | None, *, page_size: int = 500) -> Iterator[Page]:
        """Pages of records changed after ``since`` (all records when ``since`` is None).

        Cursor connectors read ``(modified, id) >= since`` ordered by ``(modified, id)``; the engine
        applies the overlap window and removes duplicates. Never load the whole dataset at once.
        """

    @abc.abstractmethod
    def read_by_ids(self, entity: str, ids: Sequence[str]) -> list[NativeRecord]:
        """The current state of these records; ids that no longer exist are left out."""

    @abc.abstractmethod
    def write_batch(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Apply the requests; one result per request, in the same order."""

    def list_ids(self, entity: str) -> Iterator[str]:
        """Every id of ``entity``: used to reconcile deletions on systems that leave no trace."""
        for page in self.read_changes(entity, None):
            for record in page.records:
                if not record.deleted:  # tombstones of delete-detecting connectors are not ids
                    yield record.id

    def server_time(self) -> datetime | None:
        """The system's time now, where the connector can tell; None: the engine uses its own clock.

        Overlap windows are anchored on when a read began, in the clock of the records' change marks.
        """
        return None

    def needs_id_reconciliation(self, entity: str) -> bool:
        """True when the last ``read_changes`` of ``entity`` may have missed deletions (e.g. a cursor
        older than the system keeps deleted records): the engine then compares every id itself."""
        return False

    def close(self) -> None:  # noqa: B027 - optional hook, most connectors hold nothing to release
        """Release sessions and sockets."""

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def available_connectors() -> dict[str, str]:
    """Connector name -> ``module:Class`` of every installed connector."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def load_connector(name: str) -> type[Connector]:
    """The connector class registered under ``name`` in the ``synchub.connectors`` group."""
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise PermanentError(f"entry point {name!r} ({ep.value}) is not a Connector subclass")
        return cls
    known = ", ".join(sorted(available_connectors())) or "none"
    raise PermanentError(
        f"no connector named {name!r} is installed (known: {known}); "
        "install its package or check the 'connector' key of the system in synchub.yaml"
    )

"""The connector SDK: what every product plugin offers the engine, and the base that writes most of it.

A connector speaks one product's API. It returns and accepts *native* records (plain dicts in the
product's own field names); it knows nothing of canonical models, links or conflicts.

A connector is written the same way every time (``docs/connectors/writing-a-connector.md``):

- one :class:`Entity` subclass per canonical entity it serves, declaring the native object, its id
  and change-tracking fields, what it can do (create, update, delete, upsert by ref), and the
  methods that read (:meth:`Entity.read_after` or :meth:`Entity.pages`, :meth:`Entity.fetch`) and
  write one record (:meth:`Entity.create`, :meth:`Entity.update`, :meth:`Entity.delete`);
- one :class:`Connector` subclass listing them in ``entity_types`` and holding the client.

The base supplies the rest: pages with their cursors, id lists for delete reconciliation, one
:class:`WriteResult` per request whatever fails, and client-library exceptions turned into
:class:`TransientError` / per-record failures (:meth:`Connector.classify`), so none escapes into a
run. Connectors are found through the ``synchub.connectors`` entry-point group, so a third-party
package can add one::

    [project.entry-points."synchub.connectors"]
    mycrm = "mycrm_synchub:MyCrmConnector"
"""

from __future__ import annotations

import abc
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
    "Entity",
    "NativeRecord",
    "Page",
    "PermanentError",
    "RecordError",
    "StopRun",
    "TransientError",
    "WriteRequest",
    "WriteResult",
    "available_connectors",
    "load_connector",
]

ENTRY_POINT_GROUP = "synchub.connectors"
_SECRET_KEY = re.compile(r"secret|passw|token|api_?key|private|credential|auth", re.IGNORECASE)


class ConnectorError(Exception):
    """Base of errors a connector raises for a whole call (not for one record of a batch)."""


class TransientError(ConnectorError):
    """Worth retrying: timeouts, HTTP 429 and 5xx, lost sessions. ``retry_after`` in seconds if known."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """Retrying will not help: bad credentials, validation errors, unknown entity."""


class StopRun(PermanentError):
    """Stop the whole run now, from any call (e.g. the system's daily API allowance is used up).

    Not a per-record failure: the engine ends the run as failed with this message, and the next
    scheduled run starts over. Raise it only when no further call of this run can succeed.
    """


class RecordError(ConnectorError):
    """The system refused one record (or it cannot take it): that record fails, the batch goes on.

    ``field`` names the native field at fault where known; ``transient`` marks a refusal worth
    another try in a later run (a lock, a record being edited). The message says what to fix.
    """

    def __init__(self, message: str, *, field: str | None = None, transient: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.transient = transient


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and how to reach a system; parsed from an Airflow Connection or a connection URI.

    ``password`` is never part of ``repr``, and ``extra`` values whose key names a secret (secret,
    password, token, key, ...) show as ``***``, so settings can be logged safely.
    """

    conn_type: str
    host: str | None = None
    port: int | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    schema: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        extra = {k: "***" if _SECRET_KEY.search(str(k)) else v for k, v in self.extra.items()}
        return (
            f"ConnectionSettings(conn_type={self.conn_type!r}, host={self.host!r}, port={self.port!r}, "
            f"login={self.login!r}, schema={self.schema!r}, extra={extra!r})"
        )

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
    """What a connector can do with an entity; the engine plans around it."""

    entities: frozenset[str] = frozenset()
    """The entities a connector serves (connector-wide capabilities only)."""
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
    can_create: bool = True
    can_update: bool = True
    can_delete: bool = True
    """False where the system forbids deleting the object (SAP master data): deletes are refused per
    record with a hint to ``deletes: archive``."""
    saves_as_sent: bool = False
    """The system stores native fields exactly as written: it fills in nothing, renders nothing its
    own way. Only then may the engine skip reading back what a write saved. Few real systems do."""
    concurrent_writes: bool = False
    """The connector may be called from several threads at once (``write_batch``, ``read_by_ids``):
    the engine then keeps up to the system's ``max_concurrency`` write batches in flight."""


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


class Entity(abc.ABC):
    """How one connector reads and writes one canonical entity: declare one subclass per entity.

    Class attributes say what the native object is and what it allows; the methods do one thing each
    against the connector's client (``self.connector``). Refuse a record with :class:`RecordError`;
    raise :class:`TransientError` when the system is unavailable; any other exception of the client
    library is classified by :meth:`Connector.classify`.
    """

    name: ClassVar[str]
    """The canonical entity: customer, product, quote, sales_order, product_cost or complaint."""
    native: ClassVar[str]
    """The native object: a model (``party.party``), a module (``Accounts``), an entity set, ..."""
    id_field: ClassVar[str] = "id"
    modified_field: ClassVar[str | None] = None
    """The change-tracking field records are read in order of; None: every read is a full snapshot
    and the engine finds changes by comparing hashes."""
    deletes_reported: ClassVar[bool] = False
    """Reads report deleted records as tombstones (``NativeRecord.deleted``); otherwise the engine
    compares ids (:meth:`list_ids`) to find deletions."""
    can_create: ClassVar[bool] = True
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    upsert_by_ref: ClassVar[bool] = False
    """A create carries ``WriteRequest.ref`` and the system upserts on it (reads return it in
    ``NativeRecord.ref``): a create retried after a crash finds the record instead of duplicating it."""
    batch_size: ClassVar[int] = 200
    """Requests per :meth:`write_many` call."""
    saves_as_sent: ClassVar[bool] = False
    """True only if the system stores exactly what it is sent (see :class:`Capabilities`)."""
    concurrent_writes: ClassVar[bool] = False
    """True once the connector's client is safe to call from several threads at once."""

    def __init__(self, connector: Connector) -> None:
        self.connector = connector

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            entities=frozenset({self.name}),
            change_tracking="cursor" if self.modified_field else "none",
            delete_detection=self.deletes_reported,
            batch_writes=type(self).write_many is not Entity.write_many,
            upsert_by_external_id=self.upsert_by_ref,
            max_batch_size=self.batch_size,
            can_create=self.can_create,
            can_update=self.can_update,
            can_delete=self.can_delete,
            saves_as_sent=self.saves_as_sent,
            concurrent_writes=self.concurrent_writes,
        )

    def id_order(self, record_id: str) -> Any:
        """How ids sort in this system's reads (numbers for integer ids): ties of one change mark are
        read in this order, and a cursor's id is compared by it."""
        return record_id

    def describe(self, record_id: str | None = None) -> str:
        """How a person names this record in messages: product, entity and id."""
        return (
            f"{self.connector.name} {self.name} {record_id}"
            if record_id
            else f"{self.connector.name} {self.name}"
        )

    # -- reading ---------------------------------------------------------------------------------
    def read_after(self, after: Cursor | None, limit: int) -> Sequence[NativeRecord]:
        """Up to ``limit`` records with ``(modified, id)`` after ``after``, in that order (keyset).

        Implement this (cursor entities) or :meth:`pages` (anything else). ``after`` None: from
        the start. Records sharing one ``modified`` are ordered by id, so a page may end inside them.
        """
        raise NotImplementedError(f"{type(self).__name__} implements neither read_after nor pages")

    def pages(self, since: Cursor | None, page_size: int) -> Iterator[Sequence[NativeRecord]]:
        """Pages of records changed after ``since`` (all records when None), never the whole set at once.

        The default pages through :meth:`read_after` by keyset. Snapshot entities (no
        ``modified_field``) override it with a full scan and ignore ``since``.
        """
        after = since
        while True:
            records = self.read_after(after, page_size)
            if records:
                yield records
            if len(records) < page_size:
                return
            last = records[-1]
            if last.modified is None:
                raise PermanentError(f"{self.describe(last.id)} came without its {self.modified_field}")
            after = Cursor(last.modified, last.id)

    @abc.abstractmethod
    def fetch(self, ids: Sequence[str]) -> list[NativeRecord]:
        """The current state of these records; ids that do not exist (any more) are left out."""

    def list_ids(self) -> Iterator[str]:
        """Every id there is now: how the engine finds deletions the system leaves no trace of."""
        for page in self.pages(None, 1000):
            yield from (record.id for record in page if not record.deleted)

    # -- writing one record ----------------------------------------------------------------------
    def create(self, data: dict[str, Any], ref: str) -> str | NativeRecord:
        """Create a record; its new id, or the record as saved (spares the engine a read back)."""
        raise RecordError(f"{self.connector.name} cannot create {self.native} records through SyncHub")

    def update(self, record_id: str, data: dict[str, Any]) -> str | NativeRecord | None:
        """Change the given native fields; None, the id, or the record as saved."""
        raise RecordError(f"{self.connector.name} cannot change {self.native} records through SyncHub")

    def delete(self, record_id: str) -> None:
        """Delete a record; one that is already gone counts as deleted (retries stay safe)."""
        raise RecordError(f"{self.connector.name} cannot delete {self.native} records through SyncHub")

    def write_many(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """One result per request, in order. Override for a system with a batch API."""
        return [self.write_one(request) for request in requests]

    def write_one(self, request: WriteRequest) -> WriteResult:
        """Apply one request; whatever goes wrong becomes this request's failed result (except
        :class:`StopRun`, which ends the run)."""
        try:
            return self._apply(request)
        except StopRun:
            raise
        except Exception as exc:  # one record's failure never fails the batch
            return self.failure(request, exc)

    def write_creating_together(
        self,
        requests: Sequence[WriteRequest],
        *,
        together: bool = True,
        prepare: Callable[[dict[str, Any]], Any],
        send: Callable[[list[Any]], Sequence[Any]],
        refused: Callable[[Exception], bool],
        resolve: Callable[[list[Any]], list[Any]] | None = None,
    ) -> list[WriteResult]:
        """:meth:`write_many` for a system that creates many records in one call (one transaction):
        plain creates go together (:meth:`create_together`, when ``together``), every other request
        through :meth:`write_one`; then one read attaches what the system saved."""
        results: dict[int, WriteResult] = {}
        creates = [(i, r) for i, r in enumerate(requests) if r.op == "create"]
        if together and len(creates) > 1:
            results.update(
                self.create_together(creates, prepare=prepare, send=send, refused=refused, resolve=resolve)
            )
        for index, request in enumerate(requests):
            if index not in results:
                results[index] = self.write_one(request)
        return self.attach_saved(requests, [results[i] for i in range(len(requests))])

    def create_together(
        self,
        creates: Sequence[tuple[int, WriteRequest]],
        *,
        prepare: Callable[[dict[str, Any]], Any],
        send: Callable[[list[Any]], Sequence[Any]],
        refused: Callable[[Exception], bool],
        resolve: Callable[[list[Any]], list[Any]] | None = None,
    ) -> dict[int, WriteResult]:
        """Plain creates of a batch (``(index, request)`` pairs) in one call of the system.

        ``prepare`` turns each request's data into what ``send`` takes (a bad record fails alone
        here); ``send`` creates them all in one transaction and answers their new ids; ``resolve``
        maps those to the entity's ids where they differ. When ``refused(exc)`` says the system
        refused the call (one bad record rolls back all), nothing is returned for the rest: the
        caller writes them one by one, so only the culprit fails. An outage fails them all.
        """
        values: list[tuple[int, WriteRequest, Any]] = []
        results: dict[int, WriteResult] = {}
        for index, request in creates:
            try:
                values.append((index, request, prepare(dict(request.data))))
            except StopRun:
                raise
            except Exception as exc:
                results[index] = self.failure(request, exc)
        if len(values) < 2:
            return results  # nothing to gain: the one left is written on its own
        try:
            new_ids = list(send([v for _, _, v in values]))
        except StopRun:
            raise
        except Exception as exc:
            if not refused(exc):  # an outage: none of them is worth another call in this run
                results.update((index, self.failure(request, exc)) for index, request, _ in values)
            return results
        try:
            record_ids = resolve(new_ids) if resolve else new_ids
        except StopRun:
            raise
        except Exception as exc:  # created, but the entity's ids are unknown: never link a wrong id
            for (index, request, _), new_id in zip(values, new_ids, strict=True):
                made = RecordError(f"created (as {new_id}), but its id could not be read: {exc}")
                results[index] = self.failure(request, made)
            return results
        for (index, request, _), record_id in zip(values, record_ids, strict=True):
            results[index] = WriteResult(ref=request.ref, ok=True, id=str(record_id))
        return results

    def attach_saved(self, requests: Sequence[WriteRequest], results: list[WriteResult]) -> list[WriteResult]:
        """Results with what the system saved (one :meth:`fetch` for the batch), so the engine needs
        no read back; when that read fails the writes stand and the engine reads them itself."""
        ids = [r.id for r, q in zip(results, requests, strict=True) if r.ok and r.id and q.op != "delete"]
        if not ids:
            return results
        try:
            saved = {record.id: record for record in self.fetch(ids)}
        except StopRun:
            raise
        except Exception:
            return results
        return [
            replace(r, record=saved[r.id], modified=saved[r.id].modified) if r.id in saved and r.ok else r
            for r in results
        ]

    def _apply(self, request: WriteRequest) -> WriteResult:
        if request.op == "create":
            if not self.can_create:
                raise RecordError(f"{self.connector.name} does not allow creating {self.native} records")
            return self._done(request, self.create(dict(request.data), request.ref), None)
        if not request.id:
            raise RecordError(f"{request.op} needs the {self.connector.name} id of the record")
        if request.op == "update":
            if not self.can_update:
                raise RecordError(f"{self.connector.name} does not allow changing {self.native} records")
            return self._done(request, self.update(str(request.id), dict(request.data)), request.id)
        if not self.can_delete:
            raise RecordError(
                f"{self.connector.name} does not allow deleting {self.native} records; set the flow's "
                "`deletes: archive` (deactivate instead) or `deletes: ignore`"
            )
        self.delete(str(request.id))
        return WriteResult(ref=request.ref, ok=True, id=request.id)

    @staticmethod
    def _done(request: WriteRequest, outcome: str | NativeRecord | None, known_id: str | None) -> WriteResult:
        if isinstance(outcome, NativeRecord):
            return WriteResult(request.ref, True, outcome.id, modified=outcome.modified, record=outcome)
        record_id = str(outcome) if outcome else known_id
        if not record_id:
            raise PermanentError(f"the {request.op} of {request.ref} gave no record id")
        return WriteResult(request.ref, True, record_id)

    def failure(self, request: WriteRequest, exc: Exception) -> WriteResult:
        """``exc`` as the failed result of ``request``, naming the record, the field and the fix."""
        if not isinstance(exc, ConnectorError):
            exc = self.connector.classify(exc)
        who = self.describe(request.id or request.ref)
        field = exc.field if isinstance(exc, RecordError) else None
        transient = isinstance(exc, TransientError) or (isinstance(exc, RecordError) and exc.transient)
        where = f" (field {field!r})" if field and f"{field!r}" not in str(exc) else ""
        return WriteResult(
            ref=request.ref,
            ok=False,
            id=request.id,
            error=f"{who}: {request.op} refused{where}: {exc}",
            field=field,
            transient=transient,
        )

    def record_url(self, record_id: str) -> str | None:
        """Where a person sees this record in the system's own UI, if the connector knows."""
        return None


class Connector(abc.ABC):
    """Base class of every connector.

    SDK connectors list their :class:`Entity` classes in ``entity_types`` and get reads, writes,
    paging and error plumbing from here. A connector may instead implement the four protocol methods
    itself and set ``capabilities`` (the in-process test double does).
    """

    name: ClassVar[str]
    entity_types: ClassVar[Sequence[type[Entity]]] = ()
    min_overlap_seconds: ClassVar[int] = 0
    """The smallest overlap window (a flow's ``overlap_seconds``) that keeps reads complete: a system
    whose change stamps are whole minutes needs more than 60 s. Checked when the config is loaded."""
    capabilities: Capabilities
    """Connector-wide capabilities (``entities`` lists what it serves); per entity see
    :meth:`capabilities_for`."""

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        self.settings = settings
        self.options: dict[str, Any] = dict(options or {})
        self._entities: dict[str, Entity] = {}
        if self.entity_types and not hasattr(self, "capabilities"):
            self.capabilities = Capabilities(entities=frozenset(e.name for e in self.entity_types))

    # -- the entities ----------------------------------------------------------------------------
    def entity(self, name: str) -> Entity:
        """The :class:`Entity` serving ``name`` (one instance per connector)."""
        found = self._entities.get(name)
        if found is None:
            by_name = {cls.name: cls for cls in self.entity_types}
            if name not in by_name:
                known = ", ".join(sorted(by_name)) or "none"
                raise PermanentError(
                    f"the {self.name} connector has no entity {name!r} (it has: {known}); "
                    "check the flow's entity"
                )
            found = self._entities[name] = by_name[name](self)
        return found

    def capabilities_for(self, entity: str) -> Capabilities:
        """What the connector can do with ``entity``."""
        if self.entity_types:
            return self.entity(entity).capabilities
        return self.capabilities

    @classmethod
    def validate_flow(cls, entity: str, *, writes: bool) -> list[str]:
        """What a flow of ``entity`` cannot do with this connector, said before any run (config
        loading: ``synchub validate``, the DAG parse): one sentence per problem, naming the fix.

        ``writes``: the flow writes to this system (it is the target of the flow's direction). The
        default reads the entity classes: an entity not served, or one only read but written.
        """
        served = {e.name: e for e in cls.entity_types}
        if not served:  # a connector of its own making says nothing here
            return []
        found = served.get(entity)
        if found is None:
            return [
                f"the {cls.name} connector has no entity {entity!r} (it has: {', '.join(sorted(served))})"
            ]
        if writes and not (found.can_create or found.can_update):
            return [
                f"{cls.name} only reads {entity} ({found.native}) and this flow would write it there; "
                "change the flow's direction"
            ]
        return []

    def classify(self, exc: Exception) -> ConnectorError:
        """A client library's exception as SyncHub's: transient when worth another try.

        Override to recognise the client's own exceptions (HTTP statuses, faults). The default
        treats network errors and timeouts as transient and everything else as permanent.
        """
        if isinstance(exc, ConnectorError):
            return exc
        if isinstance(exc, TimeoutError | ConnectionError):
            return TransientError(f"{self.name} unavailable: {type(exc).__name__}: {exc}")
        return PermanentError(f"{type(exc).__name__}: {exc}")

    def _guarded(self, call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except ConnectorError:
            raise
        except Exception as exc:
            raise self.classify(exc) from exc

    # -- the protocol the engine calls -----------------------------------------------------------
    def read_changes(self, entity: str, since: Cursor | None, *, page_size: int = 500) -> Iterator[Page]:
        """Pages of records changed after ``since`` (all records when ``since`` is None).

        Cursor entities come in ``(modified, id)`` order, strictly after ``since``, and each page
        carries the cursor reached, so a read resumed from it continues exactly after its last record.
        The engine applies the overlap window and removes duplicates. Never the whole set at once.
        """
        handler = self.entity(entity)
        tracked = handler.modified_field is not None
        pages = self._guarded(handler.pages, since, page_size)
        while True:
            records = self._guarded(next, pages, None)
            if records is None:
                return
            records = list(records)
            last = records[-1] if records else None
            cursor = Cursor(last.modified, last.id) if tracked and last and last.modified else None
            yield Page(records, cursor)

    def read_by_ids(self, entity: str, ids: Sequence[str]) -> list[NativeRecord]:
        """The current state of these records; ids that no longer exist are left out."""
        return list(self._guarded(self.entity(entity).fetch, list(ids))) if ids else []

    def write_batch(self, entity: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Apply the requests; one result per request, in the same order."""
        handler = self.entity(entity)
        results = self._guarded(handler.write_many, requests)  # an override's client errors too
        if len(results) != len(requests):
            raise PermanentError(
                f"{handler.describe()}: {len(results)} write results for {len(requests)} requests"
            )
        return results

    def list_ids(self, entity: str) -> Iterator[str]:
        """Every id of ``entity``: used to reconcile deletions on systems that leave no trace."""
        if not self.entity_types:  # a connector of its own making: every id from a full read
            for page in self.read_changes(entity, None):
                yield from (record.id for record in page.records if not record.deleted)
            return
        ids = self._guarded(self.entity(entity).list_ids)
        while True:
            found = self._guarded(next, ids, None)
            if found is None:
                return
            yield found

    def server_time(self) -> datetime | None:
        """The system's time now, where the connector can tell; None: the engine uses its own clock.

        Overlap windows are anchored on when a read began, in the clock of the records' change marks.
        """
        return None

    def needs_id_reconciliation(self, entity: str) -> bool:
        """True when the last ``read_changes`` of ``entity`` may have missed deletions (e.g. a cursor
        older than the system keeps deleted records): the engine then compares every id itself."""
        return False

    def record_url(self, entity: str, record_id: str) -> str | None:
        """Where a person sees this record in the system's own UI (the ops page links to it)."""
        if not self.entity_types or entity not in {cls.name for cls in self.entity_types}:
            return None
        return self.entity(entity).record_url(record_id)

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

"""What every BottleCRM entity shares: full scans as pages, reads by id, one API call per write."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from connectors.base import Cursor, Entity, NativeRecord, RecordError, WriteRequest, WriteResult
from connectors.bottlecrm.client import ApiRefusal, BottleCrmClient
from connectors.bottlecrm.paging import ListPage, scan

if TYPE_CHECKING:
    from connectors.bottlecrm.connector import BottleCrmConnector

__all__ = ["MAX_PAGE", "BottleCrmEntity", "pick", "plain_list", "ref_id"]

MAX_PAGE = 200
"""Larger pages only make BottleCRM's list queries slower."""


def pick(record: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """Only ``fields`` of a BottleCRM record (missing ones as None): the native shape SyncHub sees."""
    return {name: record.get(name) for name in fields}


def plain_list(body: Any) -> ListPage:
    """A DRF list body ``{count, results}``."""
    return list(body.get("results") or []), int(body.get("count") or 0)


def ref_id(value: Any) -> str | None:
    """A related record as BottleCRM sends it (an id, or ``{"id", "name"}``) -> its id."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


class BottleCrmEntity(Entity):
    """One SyncHub entity over BottleCRM endpoints: a snapshot entity (no change tracking).

    BottleCRM offers no modified-since filter, so every read is a full scan (:meth:`scan`, restart
    safe, see ``paging.py``) and the engine compares hashes. Subclasses implement :meth:`scan`,
    :meth:`fetch_one` and the writes; their 4xx answers (:class:`ApiRefusal`) fail that one record.
    """

    modified_field = None
    deletes_reported = False
    batch_size = 50  # one call per record: no batch endpoint
    # The client keeps a session per thread and entities keep no per-call state, so write batches may
    # run at once; BottleCRM is served by several workers (gunicorn), which then work in parallel.
    concurrent_writes = True

    connector: BottleCrmConnector

    @property
    def client(self) -> BottleCrmClient:
        return self.connector.client

    # -- reads -------------------------------------------------------------------------------------
    def pages(self, since: Cursor | None, page_size: int) -> Iterator[list[NativeRecord]]:
        for rows in self.scan(max(1, min(page_size, MAX_PAGE))):
            yield [_record(row) for row in rows]

    def fetch(self, ids: Sequence[str]) -> list[NativeRecord]:
        out = []
        for record_id in ids:
            try:
                row = self.fetch_one(record_id)
            except ApiRefusal as exc:
                if exc.status == 400:  # not an id BottleCRM can parse: it cannot exist there
                    continue
                raise
            if row is not None:
                out.append(_record(row))
        return out

    def scan(self, page_size: int) -> Iterator[list[dict[str, Any]]]:
        """Pages of every record, native form, each with ``"id"``."""
        raise NotImplementedError

    def fetch_one(self, record_id: str) -> dict[str, Any] | None:
        """One record in native form; None when it does not exist."""
        raise NotImplementedError

    def failure(self, request: WriteRequest, exc: Exception) -> WriteResult:
        if isinstance(exc, ApiRefusal):
            exc = RecordError(
                f"{exc.message}; fix the record on the other side (or its mapping), it is retried next run",
                field=exc.field,
            )
        return super().failure(request, exc)

    # -- helpers of the endpoints ------------------------------------------------------------------
    def _scan_list(
        self, path: str, params: Mapping[str, Any], page_size: int
    ) -> Iterator[list[dict[str, Any]]]:
        return scan(
            lambda paging: plain_list(self.client.get(path, {**params, **paging})),
            page_size=page_size,
            what=f"{self.name} list {path}",
        )

    def _get_or_none(self, path: str) -> Any:
        try:
            return self.client.get(path)
        except ApiRefusal as exc:
            if exc.status == 404:
                return None
            raise

    def _delete(self, path: str) -> None:
        try:
            self.client.call("DELETE", path)
        except ApiRefusal as exc:
            if exc.status != 404:  # already gone: a retried delete succeeds
                raise


def _record(row: dict[str, Any]) -> NativeRecord:
    data = dict(row)
    record_id = str(data.pop("id"))
    return NativeRecord(id=record_id, data=data)

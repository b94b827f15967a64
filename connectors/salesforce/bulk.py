"""Bulk API 2.0 ingest for large batches: per-record results, bounded waits, failures kept per record.

The wait for a job is bounded by ``bulk_timeout_seconds``; a job that times out is aborted and its
records are transient failures (the next run tries again). A job that ends ``Failed`` or ``Aborted``
(a bad header, a platform error) fails its records with the job's message; nothing escapes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simple_salesforce.exceptions import SalesforceOperationError

from connectors.base import ConnectorError, StopRun, WriteRequest, WriteResult
from connectors.salesforce.batches import Outcome

if TYPE_CHECKING:
    from connectors.salesforce.entity import SObjectEntity

__all__ = ["bulk_write"]


def _csv_cell(value: Any) -> str:
    """Bulk API 2.0 CSV: ``#N/A`` sets a field to null; booleans as true/false."""
    if value is None:
        return "#N/A"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def bulk_write(
    entity: SObjectEntity,
    items: list[tuple[int, WriteRequest]],
    rows: dict[int, dict[str, Any]],
    mode: str,
) -> dict[int, WriteResult]:
    """One ingest job; results are matched back by external id (upsert) or record id (update)."""
    if not items:
        return {}
    mine = {index: rows[index] for index, _ in items}
    columns = sorted({k for row in mine.values() for k in row})
    table = [{c: _csv_cell(row.get(c)) for c in columns} for row in mine.values()]
    key = entity.external_id if mode == "upsert" else "Id"
    obj = entity.native
    settings = entity.connector.sf_settings

    def run(sf: Any) -> dict[str, list[dict[str, str]]]:
        handler = getattr(sf.bulk2, obj)
        # simple-salesforce polls until its own timeout: bound it by the connection's setting.
        handler._client.DEFAULT_WAIT_TIMEOUT_SECONDS = settings.bulk_timeout_seconds
        if mode == "upsert":
            jobs = handler.upsert(
                records=table, external_id_field=entity.external_id, wait=settings.bulk_poll_seconds
            )
        else:
            jobs = handler.update(records=table, wait=settings.bulk_poll_seconds)
        merged: dict[str, list[dict[str, str]]] = {"successfulRecords": [], "failedRecords": []}
        for job in jobs:
            got = handler.get_all_ingest_records(job["job_id"])
            merged["successfulRecords"] += got["successfulRecords"]
            merged["failedRecords"] += got["failedRecords"]
        return merged

    def everyone(message: str, *, transient: bool) -> dict[int, WriteResult]:
        outcome = Outcome(False, None, "BULK_JOB", message, transient=transient)
        return {index: entity.result(request, outcome) for index, request in items}

    entity.client.guard(f"a bulk {mode} of {len(mine)} {obj}")
    try:
        answer = entity.client.call(f"bulk {mode} of {len(mine)} {obj}", lambda sf: _guarded(run, sf))
    except _JobEnded as exc:
        timed_out = "timeout" in str(exc).lower()
        return everyone(
            f"the Bulk API 2.0 job did not complete ({exc}); "
            + (
                "it was aborted after bulk_timeout_seconds, the next run tries again"
                if timed_out
                else "check the job in Setup > Bulk Data Load Jobs"
            ),
            transient=timed_out or "Aborted" in str(exc),
        )
    except StopRun:
        raise  # the daily limit: the run ends; upserts make the resend next run safe
    except ConnectorError as exc:
        return everyone(f"the Bulk API 2.0 job could not run: {exc}", transient=True)
    by_key = {str(mine[i][key]): (i, r) for i, r in items}
    out: dict[int, WriteResult] = {}
    for row in answer["successfulRecords"]:
        index, request = by_key[row[key]]
        out[index] = WriteResult(request.ref, True, row["sf__Id"] or request.id)
    for row in answer["failedRecords"]:
        index, request = by_key[row[key]]
        code, _, rest = row["sf__Error"].partition(":")
        message, _, fields = rest.rpartition(":")
        names = tuple(f for f in fields.replace(" --", "").split(",") if f)
        out[index] = entity.result(request, Outcome(False, None, code, message, names))
    for index, request in items:
        out.setdefault(
            index,
            entity.refused(
                request, "not processed by the bulk job; the next run tries again", None, transient=True
            ),
        )
    return out


class _JobEnded(Exception):
    """The job ended Failed or Aborted, or its wait timed out."""


def _guarded(run: Any, sf: Any) -> Any:
    try:
        return run(sf)
    except SalesforceOperationError as exc:  # job Failed/Aborted, wait timed out, upload refused
        raise _JobEnded(str(exc)[:300]) from None

"""sObject Collections requests, 200 records each, whose failures stay with their own records.

A request the org refuses as a whole (HTTP 400: malformed body, more than 200 records) fails only
its own records; records written by earlier requests stay written and are reported so. A lost
connection or a 5xx marks that request's records transient. Nothing here raises for one request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.base import PermanentError, StopRun, TransientError
from connectors.salesforce.client import SalesforceClient

__all__ = ["COLLECTION_SIZE", "Outcome", "delete_ids", "send_records"]

COLLECTION_SIZE = 200
_TRANSIENT_CODES = {"UNABLE_TO_LOCK_ROW", "REQUEST_RUNNING_TOO_LONG", "SERVER_UNAVAILABLE"}


@dataclass(frozen=True)
class Outcome:
    """One record's answer: its id when written, else the org's code, message and fields."""

    ok: bool
    id: str | None = None
    code: str | None = None
    message: str = ""
    fields: tuple[str, ...] = ()
    transient: bool = False

    @classmethod
    def of(cls, result: dict[str, Any]) -> Outcome:
        if result.get("success"):
            return cls(True, result.get("id"))
        first = (result.get("errors") or [{}])[0]
        code = str(first.get("statusCode") or first.get("errorCode") or "UNKNOWN")
        return cls(
            False,
            result.get("id"),
            code,
            str(first.get("message", "")),
            tuple(first.get("fields") or ()),
            code in _TRANSIENT_CODES,
        )

    def describe(self) -> str:
        fields = f" (field {', '.join(self.fields)})" if self.fields else ""
        return f"{self.code}: {self.message}{fields}"


def _whole_request(call: Callable[[], Any], count: int, what: str) -> list[Outcome] | Any:
    """The answer, or one failed outcome per record when the request failed as a whole."""
    try:
        return call()
    except StopRun:
        raise  # the daily limit: no further request of this run can succeed
    except TransientError as exc:
        return [Outcome(False, None, "TRANSIENT", f"{what}: {exc}", transient=True)] * count
    except PermanentError as exc:
        return [
            Outcome(False, None, "REQUEST_REFUSED", f"{what}: the request was refused as a whole: {exc}")
        ] * count


def send_records(
    client: SalesforceClient,
    what: str,
    path: str,
    method: str,
    sobject: str,
    rows: list[dict[str, Any]],
) -> list[Outcome]:
    """POST/PATCH ``rows`` to a collections ``path`` (``allOrNone=false``): one outcome per row, in order."""
    out: list[Outcome] = []
    for start in range(0, len(rows), COLLECTION_SIZE):
        chunk = rows[start : start + COLLECTION_SIZE]
        body = {"allOrNone": False, "records": [{"attributes": {"type": sobject}, **row} for row in chunk]}
        answer = _whole_request(
            lambda body=body, n=len(chunk): client.rest(f"{what} ({n} {sobject})", path, method, body),
            len(chunk),
            what,
        )
        if answer and isinstance(answer[0], Outcome):
            out.extend(answer)
        elif not isinstance(answer, list) or len(answer) != len(chunk):
            out.extend(
                [Outcome(False, None, "BAD_ANSWER", f"{what}: {len(chunk)} records, answer {answer!r:.200}")]
                * len(chunk)
            )
        else:
            out.extend(Outcome.of(r) for r in answer)
    return out


def delete_ids(client: SalesforceClient, what: str, ids: list[str]) -> list[Outcome]:
    """DELETE by id; a record that is already gone counts as deleted (retried runs are safe)."""
    out: list[Outcome] = []
    for start in range(0, len(ids), COLLECTION_SIZE):
        chunk = ids[start : start + COLLECTION_SIZE]
        answer = _whole_request(
            lambda chunk=chunk: client.rest(
                f"{what} ({len(chunk)})",
                "composite/sobjects",
                "DELETE",
                params={"ids": ",".join(chunk), "allOrNone": "false"},
            ),
            len(chunk),
            what,
        )
        if answer and isinstance(answer[0], Outcome):
            out.extend(answer)
            continue
        for record_id, result in zip(chunk, answer or [], strict=False):
            outcome = Outcome.of(result)
            out.append(Outcome(True, record_id) if outcome.code == "ENTITY_IS_DELETED" else outcome)
    return out

"""Writing: a batch's requests per side, in the connector's batch size, one result per request.

A transient failure of a whole call (after the retry policy's attempts) or a refused call marks
every request of that call failed; a connector answering with the wrong number of results is a bug
worth stopping the run for.
"""

from __future__ import annotations

from collections.abc import Callable

from connectors.base import PermanentError, StopRun, TransientError, WriteRequest, WriteResult
from sync_engine.retrying import RetryPolicy
from sync_engine.run.items import Item
from sync_engine.run.sides import Side

__all__ = ["write_items", "write_side"]

Results = dict[tuple[str, str], WriteResult]
"""(role, request ref) -> result."""


def write_items(
    sides: dict[str, Side], items: list[Item], requests_of: Callable[[Item], dict], retry: RetryPolicy
) -> Results:
    """Send the requests ``requests_of(item)`` names for each side; their results by (role, ref)."""
    results: Results = {}
    for role in ("erp", "crm"):
        requests = [requests_of(item)[role] for item in items if role in requests_of(item)]
        if requests:
            for result in write_side(sides[role], requests, retry):
                results[(role, result.ref)] = result
    return results


def write_side(side: Side, requests: list[WriteRequest], retry: RetryPolicy) -> list[WriteResult]:
    out: list[WriteResult] = []
    size = max(1, side.capabilities.max_batch_size)
    for start in range(0, len(requests), size):
        chunk = requests[start : start + size]
        try:
            got = retry.call(lambda chunk=chunk: side.connector.write_batch(side.entity, chunk))
        except StopRun:
            raise  # the connector says no further call can succeed: the run ends here
        except TransientError as exc:
            got = [
                WriteResult(r.ref, False, r.id, f"{side.system} unavailable: {exc}", transient=True)
                for r in chunk
            ]
        except PermanentError as exc:
            got = [WriteResult(r.ref, False, r.id, f"{side.system} refused the batch: {exc}") for r in chunk]
        if len(got) != len(chunk):
            raise PermanentError(
                f"connector {side.connector.name!r} returned {len(got)} results for {len(chunk)} writes"
            )
        out.extend(got)
    return out

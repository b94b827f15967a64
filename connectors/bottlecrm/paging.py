"""Full scans of BottleCRM lists with ``limit``/``offset`` computed here.

The ``offset`` BottleCRM puts in its bodies is not the next offset, and its lists are ordered by
things that new records slot in between (random UUIDs, names, creation time). Inserts during a scan
only push records to later offsets, so every record that existed when the scan began is still seen,
some twice: duplicates are dropped here. Deletions pull records to earlier offsets, where a scan
can miss them; a drop of the total count between pages shows one happened, and the scan restarts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from connectors.base import TransientError

__all__ = ["ListPage", "scan"]

ListPage = tuple[list[dict[str, Any]], int]
"""The records of one page and the list's total count at that moment."""

MAX_RESTARTS = 3


def scan(
    fetch: Callable[[Mapping[str, Any]], ListPage],
    *,
    page_size: int,
    what: str,
) -> Iterator[list[dict[str, Any]]]:
    """Pages of distinct records; ``fetch(params)`` reads one page with ``limit`` and ``offset`` set."""
    seen: set[str] = set()
    for _attempt in range(MAX_RESTARTS + 1):
        restarted = False
        offset = 0
        highest = -1
        while True:
            rows, total = fetch({"limit": page_size, "offset": offset})
            if total < highest:
                restarted = True  # something was deleted behind us: records may have slid past
                break
            highest = total
            fresh = [row for row in rows if str(row["id"]) not in seen]
            seen.update(str(row["id"]) for row in fresh)
            if fresh:
                yield fresh
            if len(rows) < page_size:
                break
            offset += len(rows)
        if not restarted:
            return
    raise TransientError(
        f"BottleCRM {what}: records were deleted during {MAX_RESTARTS + 1} full scans in a row; "
        "try again later"
    )

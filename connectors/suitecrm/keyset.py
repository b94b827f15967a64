"""Keyset reads over ``date_modified`` as the API shows it: ``(window, id)`` order, strictly after a cursor.

The SDK wants records in ``(modified, id)`` order and a cursor that resumes exactly after the last one,
also inside one timestamp. SuiteCRM shows ``date_modified`` to the minute (stock settings) or the
second, sorts by one field and pages by offset. Every record shown in one window (minute or second)
carries the same ``modified``, so ties are broken by id:

* the rest of the cursor's window is read on its own (``gte`` its start, ``lt`` its end,
  ``id > cursor id``), in id order, paged by id - no offsets, so ties and concurrent edits cannot
  make it skip a record;
* later windows come from a page sorted by ``date_modified`` starting at the next window: each window
  on that page before its last one is complete (rows of earlier windows sort first), so its records are
  sorted by id here; the page's last window may go on past the page, so it is read by id like the first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from itertools import groupby, islice

from connectors.base import Cursor
from connectors.suitecrm.changes import window_of
from connectors.suitecrm.client import Filter, Record, SuiteCrmClient
from connectors.suitecrm.values import truncate

__all__ = ["read_after"]


def read_after(
    client: SuiteCrmClient,
    module: str,
    after: Cursor | None,
    limit: int,
    *,
    fields: Sequence[str],
    precision: timedelta,
    filters: Sequence[Filter] = (),
) -> list[Record]:
    """Up to ``limit`` records of ``module`` after ``after`` in (shown ``date_modified``, id) order."""
    wanted = list(dict.fromkeys(["date_modified", *fields]))
    return list(islice(_after(client, module, after, wanted, precision, list(filters), limit), limit))


def _after(
    client: SuiteCrmClient,
    module: str,
    after: Cursor | None,
    fields: list[str],
    precision: timedelta,
    filters: list[Filter],
    limit: int,
) -> Iterator[Record]:
    bound: datetime | None = None
    if after is not None:
        start = truncate(after.modified, precision)
        yield from _window(client, module, start, after.id or None, fields, precision, filters, limit)
        bound = start + precision
    size = max(limit, 2)
    while True:
        since = [Filter("date_modified", "gte", bound)] if bound is not None else []
        page = client.page(
            module, fields=fields, filters=[*filters, *since], sort="date_modified", page_size=size
        )
        records = page.records
        if not records:
            return
        windows = [(w, list(rs)) for w, rs in groupby(records, key=lambda r: window_of(r, precision))]
        full = len(records) == size
        complete = windows[:-1] if full else windows
        for _, group in complete:
            yield from sorted(group, key=lambda r: r.id)
        if not full:
            return
        last = windows[-1][0]
        yield from _window(client, module, last, None, fields, precision, filters, limit)
        bound = last + precision


def _window(
    client: SuiteCrmClient,
    module: str,
    start: datetime,
    after_id: str | None,
    fields: list[str],
    precision: timedelta,
    filters: list[Filter],
    limit: int,
) -> Iterator[Record]:
    inside = [Filter("date_modified", "gte", start), Filter("date_modified", "lt", start + precision)]
    for record in client.scan(
        module, fields=fields, filters=[*filters, *inside], after=after_id, page_size=max(limit, 2)
    ):
        if window_of(record, precision) == start:  # a record edited meanwhile belongs to a later window
            yield record

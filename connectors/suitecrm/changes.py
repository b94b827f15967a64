"""Reading what changed since a moment, exactly, from an API that makes it hard.

SuiteCRM stores ``date_modified`` to the second but shows it to the minute with stock settings
(the API user's time format ``H:i``), sorts by one field with no tie-breaker, and pages by offset.
Offset paging over rows with equal sort keys may repeat or skip rows, and any number of records
can share one minute. So:

* the moment is cut down to the shown precision and read with ``gte`` (a record changed later in
  the same minute looks no newer than the moment, so the whole minute is read again);
* pages are sorted by ``date_modified``: on a page, every record of a window (minute or second)
  before the page's last window is complete, because rows of an earlier window sort before it;
* the next page starts at the last window (``gte``), and records already given are skipped;
* a page that holds a single window entirely means the window may hold more than a page: it is
  read on its own, ``gte`` its start and ``lt`` its end, in id order paged by id (``id > last``),
  which no tie and no concurrent change can disturb.

Records come out in the order of their shown ``date_modified`` and each (id, shown date) once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from connectors.suitecrm.client import Filter, Record, SuiteCrmClient
from connectors.suitecrm.values import MINUTE, truncate

__all__ = ["changed_since", "window_of"]


def window_of(record: Record, precision: timedelta) -> datetime:
    modified = record.modified
    if modified is None:
        raise ValueError(f"{record.module} {record.id} came without date_modified; ask for that field")
    return truncate(modified, precision)


def changed_since(
    client: SuiteCrmClient,
    module: str,
    since: datetime | None,
    *,
    fields: Sequence[str] = ("id",),
    precision: timedelta = MINUTE,
    page_size: int = 200,
) -> Iterator[Record]:
    """Records of ``module`` modified at or after ``since`` cut to ``precision`` (all when None).

    ``precision`` is what the API shows (``client.datetime_precision()``); MINUTE is always safe.
    """
    if page_size < 2:
        raise ValueError("page_size must be at least 2")
    wanted = list(dict.fromkeys([*fields, "date_modified"]))
    bound = truncate(since, precision) if since is not None else None
    given: set[str] = set()
    """Ids already handed out whose window is ``bound``: the next page starts there again."""
    while True:
        filters = [Filter("date_modified", "gte", bound)] if bound is not None else []
        page = client.page(module, fields=wanted, filters=filters, sort="date_modified", page_size=page_size)
        records = page.records
        if not records:
            return
        first, last = window_of(records[0], precision), window_of(records[-1], precision)
        if len(records) == page_size and first == last:
            # One window fills the page: it may hold any number more. Read it alone, by id.
            window = [Filter("date_modified", "gte", first), Filter("date_modified", "lt", first + precision)]
            for record in client.scan(module, fields=wanted, filters=window, page_size=page_size):
                if record.id not in given or window_of(record, precision) != bound:
                    yield record
            bound, given = first + precision, set()
            continue
        for record in records:
            window = window_of(record, precision)
            if window == bound and record.id in given:
                continue
            yield record
            if window != bound:
                bound, given = window, set()
            given.add(record.id)
        if len(records) < page_size:
            return
        bound = last

"""Client-side paging: ``$top`` pages in a stable ``$orderby`` (change stamp, then key), each page
asking for what comes after the last record of the one before.

SAP Gateway services do not promise server-side paging: a request without ``$top`` may come back
as one answer holding the whole set. So every request carries ``$top``. Pages continue by *keyset*
(a ``$filter`` for "after the last record") rather than ``$skip``: with ``$skip``, a record changed
during the scan moves to the end and shifts every later record down by one, and the one that
slides into the gap is never read. A server that pages on its own (``__next``) is followed within a
page until ``$top`` records are in.

A *lossy* first key (``Edm.DateTimeOffset``: SAP stores 100 ns, its JSON shows milliseconds) cannot
say "after" exactly: the next page asks for ``stamp ge last`` and drops the records of that last
millisecond it has already returned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.sap_s4hana.values import literal

__all__ = ["Batch", "Order", "and_", "pages"]


@dataclass(frozen=True)
class Batch:
    items: list[Any]
    more: bool
    """The server said there is more (a ``__next`` link)."""


@dataclass(frozen=True)
class Order:
    """The ``$orderby`` of a scan: (property, EDM type) pairs, change stamp first, key last."""

    fields: tuple[tuple[str, str], ...]
    lossy: bool = False

    @property
    def orderby(self) -> str:
        return ",".join(name for name, _ in self.fields)


Fetch = Callable[[str | None, int], Batch]
"""Run the scan's query with this ``$filter`` and ``$top``; up to ``$top`` records, following the
server's ``__next`` links while fewer came."""


def and_(*parts: str | None) -> str | None:
    present = [p for p in parts if p]
    if not present:
        return None
    return " and ".join(f"({p})" if " or " in p else p for p in present)


def _eq(name: str, kind: str, value: Any) -> str:
    return f"{name} eq {literal(kind, value)}"


def _gt(name: str, kind: str, value: Any) -> str:
    # nulls sort first, so everything after a null is "not null"
    return f"{name} ne null" if value is None else f"{name} gt {literal(kind, value)}"


def after(fields: Sequence[tuple[str, str]], values: Sequence[Any]) -> str:
    """``(a gt x) or (a eq x and b gt y) or ...``: strictly after ``values`` in ``fields`` order."""
    clauses = []
    for i, (name, kind) in enumerate(fields):
        terms = [_eq(n, k, v) for (n, k), v in zip(fields[:i], values[:i], strict=True)]
        terms.append(_gt(name, kind, values[i]))
        clauses.append(" and ".join(terms))
    return " or ".join(f"({c})" for c in clauses)


def pages(fetch: Fetch, condition: str | None, order: Order, page_size: int) -> Iterator[list[Any]]:
    """Every record matching ``condition``, in ``order``, ``page_size`` at a time."""
    names = [name for name, _ in order.fields]
    if order.lossy:
        yield from _bucketed(fetch, condition, order, page_size)
        return
    last: list[Any] | None = None
    while True:
        batch = fetch(and_(condition, after(order.fields, last) if last is not None else None), page_size)
        if batch.items:
            yield batch.items
        if not batch.items or (len(batch.items) < page_size and not batch.more):
            return
        last = [getattr(batch.items[-1], n) for n in names]


def _bucketed(fetch: Fetch, condition: str | None, order: Order, page_size: int) -> Iterator[list[Any]]:
    (stamp, kind), keys = order.fields[0], [name for name, _ in order.fields[1:]]
    bucket: Any = None
    started = False
    seen: set[tuple[Any, ...]] = set()
    while True:
        since = f"{stamp} ge {literal(kind, bucket)}" if started and bucket is not None else None
        top = page_size + len(seen)
        batch = fetch(and_(condition, since), top)
        fresh = [item for item in batch.items if tuple(getattr(item, k) for k in keys) not in seen]
        if fresh:
            yield fresh
        if len(batch.items) < top and not batch.more:
            return
        last = getattr(batch.items[-1], stamp)
        if not started or last != bucket:
            bucket, started, seen = last, True, set()
        seen |= {tuple(getattr(i, k) for k in keys) for i in batch.items if getattr(i, stamp) == bucket}

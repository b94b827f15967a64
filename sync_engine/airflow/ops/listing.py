"""Pages of conflicts, dead letters and runs for the ops page: filtered, sorted, counted.

Read-only queries on the state store's tables (the store's own list methods serve the engine and
the CLI: oldest first, no total). Sorting is by whitelisted columns only, and every filter value is
a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, Table, func, select

from sync_engine.store import ConflictRecord, DeadLetterRecord, RunRecord, Store
from sync_engine.store.base import utcnow
from sync_engine.store.tables import CONFLICTS, DEAD_LETTERS, RUNS

__all__ = [
    "CONFLICT_SORTS",
    "DEAD_LETTER_SORTS",
    "MAX_PAGE_SIZE",
    "ConflictQuery",
    "DeadLetterQuery",
    "ListingError",
    "Page",
    "RunQuery",
    "conflicts_page",
    "dead_letters_page",
    "runs_page",
]

T = TypeVar("T")
MAX_PAGE_SIZE = 200
CONFLICT_SORTS = {
    "opened": CONFLICTS.c.created_at,
    "updated": CONFLICTS.c.updated_at,
    "flow": CONFLICTS.c.flow,
    "entity": CONFLICTS.c.entity,
    "field": CONFLICTS.c.field,
    "id": CONFLICTS.c.id,
}
DEAD_LETTER_SORTS = {
    "created": DEAD_LETTERS.c.created_at,
    "updated": DEAD_LETTERS.c.updated_at,
    "flow": DEAD_LETTERS.c.flow,
    "stage": DEAD_LETTERS.c.stage,
    "attempts": DEAD_LETTERS.c.attempts,
    "id": DEAD_LETTERS.c.id,
}


class ListingError(ValueError):
    """A filter, sort or page a person asked for that does not exist; the message says what does."""


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    page: int
    page_size: int


@dataclass(frozen=True)
class ConflictQuery:
    status: str | None = "open"
    flow: str | None = None
    entity: str | None = None
    field: str | None = None
    older_than: timedelta | None = None
    sort: str = "opened"
    """A key of :data:`CONFLICT_SORTS`, ``-`` in front for descending."""
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class DeadLetterQuery:
    status: str | None = "open"
    flow: str | None = None
    stage: str | None = None
    sort: str = "created"
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class RunQuery:
    flow: str | None = None
    status: str | None = None
    include_dry_runs: bool = True
    page: int = 1
    page_size: int = 50


def _order(sort: str, columns: dict[str, Any], tiebreak: Any) -> list[Any]:
    name = sort.removeprefix("-")
    if name not in columns:
        raise ListingError(f"sort {sort!r} is not one of {', '.join(sorted(columns))} (prefix - to reverse)")
    column = columns[name]
    return [column.desc(), tiebreak.desc()] if sort.startswith("-") else [column.asc(), tiebreak.asc()]


def _bounds(page: int, page_size: int) -> tuple[int, int]:
    if page < 1:
        raise ListingError(f"page {page} does not exist; pages start at 1")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ListingError(f"page size {page_size} is not between 1 and {MAX_PAGE_SIZE}")
    return page_size, (page - 1) * page_size


def _page(
    store: Store,
    table: Table,
    where: list[ColumnElement[bool]],
    order: list[Any],
    page: int,
    page_size: int,
    row: Any,
) -> Page[Any]:
    limit, offset = _bounds(page, page_size)
    query: Select[Any] = select(table).where(*where).order_by(*order).limit(limit).offset(offset)
    count = select(func.count()).select_from(table).where(*where)
    with store.transaction() as conn:
        total = int(conn.execute(count).scalar_one())
        rows = [row(r) for r in conn.execute(query)]
    return Page(rows, total, page, page_size)


def conflicts_page(store: Store, q: ConflictQuery) -> Page[ConflictRecord]:
    where: list[ColumnElement[bool]] = []
    if q.status is not None:
        where.append(CONFLICTS.c.status == q.status)
    if q.flow:
        where.append(CONFLICTS.c.flow == q.flow)
    if q.entity:
        where.append(CONFLICTS.c.entity == q.entity)
    if q.field:
        where.append(CONFLICTS.c.field == q.field)
    if q.older_than is not None:
        where.append(CONFLICTS.c.created_at <= utcnow() - q.older_than)
    order = _order(q.sort, CONFLICT_SORTS, CONFLICTS.c.id)
    return _page(store, CONFLICTS, where, order, q.page, q.page_size, lambda r: ConflictRecord(**r._asdict()))


def dead_letters_page(store: Store, q: DeadLetterQuery) -> Page[DeadLetterRecord]:
    where: list[ColumnElement[bool]] = []
    if q.status is not None:
        where.append(DEAD_LETTERS.c.status == q.status)
    if q.flow:
        where.append(DEAD_LETTERS.c.flow == q.flow)
    if q.stage:
        where.append(DEAD_LETTERS.c.stage == q.stage)
    order = _order(q.sort, DEAD_LETTER_SORTS, DEAD_LETTERS.c.id)
    return _page(
        store, DEAD_LETTERS, where, order, q.page, q.page_size, lambda r: DeadLetterRecord(**r._asdict())
    )


def runs_page(store: Store, q: RunQuery) -> Page[RunRecord]:
    """Newest first."""
    where: list[ColumnElement[bool]] = []
    if q.flow:
        where.append(RUNS.c.flow == q.flow)
    if q.status:
        where.append(RUNS.c.status == q.status)
    if not q.include_dry_runs:
        where.append(RUNS.c.dry_run.is_(False))
    return _page(store, RUNS, where, [RUNS.c.id.desc()], q.page, q.page_size, _run)


def _run(row: Any) -> RunRecord:
    data = row._asdict()
    data["counts"] = data.get("counts") or {}
    return RunRecord(**data)

"""Small Core helpers for the bulk paths: bounded IN lists and portable upserts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

import orjson
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Integer,
    String,
    Table,
    any_,
    bindparam,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql import Executable, Select
from sqlalchemy.sql.elements import ColumnClause

from sync_engine.store.errors import StoreError

T = TypeVar("T")

# keeps every statement far below SQLite's and PostgreSQL's bound-parameter limits
CHUNK = 500


def chunked(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def unique(items: Iterable[T]) -> list[T]:
    """Items without repeats, first occurrence order kept."""
    return list(dict.fromkeys(items))


def among(conn: Connection, column: ColumnClause[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values`` with one parameter, not one per value, so the statement is compiled once
    and cached instead of rendered anew for every list (half the cost of a 500-id lookup): on
    PostgreSQL ``= ANY(array)``, on SQLite ``IN (SELECT value FROM json_each(json array))``."""
    return among_param(conn, column, None, values)


def among_param(
    conn: Connection, column: ColumnClause[Any], name: str | None, values: Sequence[Any] | None = None
) -> ColumnElement[bool]:
    """:func:`among` with its one parameter named ``name``: pass its value as ``among_value(...)``."""
    value = None if values is None else among_value(conn, values)
    if conn.dialect.name == "postgresql":
        element = BigInteger() if isinstance(column.type, Integer) else String()  # link ids are integers
        return column == any_(bindparam(name, value, type_=postgresql.ARRAY(element)))
    array = bindparam(name, value, type_=String())
    return column.in_(select(literal_column("value")).select_from(func.json_each(array)))


def among_value(conn: Connection, values: Sequence[Any]) -> Any:
    """The value of an :func:`among_param` parameter: an array on PostgreSQL, a JSON array on SQLite."""
    return list(values) if conn.dialect.name == "postgresql" else orjson.dumps(list(values)).decode()


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    update: Sequence[str],
    returning: Sequence[str] = (),
    tell_inserted: bool = False,
) -> Sequence[tuple[Any, ...]] | None:
    """Insert ``rows`` (dicts with the same keys); where one with the same ``keys`` exists, overwrite its
    ``update`` columns.

    One statement per call: on PostgreSQL ``INSERT ... SELECT FROM unnest(one array per column)``, which
    also reports the ``returning`` columns of every row, then with ``tell_inserted`` whether the row
    is new (True) or was updated; on SQLite one executemany, which cannot report rows (None).
    ``rows`` must not repeat a key (PostgreSQL refuses to touch a row twice).
    """
    dialect = conn.dialect.name
    if not rows:
        return [] if dialect == "postgresql" else None
    if dialect == "postgresql":
        return _upsert_arrays(conn, table, rows, keys, update, returning, tell_inserted)
    if dialect == "sqlite":

        def build() -> Executable:
            lite_stmt = sqlite.insert(table)
            return lite_stmt.on_conflict_do_update(
                index_elements=list(keys), set_={c: lite_stmt.excluded[c] for c in update}
            )

        execute_many(conn, ("upsert", table.name, tuple(keys), tuple(update)), build, rows)
        return None
    raise StoreError(f"the state store supports SQLite and PostgreSQL, not {dialect}")


def _upsert_arrays(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    update: Sequence[str],
    returning: Sequence[str],
    tell_inserted: bool,
) -> Sequence[tuple[Any, ...]]:
    """The PostgreSQL upsert: each column's values as one typed array, so a batch is one statement with
    one plan, whatever its size (Core's executemany costs a round of parameter processing per row)."""
    dialect = conn.dialect
    names = tuple(rows[0])
    columns = [table.c[name] for name in names]
    quote = dialect.identifier_preparer.format_column
    # %b: binary arrays; in text form psycopg escapes every quote of every JSON value (20x slower)
    arrays = ", ".join(f"%b::{column.type.compile(dialect=dialect)}[]" for column in columns)
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
        f"({', '.join(quote(column) for column in columns)}) SELECT * FROM unnest({arrays}) "
        f"ON CONFLICT ({', '.join(quote(table.c[key]) for key in keys)}) DO UPDATE SET "
        + ", ".join(f"{quote(table.c[name])} = excluded.{quote(table.c[name])}" for name in update)
    )
    reported = [quote(table.c[name]) for name in returning]
    if tell_inserted:  # a row this statement inserted has no deleting transaction yet
        reported.append("xmax = 0")
    if reported:
        sql += " RETURNING " + ", ".join(reported)
    values = _columns(sql, rows, names, [_bind_processor(dialect, column) for column in columns])
    result = conn.exec_driver_sql(sql, tuple(values))
    return result.all() if reported else []


def insert_many(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys): one executemany, or one COPY on PostgreSQL."""
    if not rows:
        return
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":  # psycopg 3's copy()
        _copy(conn, table, rows)
    else:
        execute_many(conn, ("insert", table.name), table.insert, rows)


def _copy(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """``COPY ... FROM STDIN`` on the connection's own transaction: PostgreSQL's bulk load, rows
    streamed by psycopg, values converted by the columns' bind processors as Core would."""
    dialect = conn.dialect
    names = tuple(rows[0])
    columns = [table.c[name] for name in names]
    prepare = dialect.identifier_preparer
    sql = (
        f"COPY {prepare.format_table(table)} ({', '.join(prepare.format_column(c) for c in columns)}) "
        "FROM STDIN"
    )
    values = _columns(sql, rows, names, [_bind_processor(dialect, column) for column in columns])
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    try:
        with dbapi.cursor() as cursor, cursor.copy(sql) as copy:
            for row in zip(*values, strict=True):
                copy.write_row(row)
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(sql, None, error, dialect.loaded_dbapi.Error) from error


def _bind_processor(dialect: Any, column: Any) -> Callable[[Any], Any] | None:
    """How Core converts a value for ``column`` (JSON to text, timestamps to UTC), or None."""
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _columns(
    sql: str,
    rows: Sequence[dict[str, Any]],
    names: Sequence[str],
    processors: Sequence[Callable[[Any], Any] | None],
) -> list[list[Any]]:
    """The rows' values column by column, each through its column's bind processor."""
    values = []
    for name, process in zip(names, processors, strict=True):
        column = [row[name] for row in rows]
        try:
            if process is None:
                values.append(column)
            elif isinstance(column[0], datetime) and column.count(column[0]) == len(column):
                values.append([process(column[0])] * len(column))  # a batch's one timestamp, once
            else:
                values.append(list(map(process, column)))
        except Exception as error:  # as Core reports a value its type refuses
            raise StatementError(f"({type(error).__name__}) {error}", sql, None, error) from error
    return values


# (dialect, statement key, column keys) -> SQL text, its parameters' names in order, their processors
_Prepared = tuple[str, tuple[str, ...], tuple[Callable[[Any], Any] | None, ...]]
_PREPARED: dict[tuple[Any, ...], _Prepared] = {}


def execute_many(
    conn: Connection, key: tuple[Any, ...], build: Callable[[], Executable], rows: Sequence[dict[str, Any]]
) -> None:
    """Run the statement ``build`` makes once per row of ``rows``, in one executemany.

    With a positional driver (SQLite) the statement is compiled once per ``key`` and its parameters are
    converted column by column with the types' own bind processors (JSON, UTC timestamps): the same
    values SQLAlchemy would send, without its per-row parameter processing, which cost as much as the
    inserts themselves. Other drivers take the plain Core path.
    """
    if not rows:
        return
    dialect = conn.dialect
    if not dialect.positional:
        conn.execute(build(), list(rows))
        return
    columns = tuple(rows[0])
    cache_key = (dialect.name, *key, columns)
    prepared = _PREPARED.get(cache_key)
    if prepared is None:
        compiled = build().compile(dialect=dialect, column_keys=list(columns))
        names = tuple(compiled.positiontup or ())
        types = [compiled.binds[name].type.dialect_impl(dialect) for name in names]
        processors = tuple(kind.bind_processor(dialect) for kind in types)
        prepared = _PREPARED[cache_key] = (str(compiled), names, processors)
    sql, names, processors = prepared
    values = _columns(sql, rows, names, processors)
    conn.exec_driver_sql(sql, list(zip(*values, strict=True)))


def select_rows(
    conn: Connection, key: tuple[Any, ...], build: Callable[[], Select[Any]], params: dict[str, Any]
) -> Sequence[tuple[Any, ...]]:
    """The rows of the query ``build`` makes, with ``params``, as tuples in its column order.

    With a positional driver (SQLite) the query is compiled once per ``key`` and sent as driver SQL,
    its values converted column by column by the types' own result processors (JSON, UTC timestamps):
    a page's lookup costs about half as much as through Core's per-statement and per-row work. Other
    drivers take the plain Core path.
    """
    dialect = conn.dialect
    if not dialect.positional:
        return conn.execute(build(), params).all()
    cache_key = ("select", dialect.name, *key, tuple(params))
    prepared = _SELECTS.get(cache_key)
    if prepared is None:
        query = build()
        compiled = query.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        binds = [compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
        results = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in query.selected_columns
        ]
        prepared = _SELECTS[cache_key] = (str(compiled), names, tuple(binds), tuple(results))
    sql, names, binds, results = prepared
    values = [params[name] for name in names]
    bound = tuple(v if p is None else p(v) for v, p in zip(values, binds, strict=True))
    rows = conn.exec_driver_sql(sql, bound).all()
    if not rows or not any(results):
        return rows
    columns = [
        list(map(process, column)) if process is not None else column
        for column, process in zip(zip(*rows, strict=True), results, strict=True)
    ]
    return list(zip(*columns, strict=True))


# (dialect, query key, parameter names) -> SQL text, parameters' names in order, their bind processors,
# the result processors of its columns
_SELECTS: dict[tuple[Any, ...], tuple[str, tuple[str, ...], tuple[Any, ...], tuple[Any, ...]]] = {}


def require(value: str, allowed: Iterable[str], what: str) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise StoreError(f"unknown {what} {value!r}; use one of: {', '.join(allowed)}")
    return value

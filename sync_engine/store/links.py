"""Links: canonical id <-> external id per system, with the last synced snapshot (the Binder)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, update
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnClause

from sync_engine.store.base import PlannerStatistics, StoreBase
from sync_engine.store.errors import StoreError
from sync_engine.store.records import LinkRecord
from sync_engine.store.sql import (
    among,
    among_param,
    among_value,
    chunked,
    execute_many,
    insert_many,
    select_rows,
    unique,
    upsert,
)
from sync_engine.store.tables import LINK_IDS, LINKS

_LINK_COLUMNS = (
    LINKS.c.id,
    LINKS.c.flow,
    LINKS.c.entity,
    LINKS.c.canonical_id,
    LINKS.c.snapshot,
    LINKS.c.hash,
    LINKS.c.synced_at,
    LINKS.c.meta,
)


def _record(row: Sequence[Any]) -> LinkRecord:
    """A link from a row of ``_LINK_COLUMNS`` (in that order)."""
    _, flow, entity, canonical_id, snapshot, digest, synced_at, meta = row
    return LinkRecord(
        flow=flow,
        entity=entity,
        canonical_id=canonical_id,
        external_ids={},
        snapshot=snapshot,
        hash=digest,
        synced_at=synced_at,
        meta=meta or {},
    )


def _attach_external_ids(conn: Connection, records: dict[int, LinkRecord]) -> None:
    """Fill ``external_ids`` of ``records`` (keyed by link id) from link_ids, in bulk."""

    def build() -> Select[Any]:
        return select(LINK_IDS.c.link_id, LINK_IDS.c.system, LINK_IDS.c.external_id).where(
            among_param(conn, LINK_IDS.c.link_id, "ids")
        )

    for batch in chunked(records):
        params = {"ids": among_value(conn, batch)}
        for link_id, system, external_id in select_rows(conn, ("external_ids",), build, params):
            records[link_id].external_ids[system] = external_id


class LinkStore(StoreBase):
    _statistics: PlannerStatistics

    def find_links(
        self, flow: str, system: str, external_ids: Iterable[str], *, tx: Connection | None = None
    ) -> dict[str, LinkRecord]:
        """The links of ``flow`` whose id in ``system`` is one of ``external_ids``, keyed by that id.

        Ids without a link are simply absent from the result.
        """
        found: dict[str, LinkRecord] = {}
        join = LINK_IDS.join(LINKS, LINKS.c.id == LINK_IDS.c.link_id)
        with self._use(tx) as conn:

            def build() -> Select[Any]:
                return (
                    select(LINK_IDS.c.external_id, *_LINK_COLUMNS)
                    .select_from(join)
                    .where(
                        LINK_IDS.c.flow == bindparam("flow"),
                        LINK_IDS.c.system == bindparam("system"),
                        among_param(conn, LINK_IDS.c.external_id, "ids"),
                    )
                )

            for batch in chunked(unique(external_ids)):
                params = {"flow": flow, "system": system, "ids": among_value(conn, batch)}
                rows = select_rows(conn, ("find_links",), build, params)
                records = {row[1]: _record(row[1:]) for row in rows}  # by link id
                _attach_external_ids(conn, records)
                for row in rows:
                    found[row[0]] = records[row[1]]
        return found

    def get_links(
        self, flow: str, canonical_ids: Iterable[str], *, tx: Connection | None = None
    ) -> dict[str, LinkRecord]:
        """The links of ``flow`` with these canonical ids, keyed by canonical id."""
        found: dict[str, LinkRecord] = {}
        with self._use(tx) as conn:

            def build() -> Select[Any]:
                return select(*_LINK_COLUMNS).where(
                    LINKS.c.flow == bindparam("flow"), among_param(conn, LINKS.c.canonical_id, "ids")
                )

            for batch in chunked(unique(canonical_ids)):
                params = {"flow": flow, "ids": among_value(conn, batch)}
                records = {row[0]: _record(row) for row in select_rows(conn, ("get_links",), build, params)}
                _attach_external_ids(conn, records)
                found.update((link.canonical_id, link) for link in records.values())
        return found

    def iter_links(self, flow: str, *, batch_size: int = 5000) -> Iterator[LinkRecord]:
        """Every link of ``flow`` in canonical-id order, fetched page by page (constant memory).

        Each page is read in its own short transaction, so a long iteration holds no lock or snapshot.
        """
        after: str | None = None
        while True:
            query = select(*_LINK_COLUMNS).where(LINKS.c.flow == flow)
            if after is not None:
                query = query.where(LINKS.c.canonical_id > after)
            query = query.order_by(LINKS.c.canonical_id).limit(batch_size)
            with self.transaction() as conn:
                records = {row.id: _record(row) for row in conn.execute(query).all()}
                _attach_external_ids(conn, records)
            yield from records.values()
            if len(records) < batch_size:
                return
            after = next(reversed(records.values())).canonical_id

    def iter_external_ids(self, flow: str, system: str, *, batch_size: int = 20_000) -> Iterator[str]:
        """Every id ``system`` has in the links of ``flow``: ids only, page by page (no snapshots)."""
        after: str | None = None
        while True:
            query = select(LINK_IDS.c.external_id).where(LINK_IDS.c.flow == flow, LINK_IDS.c.system == system)
            if after is not None:
                query = query.where(LINK_IDS.c.external_id > after)
            with self.transaction() as conn:
                ids = conn.execute(query.order_by(LINK_IDS.c.external_id).limit(batch_size)).scalars().all()
            yield from ids
            if len(ids) < batch_size:
                return
            after = ids[-1]

    def native_hashes(
        self, flow: str, system: str, external_ids: Iterable[str]
    ) -> dict[str, tuple[str, str | None]]:
        """External id -> (canonical id, native hash) of these ids' links: ids and hashes only."""
        found: dict[str, tuple[str, str | None]] = {}
        with self.transaction() as conn:
            for batch in chunked(unique(external_ids)):
                rows = _bindings(conn, flow, system, LINK_IDS.c.external_id, batch)
                found.update((ext, (cid, digest)) for ext, cid, digest in rows)
        return found

    def set_native_hashes(
        self, flow: str, system: str, hashes: dict[str, str | None], *, tx: Connection | None = None
    ) -> None:
        """Remember (or forget, with None) the native hash of linked records of ``system``."""
        if hashes:
            with self._use(tx) as conn:
                _update_native_hashes(conn, flow, system, hashes)

    def count_external_ids(self, flow: str, system: str) -> int:
        """How many ids ``system`` has in the links of ``flow``."""
        with self.transaction() as conn:
            return conn.execute(
                select(func.count())
                .select_from(LINK_IDS)
                .where(LINK_IDS.c.flow == flow, LINK_IDS.c.system == system)
            ).scalar_one()

    def count_links(self, flow: str) -> int:
        with self.transaction() as conn:
            return conn.execute(
                select(func.count()).select_from(LINKS).where(LINKS.c.flow == flow)
            ).scalar_one()

    def save_links(self, links: Iterable[LinkRecord], *, tx: Connection | None = None) -> None:
        """Insert or update links and bind their external ids, in bulk.

        ``external_ids`` is merged: a system not named keeps its id; an id that belonged to another
        link of the flow moves to this one (that record was re-identified).
        """
        with self._use(tx) as conn:
            for batch in chunked(links):
                # last one wins within a batch (PostgreSQL cannot upsert the same row twice in one go)
                latest = {(link.flow, link.canonical_id): link for link in batch}
                # An upsert keeps an existing row's id and SQLite gives a new row one above the highest
                # (or, past 2**63 - 1, any free one): an id above this is a link this save inserted.
                # PostgreSQL reports which rows are new itself.
                highest = _highest_link_id(conn) if conn.dialect.name == "sqlite" else 0
                reported = upsert(
                    conn,
                    LINKS,
                    [
                        {
                            "flow": link.flow,
                            "canonical_id": link.canonical_id,
                            "entity": link.entity,
                            "snapshot": link.snapshot,
                            "hash": link.hash,
                            "synced_at": link.synced_at,
                            "meta": link.meta or {},
                        }
                        for link in latest.values()
                    ],
                    keys=("canonical_id", "flow"),
                    update=("entity", "snapshot", "hash", "synced_at", "meta"),
                    returning=("flow", "canonical_id", "id"),
                    tell_inserted=True,
                )
                if reported is None:  # SQLite's executemany reports no rows
                    link_ids, new_links = _sqlite_link_ids(conn, latest, highest)
                else:
                    link_ids = {(flow, cid): key for flow, cid, key, _ in reported}
                    new_links = {key for _, _, key, inserted in reported if inserted}
                _bind_external_ids(conn, latest.values(), link_ids, new_links)
                self._statistics.wrote(conn, len(latest))

    def delete_links(self, flow: str, canonical_ids: Iterable[str], *, tx: Connection | None = None) -> None:
        with self._use(tx) as conn:
            for batch in chunked(unique(canonical_ids)):
                doomed = select(LINKS.c.id).where(
                    LINKS.c.flow == flow, among(conn, LINKS.c.canonical_id, batch)
                )
                conn.execute(delete(LINK_IDS).where(LINK_IDS.c.link_id.in_(doomed)))
                conn.execute(
                    delete(LINKS).where(LINKS.c.flow == flow, among(conn, LINKS.c.canonical_id, batch))
                )

    def resolve_references(self, entity: str, system: str, external_ids: Iterable[str]) -> dict[str, str]:
        """External id in ``system`` -> canonical id, for records of ``entity`` linked by any flow."""
        return self._id_pairs(entity, system, external_ids, LINK_IDS.c.external_id, LINK_IDS.c.canonical_id)

    def external_ids_for(self, entity: str, system: str, canonical_ids: Iterable[str]) -> dict[str, str]:
        """Canonical id -> external id in ``system``, for records of ``entity`` linked by any flow."""
        # through links: link_ids' copy of the canonical id has no index
        return self._id_pairs(entity, system, canonical_ids, LINKS.c.canonical_id, LINK_IDS.c.external_id)

    def _id_pairs(
        self, entity: str, system: str, keys: Iterable[str], key_col: Any, value_col: Any
    ) -> dict[str, str]:
        """``key_col`` -> ``value_col`` of link_ids (joined with links); when several flows link a
        record, the first flow's."""
        found: dict[str, str] = {}
        with self.transaction() as conn:
            for batch in chunked(unique(keys)):
                query = select(key_col, value_col)
                if key_col.table is LINKS:
                    query = query.select_from(LINK_IDS.join(LINKS, LINKS.c.id == LINK_IDS.c.link_id))
                rows = conn.execute(
                    query.where(LINK_IDS.c.entity == entity, LINK_IDS.c.system == system)
                    .where(among(conn, key_col, batch))
                    .order_by(LINK_IDS.c.flow)
                ).all()
                for key, value in rows:
                    found.setdefault(key, value)
        return found


_SET_NATIVE_HASH = (
    update(LINK_IDS)
    .where(
        LINK_IDS.c.flow == bindparam("f"),
        LINK_IDS.c.system == bindparam("s"),
        LINK_IDS.c.external_id == bindparam("e"),
    )
    .values(native_hash=bindparam("h"))
)


def _update_native_hashes(conn: Connection, flow: str, system: str, hashes: dict[str, str | None]) -> None:
    rows = [{"f": flow, "s": system, "e": ext, "h": h} for ext, h in hashes.items()]
    execute_many(conn, ("set_native_hash",), lambda: _SET_NATIVE_HASH, rows)


def _highest_link_id(conn: Connection) -> int:
    """The highest link id there is, 0 without links (SQLite: no schema to qualify the name with)."""
    # driver SQL: through Core, this one-row query cost as much as reading a batch's 200 ids back
    return conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM links").scalar_one()


def _sqlite_link_ids(
    conn: Connection, links: dict[tuple[str, str], LinkRecord], highest: int
) -> tuple[dict[tuple[str, str], int], set[int]]:
    """The integer ids of links an upsert just saved on SQLite, and which of them it inserted, given
    the highest id before it.

    Each row inserted gets one above the highest id (the key is a rowid without AUTOINCREMENT) and an
    updated row keeps its own, so when the highest id grew by exactly the number of links, every one
    was inserted, in order: their ids are known without reading them back (an initial sync's batches).
    """
    after = _highest_link_id(conn)
    if after - highest == len(links) and after < 2**62:
        link_ids = {key: highest + offset for offset, key in enumerate(links, start=1)}
        return link_ids, set(link_ids.values())
    link_ids = _link_ids(conn, links)
    return link_ids, {key for key in link_ids.values() if key > highest}


def _link_ids(conn: Connection, links: dict[tuple[str, str], LinkRecord]) -> dict[tuple[str, str], int]:
    """(flow, canonical id) -> integer id of these links (just saved: the upsert does not report them)."""
    found: dict[tuple[str, str], int] = {}
    for flow in {flow for flow, _ in links}:

        def build() -> Select[Any]:
            return select(LINKS.c.canonical_id, LINKS.c.id).where(
                LINKS.c.flow == bindparam("flow"), among_param(conn, LINKS.c.canonical_id, "ids")
            )

        ids = [cid for f, cid in links if f == flow]
        params = {"flow": flow, "ids": among_value(conn, ids)}
        found.update(((flow, cid), key) for cid, key in select_rows(conn, ("link_ids",), build, params))
    return found


def _bindings(
    conn: Connection, flow: str, system: str, among_column: ColumnClause[Any], ids: Sequence[Any]
) -> Sequence[tuple[Any, ...]]:
    """(external id, canonical id, native hash) of a system's bindings whose ``among_column`` is in
    ``ids``."""

    by_link = among_column is LINK_IDS.c.link_id

    def build() -> Select[Any]:
        query = select(LINK_IDS.c.external_id, LINK_IDS.c.canonical_id, LINK_IDS.c.native_hash)
        if not by_link:  # a link id implies its flow; naming the flow too steers SQLite to the wrong index
            query = query.where(LINK_IDS.c.flow == bindparam("flow"))
        return query.where(LINK_IDS.c.system == bindparam("system"), among_param(conn, among_column, "ids"))

    params = {"system": system, "ids": among_value(conn, ids)}
    if not by_link:
        params["flow"] = flow
    return select_rows(conn, ("bindings", among_column.name), build, params)


def _bind_external_ids(
    conn: Connection,
    links: Iterable[LinkRecord],
    link_ids: dict[tuple[str, str], int],
    new_links: set[int],
) -> None:
    """Make link_ids hold exactly the given (system, external id) bindings of these links, whose
    integer ids ``link_ids`` holds by (flow, canonical id). ``new_links``: ids of links this save
    inserted, which no binding can name yet (the foreign key), so they are not looked up.

    Reads the rows that could clash first, so re-saving unchanged links writes nothing to link_ids.
    """
    # (flow, system) -> external id -> (canonical id, entity)
    wanted: dict[tuple[str, str], dict[str, tuple[str, str]]] = defaultdict(dict)
    # (flow, system) -> external id -> native hash to remember (None: forget)
    hashes: dict[tuple[str, str], dict[str, str | None]] = defaultdict(dict)
    for link in links:
        for system, external_id in link.external_ids.items():
            claims = wanted[(link.flow, system)]
            other = claims.get(external_id)
            if other is not None and other[0] != link.canonical_id:
                raise StoreError(
                    f"{system} id {external_id!r} is given to two links of flow {link.flow!r} in one save: "
                    f"{other[0]!r} and {link.canonical_id!r}; a record can be linked only once"
                )
            claims[external_id] = (link.canonical_id, link.entity)
            if system in link.native_hashes:
                hashes[(link.flow, system)][external_id] = link.native_hashes[system]

    for (flow, system), claims in wanted.items():
        remember = hashes.get((flow, system), {})
        # by external id first; by link id (below) only for the links that need it: two lookups, not
        # one OR, so each walks its own unique index instead of the (flow, system) range
        by_external = _bindings(conn, flow, system, LINK_IDS.c.external_id, list(claims))
        existing = {(ext, cid): digest for ext, cid, digest in by_external}
        kept = {(ext, cid) for ext, cid in existing if ext in claims and claims[ext][0] == cid}
        # A link found holding its claimed id has no other id in this system (one per link and system):
        # only the rest, not new either, may hold an id to unbind (re-saving known links: none).
        keys = unique(
            key
            for ext, (cid, _) in claims.items()
            if (ext, cid) not in kept and (key := link_ids[(flow, cid)]) not in new_links
        )
        if keys:
            existing.update(
                ((ext, cid), digest)
                for ext, cid, digest in _bindings(conn, flow, system, LINK_IDS.c.link_id, keys)
            )
        stale = [ext for ext, cid in existing if (ext, cid) not in kept]
        if stale:
            conn.execute(
                delete(LINK_IDS).where(
                    LINK_IDS.c.flow == flow,
                    LINK_IDS.c.system == system,
                    among(conn, LINK_IDS.c.external_id, stale),
                )
            )
        new_rows = [
            {
                "link_id": link_ids[(flow, cid)],
                "flow": flow,
                "system": system,
                "external_id": ext,
                "canonical_id": cid,
                "entity": entity,
                "native_hash": remember.get(ext),
            }
            for ext, (cid, entity) in claims.items()
            if (ext, cid) not in kept
        ]
        insert_many(conn, LINK_IDS, new_rows)
        changed = {
            ext: digest
            for ext, digest in remember.items()
            if (ext, claims[ext][0]) in kept and existing[(ext, claims[ext][0])] != digest
        }
        if changed:
            _update_native_hashes(conn, flow, system, changed)

"""Entities whose records change through other rows too: a company through its contacts, a product
through its template. Odoo stamps only the row written, so such a record's change mark is the latest
``write_date`` of the record and its related rows, and reads follow both.

No server order sorts by that latest stamp, so a read takes two streams, each in its own
``(write_date, id)`` order: the records themselves after the cursor, and the related rows stamped at
or after it (with every row sharing the last stamp of either stream). Up to the smaller of the two
streams' last stamps, every record is then known with its true mark; those are sorted and the first
``limit`` returned. When fewer than ``limit`` are known, both streams are read further.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from connectors.base import Cursor, NativeRecord
from connectors.odoo.domains import Domain, after_cursor, all_of, equals, is_in, leaf
from connectors.odoo.entities.base import ALL, ORDER, OdooEntity, stamp

__all__ = ["FollowsRelated", "Stream"]


class Stream:
    """Rows of one model from a stamp on, in ``(write_date, id)`` order, ties of the last stamp included."""

    def __init__(self, entity: OdooEntity, model: str, fields: list[str]) -> None:
        self.entity = entity
        self.model = model
        self.fields = ["write_date", *fields]

    def read(self, domain: Domain, limit: int) -> tuple[list[dict[str, Any]], datetime | None]:
        """Up to ``limit`` rows (plus the rest of the last stamp); the stamp up to which the rows
        are complete, ``None`` when the stream ended (complete to the end)."""
        call = self.entity.connector.call
        rows = list(
            call(
                self.model,
                "search_read",
                domain=domain,
                fields=self.fields,
                order=ORDER,
                limit=limit,
                context=ALL,
            )
        )
        if len(rows) < limit:
            return rows, None
        last = rows[-1]
        ties = all_of(domain, equals("write_date", last["write_date"]), leaf("id", ">", int(last["id"])))
        rows += call(self.model, "search_read", domain=ties, fields=self.fields, order=ORDER, context=ALL)
        return rows, stamp(last["write_date"])


class FollowsRelated(OdooEntity):
    """An entity whose change mark is the latest stamp of the record and its related rows."""

    related_model: ClassVar[str]
    related_fields: ClassVar[tuple[str, ...]]

    def related_domain(self) -> Domain:
        """Which rows of ``related_model`` belong to this entity's records."""
        return []

    def owners(self, row: dict[str, Any]) -> list[int]:
        """The ids of the records a related row belongs to."""
        raise NotImplementedError

    def related_stamps(self, ids: list[int]) -> dict[int, datetime]:
        """The latest stamp of the related rows of each record."""
        raise NotImplementedError

    def read_after(self, after: Cursor | None, limit: int) -> Sequence[NativeRecord]:
        own = Stream(self, self.native, ["id"])
        related = Stream(self, self.related_model, list(self.related_fields))
        since = after.modified if after is not None else None
        mark = (after.modified, self.id_order(after.id)) if after is not None else None
        fetch = limit
        while True:
            own_domain = self.scope()
            related_domain = self.related_domain()
            if after is not None:
                own_domain = all_of(own_domain, after_cursor(after.modified, self.id_order(after.id)))
                related_domain = all_of(related_domain, leaf("write_date", ">=", since))
            own_rows, own_upto = own.read(own_domain, fetch)
            related_rows, related_upto = related.read(related_domain, fetch)
            bounds = [b for b in (own_upto, related_upto) if b is not None]
            upto = min(bounds) if bounds else None
            ids = {int(r["id"]) for r in own_rows} | {i for r in related_rows for i in self.owners(r)}
            records = self.fetch([str(i) for i in sorted(ids)])
            known = sorted(
                (r for r in records if r.modified is not None and (upto is None or r.modified <= upto)),
                key=lambda r: (r.modified, self.id_order(r.id)),
            )
            if mark is not None:
                known = [r for r in known if (r.modified, self.id_order(r.id)) > mark]
            if len(known) >= limit or upto is None:
                return known[:limit]
            fetch *= 2

    def fetch(self, ids: Sequence[str]) -> list[NativeRecord]:
        wanted = [int(i) for i in ids if str(i).isdigit()]
        if not wanted:
            return []
        rows = self.read_rows(all_of(self.scope(), is_in("id", wanted)), limit=None)
        records = self._records(rows)
        later = self.related_stamps([int(r.id) for r in records])
        for record in records:
            other = later.get(int(record.id))
            if other is not None and (record.modified is None or other > record.modified):
                record.modified = other
        return records

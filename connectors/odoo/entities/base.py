"""What every Odoo entity shares: one model read by the ``(write_date, id)`` keyset, archived records
included, plain creates sent together as a list, every other write its own call (transaction)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from connectors.base import (
    ConnectorError,
    Cursor,
    Entity,
    NativeRecord,
    RecordError,
    WriteRequest,
    WriteResult,
)
from connectors.odoo.domains import Domain, after_cursor, all_of, equals, is_in, leaf
from connectors.odoo.errors import OdooFault
from connectors.odoo.refdata import ReferenceData, UnknownCode

if TYPE_CHECKING:
    from connectors.odoo.connector import OdooConnector

__all__ = ["ALL", "OdooEntity", "as_decimal", "m2o", "m2o_id", "ref_id", "stamp"]

ORDER = "write_date asc, id asc"
ID_PAGE = 5000
ALL: Mapping[str, Any] = {"active_test": False}
"""Archived records are records too: reads see them (an archive must reach the other side)."""


def m2o_id(value: Any) -> str | None:
    """A many2one as read (``[id, "name"]``, or ``False``) as SyncHub's string id."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return str(value) if value else None


def ref_id(value: Any, field: str) -> int | bool:
    """A reference to write: the bare id Odoo takes (given a list, Odoo would silently empty the
    field), ``False`` for none."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value in (None, "", False):
        return False
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RecordError(f"field {field!r}: {value!r} is not an Odoo record id", field=field) from None


def m2o(value: Any) -> int | None:
    """The id of a many2one as read."""
    found = m2o_id(value)
    return int(found) if found else None


def as_decimal(value: Any) -> Decimal | None:
    """Odoo floats as exact decimals of their shortest repr (``0.1`` stays ``0.1``)."""
    if value is None or value is False:
        return None
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(float(value)))


def stamp(value: Any) -> datetime | None:
    """Odoo's ``YYYY-MM-DD HH:MM:SS`` (UTC) as an aware datetime."""
    if not value:
        return None
    return datetime.strptime(str(value)[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def text(value: Any) -> str | None:
    """Odoo reads an empty char field as ``False``."""
    return value if isinstance(value, str) and value != "" else None


class OdooEntity(Entity):
    """One canonical entity as one Odoo model.

    Subclasses declare ``native`` (the model), ``fields`` (what to read), :meth:`scope` (which records
    of the model belong to the entity), :meth:`shape` (rows -> native records) and the writes:
    :meth:`create_values` (+ :meth:`after_create` for actions) and :meth:`write_values`.
    """

    id_field = "id"
    modified_field = "write_date"
    deletes_reported = False  # unlink leaves no trace: the engine compares ids (list_ids)
    fields: ClassVar[tuple[str, ...]]
    batch_create: ClassVar[bool] = True
    """Creates need no action afterwards, so many go in one ``create`` call (one transaction)."""
    field_hints: ClassVar[tuple[tuple[str, str], ...]] = ()
    """(text in Odoo's message, native field) for refusals whose message names no technical field."""

    connector: OdooConnector

    @property
    def refs(self) -> ReferenceData:
        return self.connector.refs

    def call(
        self, method: str, ids: Sequence[int] | None = None, *, model: str | None = None, **params: Any
    ) -> Any:
        return self.connector.call(model or self.native, method, ids, **params)

    def id_order(self, record_id: str) -> Any:
        return int(record_id) if record_id.isdigit() else 0  # "" (a bare time mark) sorts first

    def record_url(self, record_id: str) -> str | None:
        return self.connector.model_url(self.native, record_id)

    def code(self, kind: str, value: Any, field: str) -> int | bool:
        """The id of reference data named ``value``; a clear refusal when Odoo has none."""
        try:
            found = self.refs.id_of(kind, value)
        except UnknownCode as exc:
            raise RecordError(
                f"field {field!r}: {exc}; create it in Odoo or map another value", field=field
            ) from None
        return found if found is not None else False

    # -- reads -------------------------------------------------------------------------------------
    def scope(self) -> Domain:
        """Which records of the model are this entity's."""
        return []

    def read_after(self, after: Cursor | None, limit: int) -> Sequence[NativeRecord]:
        domain = self.scope()
        if after is not None:
            domain = all_of(domain, after_cursor(after.modified, self.id_order(after.id)))
        return self._records(self.read_rows(domain, limit=limit))

    def fetch(self, ids: Sequence[str]) -> list[NativeRecord]:
        wanted = [int(i) for i in ids if str(i).isdigit()]
        if not wanted:
            return []
        return self._records(self.read_rows(all_of(self.scope(), is_in("id", wanted)), limit=None))

    def list_ids(self) -> Iterator[str]:
        last = 0
        while True:
            domain = all_of(self.scope(), leaf("id", ">", last))
            ids = self.call("search", domain=domain, limit=ID_PAGE, order="id asc", context=ALL)
            yield from (str(i) for i in ids)
            if len(ids) < ID_PAGE:
                return
            last = int(ids[-1])

    def read_rows(self, domain: Domain, *, limit: int | None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"domain": domain, "fields": ["write_date", *self.fields], "order": ORDER}
        if limit:
            params["limit"] = limit
        return list(self.call("search_read", context=ALL, **params))

    def _records(self, rows: list[dict[str, Any]]) -> list[NativeRecord]:
        shaped = self.shape(rows) if rows else []
        return [
            NativeRecord(id=str(row["id"]), data=data, modified=stamp(row["write_date"]))
            for row, data in zip(rows, shaped, strict=True)
        ]

    def shape(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Odoo rows -> native records (codes for reference data, string ids, nested lines)."""
        raise NotImplementedError

    def exists(self, number: int) -> bool:
        return bool(
            self.call("search", domain=all_of(self.scope(), equals("id", number)), limit=1, context=ALL)
        )

    # -- writes ------------------------------------------------------------------------------------
    def create(self, data: dict[str, Any], ref: str) -> str:
        (new_id,) = self.call("create", vals_list=[self.create_values(data)])
        self.after_create(int(new_id), data)
        return str(new_id)

    def update(self, record_id: str, data: dict[str, Any]) -> str:
        number = self._number(record_id, "update")
        if not self.exists(number):
            raise RecordError(f"no {self.native} with id {number} in Odoo (deleted there?)")
        values = self.write_values(number, data)
        if values:  # Odoo re-stamps every write, even of unchanged values: send only changes
            self.call("write", [number], vals=values)
        self.after_write(number, data)
        return record_id

    def delete(self, record_id: str) -> None:
        number = self._number(record_id, "delete")
        if self.exists(number):  # already gone is deleted: retries stay safe
            self.remove(number)

    def create_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def after_create(self, record_id: int, data: Mapping[str, Any]) -> None:
        """Actions to call once created (``action_confirm``)."""

    def write_values(self, record_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
        """The values of one ``write`` that make the record hold ``data`` (only what changes)."""
        raise NotImplementedError

    def after_write(self, record_id: int, data: Mapping[str, Any]) -> None:
        """State moves after the field changes."""

    def remove(self, record_id: int) -> None:
        self.call("unlink", [record_id])

    def _number(self, record_id: str, op: str) -> int:
        if not record_id.isdigit():
            raise RecordError(f"{op} needs the Odoo id of the record, got {record_id!r}")
        return int(record_id)

    # -- batches -----------------------------------------------------------------------------------
    def write_many(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Plain creates in one ``create`` call (a list of values); when Odoo refuses that call (one
        bad record refuses the transaction) each is retried alone, so only the culprit fails. Every
        other write is its own call. Then one read gives what Odoo saved."""
        return self.write_creating_together(
            requests,
            together=self.batch_create,
            prepare=self.create_values,
            send=lambda values: self.call("create", vals_list=values),
            refused=lambda exc: isinstance(exc, OdooFault),
        )

    def failure(self, request: WriteRequest, exc: Exception) -> WriteResult:
        if isinstance(exc, OdooFault):
            exc = self.refusal(exc)
        elif isinstance(exc, UnknownCode):
            exc = RecordError(f"{exc}; create it in Odoo or map another value")
        return super().failure(request, exc)

    def refusal(self, fault: OdooFault) -> ConnectorError:
        """Odoo's refusal of one record, with Odoo's message and the field it blames."""
        field = fault.field
        if field is None:
            field = next((name for hint, name in self.field_hints if hint in fault.message), None)
        fix = {
            "access": "give the integration user the access Odoo names",
            "missing": "the record was deleted in Odoo; the next run reconciles it",
        }.get(fault.kind, "correct the value in the source system or in Odoo")
        return RecordError(f"Odoo refused it ({fault.exception}): {fault.message}; fix: {fix}", field=field)

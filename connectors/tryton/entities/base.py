"""What every Tryton entity shares: one model read by keyset, written one transaction per record."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from connectors.base import (
    Cursor,
    Entity,
    NativeRecord,
    RecordError,
    WriteRequest,
    WriteResult,
)
from connectors.tryton.client import TrytonClient, TrytonError
from connectors.tryton.domains import Domain, changed_since, in_
from connectors.tryton.errors import refusal
from connectors.tryton.refdata import ReferenceData, UnknownCode

if TYPE_CHECKING:
    from connectors.tryton.connector import TrytonConnector

__all__ = ["TrytonEntity", "as_decimal", "as_id", "ref_id"]

ORDER = [["last_modified_at", "ASC"], ["id", "ASC"]]
ID_PAGE = 5000


def as_id(value: int | None) -> str | None:
    """Tryton's integer id as the string id SyncHub uses everywhere."""
    return str(value) if value else None


def ref_id(value: Any, field: str) -> int | None:
    """A native reference (string id) as Tryton's integer id."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RecordError(f"field {field!r}: {value!r} is not a Tryton record id", field=field) from None


def as_decimal(value: Any) -> Decimal | None:
    """Float quantities (Tryton stores some as float) as exact decimals of their shortest repr."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


class TrytonEntity(Entity):
    """One canonical entity as one Tryton model (plus its nested records).

    Subclasses declare ``native`` (the model), ``fields`` (what to read) and ``domain`` (which
    records of the model belong to the entity), and implement :meth:`shape` (rows -> native records)
    and the writes: :meth:`create_values` (+ :meth:`after_create` for buttons), :meth:`change` and,
    where deleting is more than ``delete``, :meth:`remove`.
    """

    id_field = "id"
    modified_field = "last_modified_at"
    deletes_reported = False  # Tryton deletes leave no trace: the engine reconciles with list_ids
    fields: ClassVar[tuple[str, ...]]
    domain: ClassVar[Domain] = []
    batch_create: ClassVar[bool] = True
    """Creates need no buttons afterwards, so many can go in one ``create`` call (one transaction)."""
    create_model: ClassVar[str | None] = None
    """The model ``create`` is called on, when not ``native`` (products are created as templates)."""
    children: ClassVar[Mapping[str, str]] = {}
    """Models of nested records -> the native field holding them, to name the field Tryton blames."""

    connector: TrytonConnector

    @property
    def client(self) -> TrytonClient:
        return self.connector.client

    @property
    def refs(self) -> ReferenceData:
        return self.connector.refs

    @property
    def options(self) -> Mapping[str, Any]:
        return self.connector.options

    def call(self, method: str, *params: Any, model: str | None = None) -> Any:
        return self.client.model(model or self.native, method, *params)

    def id_order(self, record_id: str) -> Any:
        return int(record_id) if record_id.isdigit() else 0  # "" (a bare time mark) sorts first

    def record_url(self, record_id: str) -> str | None:
        return self.connector.model_url(self.native, record_id)

    # -- reads -------------------------------------------------------------------------------------
    def read_after(self, after: Cursor | None, limit: int) -> Sequence[NativeRecord]:
        domain: Domain = []
        if after is not None:
            # strictly after (mark, id) is (mark, id + 1) onwards: ids are integers
            next_id = int(after.id) + 1 if after.id.isdigit() else None
            domain = changed_since(_naive_utc(after.modified), next_id)
        return self._records(self.read_rows(domain, limit=limit))

    def fetch(self, ids: Sequence[str]) -> list[NativeRecord]:
        wanted = [int(i) for i in ids if str(i).isdigit()]
        if not wanted:
            return []
        return self._records(self.read_rows(in_("id", wanted), limit=None))

    def list_ids(self) -> Iterator[str]:
        last = 0
        while True:
            ids = self.call("search", self.full_domain(["id", ">", last]), 0, ID_PAGE, [["id", "ASC"]])
            yield from (str(i) for i in ids)
            if len(ids) < ID_PAGE:
                return
            last = ids[-1]

    def read_rows(self, domain: Domain, *, limit: int | None) -> list[dict]:
        fields = ["last_modified_at", *self.fields]
        return list(self.call("search_read", self.full_domain(domain), 0, limit, ORDER, fields))

    def full_domain(self, domain: Domain) -> Domain:
        if self.domain and domain:
            return ["AND", self.domain, domain]
        return self.domain or domain

    def _records(self, rows: list[dict]) -> list[NativeRecord]:
        shaped = self.shape(rows) if rows else []
        return [
            NativeRecord(id=str(row["id"]), data=data, modified=_aware(row["last_modified_at"]))
            for row, data in zip(rows, shaped, strict=True)
        ]

    def shape(self, rows: list[dict]) -> list[dict[str, Any]]:
        """Tryton rows -> native records (codes for reference data, string ids, nested children)."""
        raise NotImplementedError

    def company_currency(self) -> int | None:
        """The id of the company's currency (amounts of credit limits and costs are in it)."""
        return self.connector.company_currency()

    # -- writes ------------------------------------------------------------------------------------
    def create(self, data: dict[str, Any], ref: str) -> str:
        (new_id,) = self.call("create", [self.create_values(data)], model=self.create_model)
        (record_id,) = self.created_ids([new_id])
        self.after_create(record_id, data)
        return str(record_id)

    def update(self, record_id: str, data: dict[str, Any]) -> str:
        number = self._number(record_id, "update")
        if not self._exists(number):
            raise RecordError(f"no {self.native} with id {number} (deleted in Tryton?)")
        self.change(number, data)
        return record_id

    def delete(self, record_id: str) -> None:
        number = self._number(record_id, "delete")
        if self._exists(number):  # already gone is deleted: retries stay safe
            self.remove(number)

    def create_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Native record -> values for ``create``; raises :class:`RecordError` for bad input."""
        raise NotImplementedError

    def created_ids(self, new_ids: list[int]) -> list[int]:
        """The entity's ids of records ``create`` on ``create_model`` answered with."""
        return [int(i) for i in new_ids]

    def after_create(self, record_id: int, data: Mapping[str, Any]) -> None:
        """Buttons to press once created (quote, confirm)."""

    def change(self, record_id: int, data: Mapping[str, Any]) -> None:
        """Write the given native fields to an existing record."""
        raise NotImplementedError

    def remove(self, record_id: int) -> None:
        self.call("delete", [record_id])

    def _number(self, record_id: str, op: str) -> int:
        if not record_id.isdigit():
            raise RecordError(f"{op} needs the Tryton id of the record, got {record_id!r}")
        return int(record_id)

    def _exists(self, number: int) -> bool:
        return bool(self.call("search", self.full_domain(["id", "=", number]), 0, 1, None))

    # -- batches -----------------------------------------------------------------------------------
    def write_many(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Each record in its own transaction, except plain creates: those go in one ``create`` call,
        and one by one when that call is refused. Then one read gives what Tryton saved."""
        return self.write_creating_together(
            requests,
            together=self.batch_create,
            prepare=self.create_values,
            send=lambda values: self.call("create", values, model=self.create_model),
            refused=lambda exc: isinstance(exc, TrytonError),
            resolve=self.created_ids,
        )

    def failure(self, request: WriteRequest, exc: Exception) -> WriteResult:
        if isinstance(exc, TrytonError):
            return self._tryton_refusal(request, exc)
        if isinstance(exc, UnknownCode):
            exc = RecordError(f"{exc}; create it in Tryton or map another value")
        return super().failure(request, exc)

    def _tryton_refusal(self, request: WriteRequest, exc: TrytonError) -> WriteResult:
        problem = refusal(exc, self.connector.labels(self.native, self.children))
        who = self.describe(request.id or request.ref)
        error = f"{who}: Tryton refused the {request.op} ({exc.kind}): {exc.message}; fix: {problem.fix}"
        return WriteResult(
            ref=request.ref,
            ok=False,
            id=request.id,
            error=error,
            field=problem.field,
            transient=problem.transient,
        )


def _naive_utc(moment: datetime) -> datetime:
    """Tryton's timestamps are naive UTC; SyncHub's are aware."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None else None

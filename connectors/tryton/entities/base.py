"""What every entity adapter offers the connector: one Tryton model, its shape, its writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from connectors.tryton.client import TrytonClient
from connectors.tryton.domains import Domain
from connectors.tryton.refdata import ReferenceData

__all__ = ["EntityAdapter", "RecordProblem", "as_decimal", "as_id", "ref_id"]


class RecordProblem(ValueError):
    """A record Tryton cannot take as it is; names the native field and the fix."""

    def __init__(self, field: str | None, message: str) -> None:
        self.field = field
        super().__init__(message)


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
        raise RecordProblem(field, f"field {field!r}: {value!r} is not a Tryton record id") from None


def as_decimal(value: Any) -> Decimal | None:
    """Float quantities (Tryton stores some as float) as exact decimals of their shortest repr."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


class EntityAdapter:
    """Reads and writes one canonical entity as one Tryton model (plus its nested records)."""

    entity: ClassVar[str]
    model: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]
    domain: ClassVar[Domain] = []
    batch_create: ClassVar[bool] = True
    """Creates need no buttons afterwards, so many can go in one ``create`` call."""

    def __init__(self, client: TrytonClient, refs: ReferenceData, options: Mapping[str, Any]) -> None:
        self.client = client
        self.refs = refs
        self.options = options

    def call(self, method: str, *params: Any, model: str | None = None) -> Any:
        return self.client.model(model or self.model, method, *params)

    def company_currency(self) -> int | None:
        """The id of the company's currency (amounts of credit limits and costs are in it)."""
        if not hasattr(self, "_currency"):
            company = self.client.context.get("company")
            self._currency = (
                self.call("read", [company], ["currency"], model="company.company")[0]["currency"]
                if company
                else None
            )
        return self._currency

    def read_rows(self, domain: Domain, *, limit: int | None, order: Sequence[Sequence[str]]) -> list[dict]:
        return list(
            self.call(
                "search_read",
                self.full_domain(domain),
                0,
                limit,
                [list(o) for o in order],
                self.read_fields(),
            )
        )

    def full_domain(self, domain: Domain) -> Domain:
        return ["AND", self.domain, domain] if self.domain else domain

    def read_fields(self) -> list[str]:
        return ["last_modified_at", *self.fields]

    # -- to implement ------------------------------------------------------------------------------
    def shape(self, rows: list[dict]) -> list[dict[str, Any]]:
        """Tryton rows -> native records (codes for reference data, string ids, nested children)."""
        raise NotImplementedError

    def create_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Native record -> values for ``create``; raises :class:`RecordProblem` for bad input."""
        raise NotImplementedError

    def after_create(self, record_id: int, data: Mapping[str, Any]) -> None:
        """Buttons to press once created (quote, confirm)."""

    def update(self, record_id: int, data: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def delete(self, record_id: int) -> None:
        self.call("delete", [record_id])

    @staticmethod
    def modified(row: Mapping[str, Any]) -> datetime | None:
        return row.get("last_modified_at")

"""The canonical model: one shape per business entity, whatever system a record came from.

Mappings translate native records to these models and back; the merge and the store only ever
see canonical records (as JSON-compatible dicts produced by :func:`to_canonical_dict`).

Rules every model follows:
- money is a :class:`Money` (``Decimal`` amount + ISO 4217 currency), never a float;
- timestamps are timezone-aware and normalised to UTC (:data:`UtcDateTime`);
- strings are kept exactly as given (no stripping or case folding), so CJK and RTL text round-trips;
- references to other entities hold the *canonical id* of the linked record (``*_id`` fields).
"""

from __future__ import annotations

import types
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints

__all__ = [
    "CANONICAL_FORM",
    "ENTITIES",
    "LIST_KEYS",
    "Address",
    "CanonicalModel",
    "Complaint",
    "Contact",
    "CountryCode",
    "CurrencyCode",
    "Customer",
    "Money",
    "OrderLine",
    "Product",
    "ProductCost",
    "Quote",
    "QuoteLine",
    "SalesOrder",
    "UtcDateTime",
    "bare_annotation",
    "decimal_text",
    "entity_model",
    "to_canonical_dict",
    "validate_canonical",
]


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError("timestamp must carry a timezone (e.g. 2026-01-31T12:00:00Z)")
    return value.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]
"""A timezone-aware timestamp, stored in UTC."""

CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""ISO 4217 alphabetic code, e.g. EUR."""

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
"""ISO 3166-1 alpha-2 code, e.g. DE."""


CANONICAL_FORM = "2"
"""Bumped whenever the canonical form of the same input changes (2: one text per number), so caches
keyed by it (the native hashes of unchanged records) are recomputed."""


def decimal_text(value: Decimal) -> str:
    """The one text of a number, whatever its exponent: ``2``, ``2.0`` and ``2.00`` are all ``"2"``.

    Systems store numbers with their own scale (Tryton reads a quantity as ``2.0``, BottleCRM as
    ``2.00``); merging, hashing and echo suppression compare this text, so equal values must give
    equal text. Plain notation, never exponents (``1E+2`` is ``"100"``); negative zero is ``"0"``.
    """
    # Trailing fractional zeros go from the exact text: Decimal.normalize() would round to the
    # context's 28 digits, and a canonical form must never change a value.
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("0", "-0") else text


CanonicalDecimal = Annotated[
    Decimal, Field(allow_inf_nan=False), PlainSerializer(decimal_text, return_type=str, when_used="json")
]
"""An exact number whose JSON form is :func:`decimal_text`."""

NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]
CanonicalId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Quantity = CanonicalDecimal


class CanonicalModel(BaseModel):
    """Base of every canonical entity and part: strict about unknown keys, no coercion of text."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=False)


class Money(CanonicalModel):
    """An amount of money. ``Decimal`` keeps cents exact; the currency travels with the amount."""

    amount: CanonicalDecimal
    currency: CurrencyCode


class Address(CanonicalModel):
    """A postal address. Addresses of one customer are merged by ``kind``."""

    kind: Literal["invoice", "delivery", "other"] = "other"
    street: str | None = None
    street2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = None
    country: CountryCode | None = None


class Contact(CanonicalModel):
    """A person at a customer. Contacts are merged by ``email`` (or ``name`` when there is none)."""

    name: NonEmptyStr
    email: str | None = None
    phone: str | None = None
    role: str | None = None


class Customer(CanonicalModel):
    name: NonEmptyStr
    legal_form: str | None = None
    tax_id: str | None = None
    addresses: list[Address] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    currency: CurrencyCode | None = None
    credit_limit: Money | None = None
    payment_terms: str | None = None
    active: bool = True


class Product(CanonicalModel):
    sku: NonEmptyStr
    name: NonEmptyStr
    description: str | None = None
    unit: str = "unit"
    list_price: Money | None = None
    active: bool = True


class QuoteLine(CanonicalModel):
    """One quoted product. Lines are merged by ``product_id``."""

    product_id: CanonicalId
    description: str | None = None
    quantity: Quantity
    unit_price: Money
    discount_percent: Annotated[CanonicalDecimal, Field(ge=0, le=100)] = Decimal("0")


class Quote(CanonicalModel):
    number: str | None = None
    customer_id: CanonicalId
    status: Literal["draft", "sent", "accepted", "rejected", "expired"] = "draft"
    currency: CurrencyCode
    valid_until: date | None = None
    lines: list[QuoteLine] = Field(default_factory=list)
    total: Money | None = None


class OrderLine(CanonicalModel):
    """One ordered product. Lines are merged by ``product_id``."""

    product_id: CanonicalId
    description: str | None = None
    quantity: Quantity
    unit_price: Money
    delivered_quantity: Quantity | None = None


class SalesOrder(CanonicalModel):
    number: str | None = None
    customer_id: CanonicalId
    quote_id: CanonicalId | None = None
    quote_reference: str | None = None
    status: Literal["draft", "confirmed", "processing", "done", "cancelled"] = "draft"
    delivery_status: Literal["none", "partial", "delivered"] = "none"
    invoice_status: Literal["none", "partial", "invoiced", "paid"] = "none"
    currency: CurrencyCode
    order_date: date | None = None
    lines: list[OrderLine] = Field(default_factory=list)
    total: Money | None = None


class ProductCost(CanonicalModel):
    """A product's cost. With ``order_id`` set it is the actual cost of that product on that order."""

    product_id: CanonicalId
    cost: Money
    method: Literal["standard", "average", "fifo", "actual"] = "standard"
    effective_date: date
    order_id: CanonicalId | None = None
    quantity: Quantity | None = None


class Complaint(CanonicalModel):
    customer_id: CanonicalId
    order_id: CanonicalId | None = None
    order_reference: str | None = None
    subject: NonEmptyStr
    description: str | None = None
    status: Literal["new", "open", "in_progress", "resolved", "closed", "rejected"] = "new"
    priority: Literal["low", "medium", "high", "urgent"] = "medium"
    resolution: str | None = None
    reported_at: UtcDateTime | None = None


ENTITIES: dict[str, type[CanonicalModel]] = {
    "customer": Customer,
    "product": Product,
    "quote": Quote,
    "sales_order": SalesOrder,
    "product_cost": ProductCost,
    "complaint": Complaint,
}
"""Entity name (as used in config, mappings and the store) -> canonical model."""

LIST_KEYS: dict[str, tuple[str, ...]] = {
    "addresses": ("kind",),
    "contacts": ("email", "name"),
    "lines": ("product_id",),
}
"""How list items are identified when merging: the first of these fields that has a value."""


def entity_model(entity: str) -> type[CanonicalModel]:
    """The model class of an entity name, with an error that lists the known names."""
    try:
        return ENTITIES[entity]
    except KeyError:
        known = ", ".join(sorted(ENTITIES))
        raise KeyError(f"unknown entity {entity!r}; known entities: {known}") from None


def validate_canonical(entity: str, data: dict[str, Any]) -> CanonicalModel:
    """Validate one canonical record (raises ``pydantic.ValidationError`` naming the field)."""
    return entity_model(entity).model_validate(data)


def to_canonical_dict(record: CanonicalModel) -> dict[str, Any]:
    """The JSON-compatible form used for merging, hashing and snapshots.

    Decimals become strings (exact, in the one form of :func:`decimal_text`), dates and timestamps
    ISO 8601 strings; ``None`` fields are kept so that a field cleared on one side is a visible change.
    """
    return record.model_dump(mode="json")


def bare_annotation(annotation: Any) -> Any:
    """A field's type without ``Annotated[...]`` and ``| None``: the model, list or scalar inside."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation

"""Field definitions and Odoo's value conversions: what a write stores, what a read returns.

Conversions follow Odoo 17-19 ``odoo/fields.py``: numbers are coerced (``int(value or 0)``) and
rounded to their digits, a date string is parsed from its first ten characters, a datetime string
must be exactly ``YYYY-MM-DD HH:MM:SS`` (or a bare date), a selection refuses unknown keys with a
``ValueError`` (fault 1 / HTTP 500), and a many2one takes an int or a tuple: any other value - the
``[id, name]`` list a read returns, a string - silently becomes empty, as in Odoo.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = ["DATETIME_FORMAT", "Field", "format_datetime", "parse_date", "parse_datetime", "renamed"]

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
X2MANY = ("one2many", "many2many")
Selection = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Field:
    """One field of a model. ``compute`` and ``inverse`` name methods of the model class."""

    type: str
    string: str
    required: bool = False
    readonly: bool | None = None
    """None: read-only when computed without inverse (Odoo's default), else writable."""
    relation: str | None = None
    inverse_name: str | None = None
    """one2many: the many2one on the comodel that points back."""
    selection: Selection | Callable[[Any], Selection] | None = None
    default: Any = None
    """A value, or a callable taking the model (recordset) and returning one."""
    compute: str | None = None
    store: bool = True
    inverse: str | None = None
    depends: tuple[str, ...] = ()
    """Paths this computed field depends on: ``field``, ``one2many.field`` or ``many2one.field``."""
    digits: int | None = None
    ondelete: str = "set null"
    company_dependent: bool = False
    since: int = 0
    until: int = 99
    module: str | None = None
    """The module that adds the field; absent when that module is not installed."""
    help: str = ""

    @property
    def is_relational(self) -> bool:
        return self.type in ("many2one", *X2MANY)

    @property
    def stored(self) -> bool:
        return self.store and self.type != "one2many"

    @property
    def is_readonly(self) -> bool:
        """What ``fields_get`` reports (a view attribute: plain read-only fields are still written)."""
        if self.readonly is not None:
            return self.readonly
        return self.compute is not None and self.inverse is None

    def selection_keys(self, model: Any) -> list[str]:
        sel = self.selection(model) if callable(self.selection) else self.selection or ()
        return [key for key, _label in sel]

    def selection_pairs(self, model: Any) -> list[list[str]]:
        sel = self.selection(model) if callable(self.selection) else self.selection or ()
        return [[key, label] for key, label in sel]


def renamed(old: str, new: str, field: Field, *, version: int, string: str | None = None) -> dict[str, Field]:
    """A field Odoo renamed in ``version``: ``old`` before it, ``new`` from it on."""
    return {
        old: replace(field, until=version - 1),
        new: replace(field, since=version, string=string or field.string),
    }


def parse_date(value: Any) -> date | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.strptime(str(value)[:10], DATE_FORMAT).date()


def parse_datetime(value: Any) -> datetime | None:
    """Odoo's ``Datetime.to_datetime``: the format is cut to the value's length, so a bare date
    works and ``2024-01-02T10:00:00`` or a zone suffix does not."""
    if not value:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise ValueError(f"Datetime field expects a naive datetime: {value}")
        return value
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    text = str(value)
    return datetime.strptime(text, DATETIME_FORMAT[: len(text) - 2])


def format_datetime(value: datetime) -> str:
    return value.strftime(DATETIME_FORMAT)


def _round(value: float, digits: int | None) -> float:
    """Half-up on the decimal value, as Odoo's ``float_round`` (not Python's banker's rounding)."""
    if digits is None or not math.isfinite(value):
        return value
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def to_cache(field: Field, label: str, value: Any, model: Any) -> Any:
    """The stored value for a written one (x2many commands are applied elsewhere)."""
    kind = field.type
    if kind in ("char", "text", "html"):
        return None if value is None or value is False else str(value)
    if kind == "selection":
        if value is None or value is False:
            return None
        if value not in field.selection_keys(model):
            raise ValueError(f"Wrong value for {label}: {value!r}")
        return value
    if kind == "integer":
        return int(value or 0)
    if kind in ("float", "monetary"):
        return _round(float(value or 0.0), field.digits if kind == "float" else 2)
    if kind == "boolean":
        return bool(value)
    if kind == "date":
        return parse_date(value)
    if kind == "datetime":
        return parse_datetime(value)
    if kind == "many2one":
        if type(value) is int:
            return value or None
        if isinstance(value, tuple):
            return value[0] if value else None
        return None
    raise ValueError(f"Wrong value for {label}: {value!r}")


def empty_value(field: Field) -> Any:
    if field.type == "integer":
        return 0
    if field.type in ("float", "monetary"):
        return 0.0
    if field.type == "boolean":
        return False
    if field.type in X2MANY:
        return ()
    return None


def to_read(field: Field, value: Any) -> Any:
    """A stored value as ``read`` returns it (many2one pairs are made by the caller)."""
    if field.type in X2MANY:
        return list(value or ())
    if value is None:
        return False
    if field.type == "date":
        return value.strftime(DATE_FORMAT)
    if field.type == "datetime":
        return format_datetime(value)
    return value

"""Margin by customer, product or order: revenue of synced sales orders against the ERP's costs.

Pure: facts in, rows out, no I/O (``sources.py`` reads the facts from the state store).

- Revenue of a line is ``quantity x unit price``; only orders that are ``confirmed``,
  ``processing`` or ``done`` count (drafts and cancelled orders are no sale).
- Cost of a line is ``quantity x unit cost``. The unit cost is the order's *actual* cost of that
  product where the ERP provides one (a ``product_cost`` record with ``order_id`` set), else the
  product's current cost (standard or average, as the ERP values it).
- Amounts are never converted between currencies: a group has one row per currency, and a line
  whose cost is in another currency than the order (or has no cost at all) counts as a line
  without cost, so its margin is not claimed (``lines_without_cost`` says how many).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from sync_engine.model import decimal_text

__all__ = [
    "COUNTED_STATUSES",
    "CostFact",
    "Grouping",
    "LineFact",
    "MarginRow",
    "OrderFact",
    "margins",
    "rows_csv",
]

COUNTED_STATUSES = frozenset({"confirmed", "processing", "done"})
Grouping = Literal["customer", "product", "order"]
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class LineFact:
    product_id: str
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class OrderFact:
    """One synced sales order (its canonical snapshot, as both systems agreed on it)."""

    order_id: str
    number: str | None
    customer_id: str
    currency: str
    status: str
    order_date: str | None
    lines: tuple[LineFact, ...]


@dataclass(frozen=True)
class CostFact:
    """The ERP's unit cost of a product; with ``order_id`` the actual cost on that order."""

    product_id: str
    unit_cost: Decimal
    currency: str
    order_id: str | None = None


@dataclass
class MarginRow:
    """Revenue, cost and margin of one customer, product or order, in one currency."""

    key: str
    label: str
    currency: str
    orders: set[str] = field(default_factory=set)
    revenue: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    costed_revenue: Decimal = Decimal(0)
    """Revenue of the lines whose cost is known: the base of ``margin``."""
    lines: int = 0
    lines_without_cost: int = 0
    actual_cost_lines: int = 0
    """Lines costed with the ERP's actual cost of that order rather than the product's cost."""

    @property
    def margin(self) -> Decimal:
        return self.costed_revenue - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        if not self.costed_revenue:
            return None
        return (self.margin * 100 / self.costed_revenue).quantize(_CENT)

    def as_dict(self) -> dict[str, object]:
        percent = self.margin_percent
        return {
            "key": self.key,
            "label": self.label,
            "currency": self.currency,
            "orders": len(self.orders),
            "lines": self.lines,
            "revenue": decimal_text(self.revenue),
            "cost": decimal_text(self.cost),
            "margin": decimal_text(self.margin),
            "margin_percent": None if percent is None else decimal_text(percent),
            "lines_without_cost": self.lines_without_cost,
            "actual_cost_lines": self.actual_cost_lines,
        }


def margins(
    orders: Iterable[OrderFact],
    costs: Iterable[CostFact],
    *,
    by: Grouping,
    labels: Mapping[str, str] | None = None,
) -> list[MarginRow]:
    """Margin rows grouped ``by`` customer, product or order, the largest margin first.

    ``labels`` names customers and products by canonical id (orders are named by their number);
    an id without a label is shown as itself.
    """
    if by not in ("customer", "product", "order"):
        raise ValueError(f"margins can be grouped by customer, product or order, not {by!r}")
    names = labels or {}
    standard: dict[str, CostFact] = {}
    actual: dict[tuple[str, str], CostFact] = {}
    for cost in costs:
        if cost.order_id:
            actual[(cost.order_id, cost.product_id)] = cost
        else:
            standard[cost.product_id] = cost
    rows: dict[tuple[str, str], MarginRow] = {}
    for order in orders:
        if order.status not in COUNTED_STATUSES:
            continue
        for line in order.lines:
            key = {"customer": order.customer_id, "product": line.product_id, "order": order.order_id}[by]
            label = (order.number or order.order_id) if by == "order" else names.get(key, key)
            row = rows.setdefault((key, order.currency), MarginRow(key, label, order.currency))
            revenue = line.quantity * line.unit_price
            row.orders.add(order.order_id)
            row.lines += 1
            row.revenue += revenue
            cost = actual.get((order.order_id, line.product_id))
            if cost is not None and cost.currency == order.currency:
                row.actual_cost_lines += 1
            else:
                cost = standard.get(line.product_id)
            if cost is None or cost.currency != order.currency:
                row.lines_without_cost += 1
                continue
            row.cost += line.quantity * cost.unit_cost
            row.costed_revenue += revenue
    return sorted(rows.values(), key=lambda r: (-r.margin, r.label, r.currency))


CSV_COLUMNS = (
    "label",
    "currency",
    "orders",
    "lines",
    "revenue",
    "cost",
    "margin",
    "margin_percent",
    "lines_without_cost",
    "actual_cost_lines",
    "key",
)


def rows_csv(rows: Iterable[MarginRow], *, by: Grouping) -> str:
    """The rows as CSV (first column named after the grouping), amounts with two decimals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([by, *CSV_COLUMNS[1:-1], f"{by}_id"])
    for row in rows:
        percent = row.margin_percent
        writer.writerow(
            [
                _cell(row.label),
                row.currency,
                len(row.orders),
                row.lines,
                _money(row.revenue),
                _money(row.cost),
                _money(row.margin),
                "" if percent is None else f"{percent}",
                row.lines_without_cost,
                row.actual_cost_lines,
                row.key,
            ]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (names come from CRMs anyone may type into)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _money(value: Decimal) -> str:
    return f"{value.quantize(_CENT)}"

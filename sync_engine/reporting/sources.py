"""The facts of the margin report, read from the state store: what the flows last synced.

Orders come from the links of every ``sales_order`` flow, costs from every ``product_cost`` flow,
customer and product names from the ``customer`` and ``product`` flows. Each link's snapshot is the
canonical record both systems agreed on, so the report needs no call to either system.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sync_engine.config import Config
from sync_engine.reporting.margin import CostFact, LineFact, OrderFact
from sync_engine.reporting.names import display_name
from sync_engine.store import Store
from sync_engine.store.records import LinkRecord

__all__ = ["MarginFacts", "margin_facts"]


@dataclass
class MarginFacts:
    orders: list[OrderFact] = field(default_factory=list)
    costs: list[CostFact] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    """Customer and product names by canonical id."""
    order_customers: dict[str, str] = field(default_factory=dict)
    """Order canonical id -> customer canonical id."""
    order_ids: dict[str, dict[str, str]] = field(default_factory=dict)
    """Order canonical id -> system name -> that system's id of the order."""
    skipped: list[str] = field(default_factory=list)
    """Snapshots that could not be read as facts, with the reason (never silently dropped)."""


def _links(config: Config, store: Store, entity: str) -> Iterator[LinkRecord]:
    seen: set[str] = set()
    for name, flow in config.flows.items():
        if flow.entity != entity:
            continue
        for link in store.iter_links(name):
            if link.snapshot and link.canonical_id not in seen:
                seen.add(link.canonical_id)
                yield link


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{value!r} is not a number") from None


def _order(link: LinkRecord) -> OrderFact:
    snap = link.snapshot or {}
    lines = tuple(
        LineFact(
            product_id=str(line["product_id"]),
            quantity=_decimal(line["quantity"]),
            unit_price=_decimal(line["unit_price"]["amount"]),
        )
        for line in snap.get("lines") or ()
    )
    return OrderFact(
        order_id=link.canonical_id,
        number=display_name("sales_order", snap),
        customer_id=str(snap["customer_id"]),
        currency=str(snap["currency"]),
        status=str(snap.get("status") or "draft"),
        order_date=snap.get("order_date"),
        lines=lines,
    )


def _cost(link: LinkRecord) -> CostFact:
    snap = link.snapshot or {}
    return CostFact(
        product_id=str(snap["product_id"]),
        unit_cost=_decimal(snap["cost"]["amount"]),
        currency=str(snap["cost"]["currency"]),
        order_id=snap.get("order_id") or None,
    )


def margin_facts(config: Config, store: Store) -> MarginFacts:
    """Every synced order and cost, and the names to show them by."""
    facts = MarginFacts()
    for entity in ("customer", "product"):
        for link in _links(config, store, entity):
            label = display_name(entity, link.snapshot)
            if label:
                facts.labels[link.canonical_id] = label
    for link in _links(config, store, "sales_order"):
        try:
            order = _order(link)
        except (KeyError, TypeError, ValueError) as exc:
            facts.skipped.append(f"{link.flow} sales order {link.canonical_id}: {type(exc).__name__}: {exc}")
            continue
        facts.orders.append(order)
        facts.order_customers[order.order_id] = order.customer_id
        facts.order_ids[order.order_id] = dict(link.external_ids)
    for link in _links(config, store, "product_cost"):
        try:
            facts.costs.append(_cost(link))
        except (KeyError, TypeError, ValueError) as exc:
            facts.skipped.append(f"{link.flow} product cost {link.canonical_id}: {type(exc).__name__}: {exc}")
    return facts

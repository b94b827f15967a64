"""How people name a record: what the ops page and the reports show instead of canonical ids."""

from __future__ import annotations

from typing import Any

__all__ = ["display_name", "text"]


def display_name(entity: str, snapshot: dict[str, Any] | None) -> str | None:
    """How people name a record: a customer's name, a product's SKU and name, an order's number."""
    if not snapshot:
        return None
    if entity == "customer":
        return text(snapshot.get("name"))
    if entity == "product":
        sku, name = text(snapshot.get("sku")), text(snapshot.get("name"))
        return f"{sku} · {name}" if sku and name else sku or name
    if entity in ("quote", "sales_order"):  # an order by the ERP's number and the CRM quote it came from
        number, quote = text(snapshot.get("number")), text(snapshot.get("quote_reference"))
        return f"{number} · {quote}" if number and quote and number != quote else number or quote
    if entity == "complaint":
        return text(snapshot.get("subject"))
    return None


def text(value: Any) -> str | None:
    """A non-blank string, stripped; None for anything else."""
    return (value.strip() or None) if isinstance(value, str) else None

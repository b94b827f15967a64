"""``product_cost``: the ERP's cost of a catalogue product, kept in a tagged line of its description.

BottleCRM products have no cost field and, unlike estimates, cannot carry custom fields (``Product``
has no ``custom_fields`` column and its serializer a fixed field list). The closest honest place is
the product's own ``description``, which only staff see in the catalogue: the connector keeps one
machine-readable last line there,

    [ERP cost] erp_cost=7.25; erp_cost_currency=EUR; erp_cost_method=standard; erp_cost_date=2026-01-01

and hides it from the ``product`` entity (it strips the line on read and keeps it when the ERP
rewrites the description), so the products flow and the costs flow never see each other's data.
A ``product_cost`` record's id is the product's id; only products with that line are listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from connectors.bottlecrm.client import ApiRefusal
from connectors.bottlecrm.entity import BottleCrmEntity

__all__ = ["COST_FIELDS", "ProductCosts", "join_description", "split_description"]

COST_FIELDS = ("erp_cost", "erp_cost_currency", "erp_cost_method", "erp_cost_date")
TAG = "[ERP cost]"
_LINE = re.compile(r"(?:\n\n|\n|^)" + re.escape(TAG) + r" (?P<body>[^\n]*)$")


def split_description(text: str | None) -> tuple[str | None, dict[str, str] | None]:
    """A product description -> (what people wrote, the cost fields of its tagged line or None)."""
    if not text:
        return text, None
    found = _LINE.search(text)
    if found is None:
        return text, None
    cost: dict[str, str] = {}
    for part in found.group("body").split(";"):
        key, _, value = part.strip().partition("=")
        if key in COST_FIELDS:
            cost[key] = value.strip()
    rest = text[: found.start()]
    return (rest or None), cost


def join_description(text: str | None, cost: dict[str, Any] | None) -> str:
    """The description to store: ``text`` and, if given, the cost as its tagged last line."""
    if not cost:
        return text or ""
    line = TAG + " " + "; ".join(f"{key}={'' if cost.get(key) is None else cost[key]}" for key in COST_FIELDS)
    return f"{text}\n\n{line}" if text else line


def _native(product: dict[str, Any]) -> dict[str, Any] | None:
    _, cost = split_description(product.get("description"))
    if cost is None:
        return None
    return {
        "id": str(product["id"]),
        "product": str(product["id"]),
        **{k: cost.get(k) or None for k in COST_FIELDS},
    }


class ProductCosts(BottleCrmEntity):
    name = "product_cost"
    native = "product description"

    def scan(self, page_size: int) -> Iterator[list[dict[str, Any]]]:
        for rows in self._scan_list("invoices/products/", {}, page_size):
            yield [record for record in map(_native, rows) if record is not None]

    def fetch_one(self, record_id: str) -> dict[str, Any] | None:
        body = self._get_or_none(f"invoices/products/{record_id}/")
        return _native(body) if body else None

    def create(self, data: dict[str, Any], ref: str) -> str:
        """A cost is created on its product (``product``): the product's id is the cost's id."""
        product_id = data.get("product")
        if not product_id:
            raise ApiRefusal(
                400,
                "a product cost needs the BottleCRM product it belongs to; sync the product first",
                "product",
            )
        self._store(str(product_id), data)
        return str(product_id)

    def update(self, record_id: str, data: dict[str, Any]) -> None:
        self._store(record_id, data)

    def delete(self, record_id: str) -> None:
        body = self._get_or_none(f"invoices/products/{record_id}/")
        if body:
            text, cost = split_description(body.get("description"))
            if cost is not None:
                self._put(record_id, body, text or "")

    def _store(self, product_id: str, data: dict[str, Any]) -> None:
        body = self._get_or_none(f"invoices/products/{product_id}/")
        if not body:
            raise ApiRefusal(404, f"BottleCRM has no product {product_id} to hold this cost", "product")
        text, old = split_description(body.get("description"))
        cost = {**(old or {}), **{k: data[k] for k in COST_FIELDS if k in data}}
        self._put(product_id, body, join_description(text, cost))

    def _put(self, product_id: str, body: dict[str, Any], description: str) -> None:
        # BottleCRM's product PUT is partial: only the description changes.
        self.client.call("PUT", f"invoices/products/{product_id}/", json={"description": description})

"""product_cost = a product's cost price (``product.product.cost_price``) and its cost history.

Native shape (the record id is the product's id)::

    {"product": "5", "cost_price": Decimal, "cost_price_method": "fixed"|"average",
     "currency": "EUR" (company), "date": date of the last change,
     "history": [{"date": date, "cost_price": Decimal}]}

``history`` comes from ``product.product.cost_history`` (filled by completed stock moves of goods).
Tryton keeps the cost per company in a table not reachable over RPC, so the product row carries
change tracking: writing the cost through ``product.product`` moves its ``last_modified_at``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from connectors.tryton.entities.base import EntityAdapter, RecordProblem, as_id, ref_id


class ProductCostAdapter(EntityAdapter):
    entity = "product_cost"
    model = "product.product"
    fields: ClassVar[tuple[str, ...]] = ("cost_price", "cost_price_method")
    domain: ClassVar[list[Any]] = ["active", "in", [True, False]]
    batch_create = False

    def shape(self, rows: list[dict]) -> list[dict[str, Any]]:
        ids = [row["id"] for row in rows]
        history: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            for entry in self.call(
                "search_read", [["product", "in", ids]], 0, None, [["date", "ASC"]],
                ["product", "date", "cost_price"], model="product.product.cost_history",
            ):  # fmt: skip
                history[entry["product"]].append({"date": entry["date"], "cost_price": entry["cost_price"]})
        currency = self.refs.code_of("currency.currency", self.company_currency())
        return [
            {
                "product": as_id(row["id"]),
                "cost_price": row["cost_price"],
                "cost_price_method": row["cost_price_method"],
                "currency": currency,
                "date": row["last_modified_at"].date() if row["last_modified_at"] else None,
                "history": history[row["id"]],
            }
            for row in rows
        ]

    def create_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        raise AssertionError("product costs are created by writing the product's cost")

    def create_existing(self, data: Mapping[str, Any]) -> int:
        """A product's cost exists with the product: "creating" one sets it on that product."""
        product = ref_id(data.get("product"), "product")
        if product is None:
            raise RecordProblem("product", "field 'product' is missing; name the product whose cost this is")
        if not self.call("search", [["id", "=", product], self.domain], 0, 1, None):
            raise RecordProblem("product", f"product {product} does not exist in Tryton; sync products first")
        self.update(product, data)
        return product

    def update(self, record_id: int, data: Mapping[str, Any]) -> None:
        values = {k: data[k] for k in ("cost_price", "cost_price_method") if k in data}
        self.call("write", [record_id], values)

    def delete(self, record_id: int) -> None:
        self.call("write", [record_id], {"cost_price": 0})  # the product stays; its cost is cleared

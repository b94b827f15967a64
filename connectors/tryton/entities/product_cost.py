"""product_cost = a product's cost price (``product.product.cost_price``) and its cost history.

Native shape (the record id is the product's id)::

    {"product": "5", "cost_price": Decimal, "cost_price_method": "fixed"|"average",
     "currency": "EUR" (company), "date": date of the last change,
     "history": [{"date": date, "cost_price": Decimal}]}

``history`` comes from ``product.product.cost_history`` (filled by completed stock moves of goods).
Tryton keeps the cost per company in a table not reachable over RPC, so the product row carries
change tracking: writing the cost through ``product.product`` moves its ``last_modified_at``.

A cost exists with its product and cannot be deleted on its own: deletes are refused (a cost price
of zero would be a real cost of zero to Tryton's accounting); delete the product instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from connectors.base import RecordError
from connectors.tryton.entities.base import TrytonEntity, as_id, ref_id


class ProductCost(TrytonEntity):
    name = "product_cost"
    native = "product.product"
    fields: ClassVar[tuple[str, ...]] = ("cost_price", "cost_price_method")
    domain: ClassVar[list[Any]] = ["active", "in", [True, False]]
    batch_create = False
    can_delete = False

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

    def create(self, data: dict[str, Any], ref: str) -> str:
        """A product's cost exists with the product: "creating" one sets it on that product."""
        product = ref_id(data.get("product"), "product")
        if product is None:
            raise RecordError(
                "field 'product' is missing; name the product whose cost this is", field="product"
            )
        if not self._exists(product):
            raise RecordError(
                f"product {product} does not exist in Tryton; sync products first", field="product"
            )
        self.change(product, data)
        return str(product)

    def change(self, record_id: int, data: Mapping[str, Any]) -> None:
        product = {k: data[k] for k in ("cost_price",) if k in data}
        if "cost_price_method" not in data:
            self.call("write", [record_id], product)
            return
        # The method is the template's (read only on the variant): write both in one transaction,
        # so the variant's last_modified_at moves too.
        (row,) = self.call("read", [record_id], ["template"])
        template = {
            "cost_price_method": data["cost_price_method"],
            "products": [["write", [record_id], product]],
        }
        self.call("write", [row["template"]], template, model="product.template")

"""product_cost = a product's cost (``product.product.standard_price``); the record id is the product's.

Native shape::

    {"product": "5", "standard_price": Decimal, "currency": "EUR" (the company's),
     "date": the day of the product's last change}

The cost exists with its product: "creating" one sets it on that product, and it cannot be deleted
on its own (a cost of zero would be a real cost to Odoo's accounting): delete the product instead.
Where the product category's costing method is not ``standard``, Odoo computes the cost from stock
valuation and refuses or ignores a written one: sync costs only out of Odoo there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from connectors.base import RecordError
from connectors.odoo.entities.base import OdooEntity, as_decimal, ref_id, stamp


class ProductCost(OdooEntity):
    name = "product_cost"
    native = "product.product"
    fields: ClassVar[tuple[str, ...]] = ("standard_price",)
    batch_create = False
    can_delete = False

    def shape(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        currency = self.connector.company["currency"]
        return [
            {
                "product": str(row["id"]),
                "standard_price": as_decimal(row["standard_price"]),
                "currency": currency,
                "date": moment.date() if (moment := stamp(row["write_date"])) else None,
            }
            for row in rows
        ]

    def create(self, data: dict[str, Any], ref: str) -> str:
        product = ref_id(data.get("product"), "product")
        if not product:
            raise RecordError(
                "field 'product' is missing; name the product whose cost this is", field="product"
            )
        if not self.exists(int(product)):
            raise RecordError(
                f"product {product} does not exist in Odoo; sync products first", field="product"
            )
        values = self.write_values(int(product), data)
        if values:
            self.call("write", [int(product)], vals=values)
        return str(product)

    def write_values(self, record_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
        if "standard_price" not in data:
            return {}
        price = data["standard_price"]
        return {"standard_price": price if price is not None else 0.0}

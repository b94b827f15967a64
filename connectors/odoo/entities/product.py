"""product = ``product.product`` (the variant order lines point to) with its template's fields.

Native shape::

    {"default_code", "name", "description_sale", "list_price": Decimal, "uom": "Units", "type",
     "sale_ok", "active", "currency": "EUR" (the company's, read only)}

Created and written through ``product.product``: Odoo writes the template fields (name, price, unit,
type) to the template in the same call, and the variant is stamped with it. Archiving the variant
archives nothing else; a product on order lines cannot be deleted (archive it: ``deletes: archive``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from connectors.base import RecordError
from connectors.odoo.entities.base import OdooEntity, as_decimal, text

PLAIN = ("default_code", "name", "description_sale", "list_price", "type", "sale_ok", "active")


class Product(OdooEntity):
    name = "product"
    native = "product.product"
    fields: ClassVar[tuple[str, ...]] = (*PLAIN, "uom_id")

    def shape(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        currency = self.connector.company["currency"]
        return [
            {
                "default_code": text(row["default_code"]),
                "name": text(row["name"]),
                "description_sale": text(row["description_sale"]),
                "list_price": as_decimal(row["list_price"]),
                "uom": self.refs.code_of("uom", row["uom_id"]),
                "type": row["type"],
                "sale_ok": bool(row["sale_ok"]),
                "active": bool(row["active"]),
                "currency": currency,
            }
            for row in rows
        ]

    def _values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {k: data[k] if data[k] is not None else False for k in PLAIN if k in data}
        if "name" in values and not values["name"]:
            raise RecordError("field 'name' is empty; an Odoo product needs a name", field="name")
        if values.get("list_price") is False:
            values["list_price"] = 0.0
        if "uom" in data:
            uom = self.code("uom", data["uom"], "uom")
            if uom is False:
                raise RecordError("field 'uom' is empty; an Odoo product needs a unit", field="uom")
            values["uom_id"] = uom
        return values

    def create_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        values = self._values(data)
        if not values.get("name"):
            raise RecordError("field 'name' is missing; an Odoo product needs a name", field="name")
        return values

    def write_values(self, record_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
        return self._values(data)

"""product = ``product.product`` (the variant order lines point to) with its template's fields.

Native shape::

    {"default_code", "name", "description_sale", "list_price": Decimal, "uom": "Units", "type",
     "sale_ok", "active", "currency": "EUR" (the company's, read only)}

Created and written through ``product.product``: Odoo writes the template fields (name, price, unit,
type) to the template in the same call, and the variant is stamped with it. A change made on the
template alone (Odoo's product form edits the template) stamps only the template: a product's change
mark is the later of the two (``related.py``). Archiving the variant
archives nothing else; a product on order lines cannot be deleted (archive it: ``deletes: archive``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from connectors.base import RecordError
from connectors.odoo.entities.base import ALL, as_decimal, m2o, stamp, text
from connectors.odoo.entities.related import FollowsRelated

PLAIN = ("default_code", "name", "description_sale", "list_price", "type", "sale_ok", "active")


class Product(FollowsRelated):
    name = "product"
    native = "product.product"
    fields: ClassVar[tuple[str, ...]] = (*PLAIN, "uom_id")
    related_model = "product.template"
    related_fields = ("product_variant_ids",)

    def owners(self, row: dict[str, Any]) -> list[int]:
        return [int(i) for i in row["product_variant_ids"]]

    def related_stamps(self, ids: list[int]) -> dict[int, datetime]:
        if not ids:
            return {}
        variants = self.call("read", ids, fields=["product_tmpl_id"], context=ALL)
        template_of = {int(r["id"]): m2o(r["product_tmpl_id"]) for r in variants}
        templates = sorted({t for t in template_of.values() if t})
        rows = self.call("read", templates, model="product.template", fields=["write_date"], context=ALL)
        stamps = {int(r["id"]): stamp(r["write_date"]) for r in rows}
        return {i: s for i, t in template_of.items() if t and (s := stamps.get(t)) is not None}

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

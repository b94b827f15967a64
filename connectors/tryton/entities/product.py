"""product = ``product.product`` (the variant sales use) with its template's name, unit and price.

Native shape::

    {"code", "name", "description", "type": "goods"|"service"|..., "default_uom": "u"|"kg"|...,
     "list_price": Decimal, "cost_price": Decimal, "currency": "EUR" (company, read only),
     "active", "salable", "template": "12"}

Writes go through ``product.template`` with the variant written in the same call, so both rows
share one transaction and the variant's ``last_modified_at`` moves with template changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from connectors.base import RecordError
from connectors.tryton.entities.base import TrytonEntity, as_id
from connectors.tryton.refdata import UnknownCode

TEMPLATE_PLAIN = ("name", "type", "list_price", "active", "salable")
PRODUCT_PLAIN = ("description", "cost_price", "active")


class Product(TrytonEntity):
    name = "product"
    native = "product.product"
    create_model = "product.template"
    # prices live in per-company tables; Tryton's messages name those
    children: ClassVar[Mapping[str, str]] = {
        "product.list_price": "list_price",
        "product.cost_price": "cost_price",
    }
    fields: ClassVar[tuple[str, ...]] = (
        "code",
        "name",
        "description",
        "type",
        "default_uom",
        "cost_price",
        "active",
        "salable",
        "template",
        "template.list_price",
    )
    domain: ClassVar[list[Any]] = ["active", "in", [True, False]]

    def shape(self, rows: list[dict]) -> list[dict[str, Any]]:
        currency = self.refs.code_of("currency.currency", self.company_currency())
        return [
            {
                "code": row["code"],
                "name": row["name"],
                "description": row["description"] or None,
                "type": row["type"],
                "default_uom": self.refs.code_of("product.uom", row["default_uom"]),
                "list_price": (row.get("template.") or {}).get("list_price"),
                "cost_price": row["cost_price"],
                "currency": currency,
                "active": row["active"],
                "salable": row["salable"],
                "template": as_id(row["template"]),
            }
            for row in rows
        ]

    def _uom(self, data: Mapping[str, Any]) -> int | None:
        try:
            return self.refs.id_of("product.uom", data.get("default_uom"))
        except UnknownCode as exc:
            raise RecordError(
                f"field 'default_uom': {exc}; use a unit symbol such as u, kg, h, m", field="default_uom"
            ) from None

    def _split(self, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        template = {k: data[k] for k in TEMPLATE_PLAIN if k in data}
        product = {k: data[k] for k in PRODUCT_PLAIN if k in data}
        if "code" in data:
            product["suffix_code"] = data["code"]
        if "default_uom" in data:
            template["default_uom"] = template["sale_uom"] = self._uom(data)
        return template, product

    def create_values(self, data: Mapping[str, Any]) -> dict[str, Any]:
        template, product = self._split(data)
        if not template.get("name"):
            raise RecordError("field 'name' is missing; a Tryton product needs a name", field="name")
        template.setdefault("type", self.options.get("product_type", "goods"))
        template.setdefault("salable", True)
        if not template.get("default_uom"):
            template["default_uom"] = template["sale_uom"] = self.refs.id_of("product.uom", "u")
        template["products"] = [["create", [product]]]
        return template

    def created_ids(self, new_ids: list[int]) -> list[int]:
        """``create`` made templates; the entity's records are their (single) variants."""
        rows = self.call("read", list(new_ids), ["products"], model="product.template")
        variant = {row["id"]: row["products"][0] for row in rows}
        return [int(variant[template]) for template in new_ids]

    def change(self, record_id: int, data: Mapping[str, Any]) -> None:
        template, product = self._split(data)
        (row,) = self.call("read", [record_id], ["template"])
        template["products"] = [["write", [record_id], product]]
        self.call("write", [row["template"]], template, model="product.template")

    def remove(self, record_id: int) -> None:
        (row,) = self.call("read", [record_id], ["template"])
        self.call("delete", [row["template"]], model="product.template")

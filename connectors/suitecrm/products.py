"""``product`` and ``product_cost``: both are SuiteCRM AOS_Products.

A product is its catalogue fields (``part_number`` is the SKU, varchar(25); ``price`` required).
Its cost is a record of its own in SyncHub (the ERP owns it): ``cost`` plus the package's
``synchub_cost_date_c`` and ``synchub_cost_method_c`` of the same product, with the product's id.
SuiteCRM keeps no cost history; the ERP keeps it. Amounts are in SuiteCRM's system currency
(``currency`` option of the connection); a value in another currency is refused.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from connectors.base import RecordError
from connectors.suitecrm.client import Filter, Record
from connectors.suitecrm.custom_fields import DROPDOWNS
from connectors.suitecrm.entity import CurrencyMixin
from connectors.suitecrm.errors import RecordNotFound
from connectors.suitecrm.fields import Spec

__all__ = ["ProductCosts", "Products"]

PRODUCT_SPECS: dict[str, Spec] = {
    "part_number": Spec(max_length=25),
    "name": Spec(max_length=255, required=True),
    "description": Spec("text"),
    "price": Spec("decimal", required=True),
    "type": Spec("enum", options=("Good", "Service")),
}
COST_SPECS: dict[str, Spec] = {
    "cost": Spec("decimal"),
    "synchub_cost_date_c": Spec("date"),
    "synchub_cost_method_c": Spec(
        "enum", options=tuple(k for k in DROPDOWNS["synchub_cost_method_list"] if k), required=True
    ),
}


class Products(CurrencyMixin):
    name = "product"
    native = "AOS_Products"
    specs = PRODUCT_SPECS
    read_fields = tuple(PRODUCT_SPECS)
    decimals = ("price",)


class ProductCosts(CurrencyMixin):
    """The ERP's cost on the product; record id = product id. A create sets it on an existing product."""

    name = "product_cost"
    native = "AOS_Products"
    specs = COST_SPECS
    read_fields = tuple(COST_SPECS)
    decimals = ("cost",)
    dates = ("synchub_cost_date_c",)
    # a product has a cost of the ERP's once SyncHub wrote one (with its method); cleared on delete
    filters = (Filter("synchub_cost_method_c", "neq", ""),)

    def shape(self, row: Record) -> dict[str, Any]:
        return {"product": row.id, **super().shape(row)}

    def attributes(self, data: Mapping[str, Any], *, creating: bool) -> dict[str, str]:
        return super().attributes({k: v for k, v in data.items() if k != "product"}, creating=creating)

    def create(self, data: dict[str, Any], ref: str) -> Any:
        product = data.get("product")
        if not product:
            raise RecordError(
                "field 'product': a cost belongs to a product and none is given; sync the product first",
                field="product",
            )
        try:
            return self.update(str(product), data)
        except RecordError as exc:
            if "deleted in SuiteCRM" in str(exc):
                raise RecordError(f"field 'product': product {product} {exc}", field="product") from None
            raise

    def update(self, record_id: str, data: dict[str, Any]) -> Any:
        if data.get("product") not in (None, record_id):
            raise RecordError("field 'product': a cost cannot move to another product", field="product")
        return super().update(record_id, data)

    def delete(self, record_id: str) -> None:
        """The product stays; its cost fields are cleared."""
        with contextlib.suppress(RecordNotFound):  # the product is gone, and its cost with it
            self.client.update(self.native, record_id, dict.fromkeys(COST_SPECS, ""))

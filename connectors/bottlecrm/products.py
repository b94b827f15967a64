"""``product``: BottleCRM's product catalogue (``/api/invoices/products/``), used on estimate lines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.bottlecrm.costs import join_description, split_description
from connectors.bottlecrm.entity import BottleCrmEntity, pick

__all__ = ["PRODUCT_FIELDS", "Products"]

PRODUCT_FIELDS = ("sku", "name", "description", "price", "currency", "category", "is_active")


def _native(product: dict[str, Any]) -> dict[str, Any]:
    record = {"id": str(product["id"]), **pick(product, PRODUCT_FIELDS)}
    record["description"], _ = split_description(record["description"])  # the cost line is product_cost's
    return record


class Products(BottleCrmEntity):
    name = "product"
    native = "product"

    def scan(self, page_size: int) -> Iterator[list[dict[str, Any]]]:
        for rows in self._scan_list("invoices/products/", {}, page_size):
            yield [_native(row) for row in rows]

    def fetch_one(self, record_id: str) -> dict[str, Any] | None:
        body = self._get_or_none(f"invoices/products/{record_id}/")
        return _native(body) if body else None

    def create(self, data: dict[str, Any], ref: str) -> str:
        body = {k: v for k, v in data.items() if k in PRODUCT_FIELDS}
        reply = self.client.call("POST", "invoices/products/", json=body)
        return str(reply["product"]["id"])

    def update(self, record_id: str, data: dict[str, Any]) -> None:
        body = {k: v for k, v in data.items() if k in PRODUCT_FIELDS}
        if "description" in body:
            # Keep the cost line (costs.py) that the costs flow wrote under the description.
            current = self._get_or_none(f"invoices/products/{record_id}/") or {}
            _, cost = split_description(current.get("description"))
            body["description"] = join_description(body["description"], cost)
        if body:
            self.client.call("PUT", f"invoices/products/{record_id}/", json=body)

    def delete(self, record_id: str) -> None:
        self._delete(f"invoices/products/{record_id}/")

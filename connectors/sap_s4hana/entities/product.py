"""Products: the product master (API_PRODUCT_SRV, A_Product) with its description.

Native additions: ``ProductDescription``, the description (``to_Description``) in the connection's
``language``. Products declare no ETag: updates compare ``LastChangeDateTime`` with what was read
(see customer.py). Products cannot be deleted (``sap:deletable=false``); ``deletes: archive`` marks
them for deletion (``IsMarkedForDeletion``) instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from connectors.base import WriteRequest
from connectors.sap_s4hana.entities.base import Nav, SapEntity, Stream
from connectors.sap_s4hana.stamps import Instant, LocalDay

__all__ = ["Product"]

PRODUCTS = "API_PRODUCT_SRV"


class Product(SapEntity):
    name = "product"
    service = PRODUCTS
    entity_set = "A_Product"
    key = ("Product",)
    fields = (
        "Product",
        "ProductType",
        "BaseUnit",
        "IsMarkedForDeletion",
        "CreationDate",
        "LastChangeDateTime",
    )
    expand: ClassVar[Mapping[str, Nav]] = {
        "to_Description": Nav(("Product", "Language", "ProductDescription"))
    }
    lifted = ("ProductDescription",)
    change_stamp = ("LastChangeDateTime",)
    archive_hint = " (a deleted product is marked for deletion: IsMarkedForDeletion)"

    def streams(self) -> list[Stream]:
        # A product never changed since creation may carry no change stamp: found by creation day.
        return [
            Stream("LastChangeDateTime ne null", Instant("LastChangeDateTime")),
            Stream("LastChangeDateTime eq null", LocalDay("CreationDate")),
        ]

    def shape(self, data: dict[str, Any]) -> None:
        texts = data.pop("to_Description", None) or []
        wanted = [t for t in texts if t.get("Language") == self.settings.language]
        data["ProductDescription"] = wanted[0]["ProductDescription"] if wanted else None

    def create(self, request: WriteRequest) -> str:
        body = dict(request.data)
        text = body.pop("ProductDescription", None)
        if text:
            body["to_Description"] = [{"Language": self.settings.language, "ProductDescription": text}]
        return self.id_of(self.api.create(self.service, self.entity_set, body))

    def update(self, record_id: str, data: Mapping[str, Any]) -> str:
        super().update(record_id, data)
        if "ProductDescription" in data:
            key = {"Product": record_id, "Language": self.settings.language}
            text = {"ProductDescription": data["ProductDescription"]}
            if self.api.get(PRODUCTS, "A_ProductDescription", key) is None:
                if not data["ProductDescription"]:
                    return record_id
                self.api.create(PRODUCTS, "A_ProductDescription", {**key, **text})
            else:
                self.api.update(PRODUCTS, "A_ProductDescription", key, text, None)
        return record_id

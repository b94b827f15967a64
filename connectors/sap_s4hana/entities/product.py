"""Products: the product master (API_PRODUCT_SRV, A_Product) with its description and basic text.

Native additions, both in the connection's ``language``: ``ProductDescription``, the short
description (``to_Description``, 40 characters), and ``ProductBasicText``, the basic data text
(``to_ProductBasicText``, a long text: where a CRM's product description goes). Products declare
no ETag: updates compare ``LastChangeDateTime`` with what was read (see customer.py). Products
cannot be deleted (``sap:deletable=false``); ``deletes: archive`` marks them for deletion
(``IsMarkedForDeletion``) instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from connectors.base import NativeRecord
from connectors.sap_s4hana.entities.base import Nav, SapEntity, Stream
from connectors.sap_s4hana.stamps import Instant, LocalDay

__all__ = ["Product"]

PRODUCTS = "API_PRODUCT_SRV"


@dataclass(frozen=True)
class Text:
    """A text of the product kept per language in its own entity set, lifted into one native field."""

    lifted: str
    nav: str
    entity_set: str
    field: str


TEXTS = (
    Text("ProductDescription", "to_Description", "A_ProductDescription", "ProductDescription"),
    Text("ProductBasicText", "to_ProductBasicText", "A_ProductBasicText", "LongText"),
)


class Product(SapEntity):
    name = "product"
    service = PRODUCTS
    native = "A_Product"
    key = ("Product",)
    id_field = "Product"
    modified_field = "LastChangeDateTime"
    """Until the first change it may be empty: then the CreationDate (see streams)."""
    can_delete = False
    fields = (
        "Product",
        "ProductType",
        "BaseUnit",
        "IsMarkedForDeletion",
        "CreationDate",
        "LastChangeDateTime",
    )
    expand: ClassVar[Mapping[str, Nav]] = {
        "to_Description": Nav(("Product", "Language", "ProductDescription")),
        "to_ProductBasicText": Nav(("Product", "Language", "LongText")),
    }
    lifted = ("ProductDescription", "ProductBasicText")
    change_stamp = ("LastChangeDateTime",)
    archive_hint = " (a deleted product is marked for deletion: IsMarkedForDeletion)"
    fiori = ("Material-displayFactSheet", "Material")

    def streams(self) -> list[Stream]:
        # A product never changed since creation may carry no change stamp: found by creation day.
        return [
            Stream("LastChangeDateTime ne null", Instant("LastChangeDateTime")),
            Stream("LastChangeDateTime eq null", LocalDay("CreationDate")),
        ]

    def shape(self, data: dict[str, Any]) -> None:
        for text in TEXTS:
            found = [t for t in data.pop(text.nav, None) or [] if t.get("Language") == self.settings.language]
            data[text.lifted] = found[0][text.field] if found else None

    def create(self, data: dict[str, Any], ref: str) -> str | NativeRecord:
        body = dict(data)
        for text in TEXTS:
            value = body.pop(text.lifted, None)
            if value:
                body[text.nav] = [{"Language": self.settings.language, text.field: value}]
        return self.saved(self.api.create(self.service, self.native, body))

    def update(self, record_id: str, data: dict[str, Any]) -> str:
        super().update(record_id, data)
        for text in TEXTS:
            if text.lifted not in data:
                continue
            key = {"Product": record_id, "Language": self.settings.language}
            value = {text.field: data[text.lifted]}
            if self.api.get(PRODUCTS, text.entity_set, key) is not None:
                self.api.update(PRODUCTS, text.entity_set, key, value, None)
            elif data[text.lifted]:
                self.api.create(PRODUCTS, text.entity_set, {**key, **value})
        return record_id

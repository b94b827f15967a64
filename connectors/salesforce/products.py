"""Products: Product2 with its entry in the standard price book (the list price) as ``PricebookEntry``.

The entry is the one of the record's currency (of the org's one currency on single-currency orgs);
it is created with the product and updated afterwards (its ``CurrencyIsoCode``, ``Pricebook2Id`` and
``Product2Id`` are create-only, RULES P4).
"""

from __future__ import annotations

from connectors.salesforce.children import Child
from connectors.salesforce.entity import SObjectEntity

__all__ = ["Products"]


class Products(SObjectEntity):
    name = "product"
    native = "Product2"
    fields = ("Name", "ProductCode", "Description", "IsActive", "QuantityUnitOfMeasure", "CurrencyIsoCode")
    children = (
        Child(
            "PricebookEntry",
            "PricebookEntry",
            "Product2Id",
            ("UnitPrice", "CurrencyIsoCode", "IsActive"),
            ("CurrencyIsoCode",),
            many=False,
        ),
    )

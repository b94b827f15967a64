"""Which SAP API, entity set and fields hold each canonical entity, and how its changes are found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["ENTITY_SPECS", "EntitySpec"]


@dataclass(frozen=True)
class EntitySpec:
    entity: str
    service: str
    entity_set: str
    key: tuple[str, ...]
    fields: tuple[str, ...]
    """``$select``: only the properties the default mapping uses (override: option ``fields``)."""
    expand: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stamps: Literal["bp", "offset", "date"] = "offset"
    """bp: LastChangeDate+LastChangeTime, null until the first change, then CreationDate+CreationTime;
    offset: one ``Edm.DateTimeOffset`` (LastChangeDateTime); date: a day (PriceLastChangeDate)."""
    stamp_field: str = "LastChangeDateTime"
    writable: bool = True


ENTITY_SPECS: dict[str, EntitySpec] = {
    "customer": EntitySpec(
        "customer",
        "API_BUSINESS_PARTNER",
        "A_BusinessPartner",
        ("BusinessPartner",),
        (
            "BusinessPartner",
            "BusinessPartnerCategory",
            "OrganizationBPName1",
            "LegalForm",
            "BusinessPartnerIsBlocked",
            "CreationDate",
            "CreationTime",
            "LastChangeDate",
            "LastChangeTime",
        ),
        {
            "to_Customer": ("Customer", "VATRegistration"),
            "to_BusinessPartnerAddress": (
                "AddressID",
                "StreetName",
                "PostalCode",
                "CityName",
                "Region",
                "Country",
            ),
        },
        stamps="bp",
    ),
    "product": EntitySpec(
        "product",
        "API_PRODUCT_SRV",
        "A_Product",
        ("Product",),
        ("Product", "ProductType", "BaseUnit", "IsMarkedForDeletion", "LastChangeDateTime"),
        {"to_Description": ("Product", "Language", "ProductDescription")},
    ),
    "product_cost": EntitySpec(
        "product_cost",
        "API_PRODUCT_SRV",
        "A_ProductValuation",
        ("Product", "ValuationArea", "ValuationType"),
        (
            "Product",
            "ValuationArea",
            "ValuationType",
            "InventoryValuationProcedure",
            "StandardPrice",
            "MovingAveragePrice",
            "PriceUnitQty",
            "Currency",
            "PriceLastChangeDate",
        ),
        stamps="date",
        stamp_field="PriceLastChangeDate",
        writable=False,
    ),
    "sales_order": EntitySpec(
        "sales_order",
        "API_SALES_ORDER_SRV",
        "A_SalesOrder",
        ("SalesOrder",),
        (
            "SalesOrder",
            "SoldToParty",
            "PurchaseOrderByCustomer",
            "ExternalDocumentID",
            "SalesOrderDate",
            "TransactionCurrency",
            "TotalNetAmount",
            "OverallSDProcessStatus",
            "OverallTotalDeliveryStatus",
            "LastChangeDateTime",
        ),
        {
            "to_Item": (
                "SalesOrderItem",
                "Material",
                "SalesOrderItemText",
                "RequestedQuantity",
                "RequestedQuantityUnit",
                "NetAmount",
            )
        },
    ),
    "complaint": EntitySpec(
        "complaint",
        "API_CUSTOMER_RETURN_SRV",
        "A_CustomerReturn",
        ("CustomerReturn",),
        (
            "CustomerReturn",
            "SoldToParty",
            "SDDocumentReason",
            "PurchaseOrderByCustomer",
            "ReferenceSDDocument",
            "OverallSDProcessStatus",
            "CreationDate",
            "LastChangeDateTime",
        ),
    ),
}

"""Records as SAP holds them (JSON wire values), for seeding the emulator the way SAP users would."""

from __future__ import annotations

from typing import Any

BP, PRODUCT_SRV, ORDERS, RETURNS = (
    "API_BUSINESS_PARTNER",
    "API_PRODUCT_SRV",
    "API_SALES_ORDER_SRV",
    "API_CUSTOMER_RETURN_SRV",
)
SALES_AREA = {"SalesOrganization": "1010", "DistributionChannel": "10", "Division": "00"}
DOCUMENT_AREA = {"SalesOrganization": "1010", "DistributionChannel": "10", "OrganizationDivision": "00"}


def customer(
    name: str,
    *,
    vat: str = "DE811907980",
    city: str = "Berlin",
    blocked: bool | None = False,
    sales_area: dict[str, str] | None = SALES_AREA,
) -> dict[str, Any]:
    """An organisation in both customer roles, with company code and sales area data."""
    body: dict[str, Any] = {
        "OrganizationBPName1": name,
        "BusinessPartnerCategory": "2",
        "BusinessPartnerIsBlocked": blocked,
        "to_BusinessPartnerRole": [{"BusinessPartnerRole": "FLCU00"}, {"BusinessPartnerRole": "FLCU01"}],
        "to_Customer": {
            "VATRegistration": vat,
            "to_CustomerCompany": [{"CompanyCode": "1010"}],
            "to_CustomerSalesArea": [{**sales_area, "Currency": "EUR"}] if sales_area else [],
        },
        "to_BusinessPartnerAddress": [
            {"StreetName": "Königsallee 1", "PostalCode": "40212", "CityName": city, "Country": "DE"}
        ],
    }
    return body


def product(sku: str, description: str | None = None, **values: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Product": sku,
        "ProductType": "FERT",
        "BaseUnit": "PC",
        "IsMarkedForDeletion": False,
    }
    if description is not None:
        body["to_Description"] = [{"Language": "EN", "ProductDescription": description}]
    return {**body, **values}


def order(party: str, *items: tuple[str, str, str | None], reference: str = "PO-1") -> dict[str, Any]:
    """A sales order; items are (material, quantity, manual unit price or None)."""
    return {
        "SalesOrderType": "OR",
        **DOCUMENT_AREA,
        "SoldToParty": party,
        "PurchaseOrderByCustomer": reference,
        "TransactionCurrency": "EUR",
        "to_Item": [
            {
                "Material": material,
                "RequestedQuantity": quantity,
                "RequestedQuantityUnit": "PC",
                **(
                    {"to_PricingElement": [{"ConditionType": "PPR0", "ConditionRateValue": price}]}
                    if price is not None
                    else {}
                ),
            }
            for material, quantity, price in items
        ],
    }


def customer_return(
    party: str, material: str, *, reason: str = "103", reference: str | None = None
) -> dict[str, Any]:
    return {
        "CustomerReturnType": "CBAR",
        **DOCUMENT_AREA,
        "SoldToParty": party,
        "SDDocumentReason": reason,
        "PurchaseOrderByCustomer": "Pump arrived broken",
        "ReferenceSDDocument": reference,
        "to_Item": [
            {
                "Material": material,
                "RequestedQuantity": "1",
                "RequestedQuantityUnit": "PC",
                "ReturnReason": reason,
                "ReferenceSDDocument": reference,
            }
        ],
    }

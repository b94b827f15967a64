"""S/4HANA's application behaviour behind the APIs, as far as SyncHub's flows meet it.

The EDMX says what a client may send; these are the checks and derivations SAP's applications add
(all answered as ``business`` refusals). Each is either documented by SAP or a stated assumption
(docs/connectors/sap_s4hana.md lists which):

Business partners
  - a customer (``A_Customer``) exists only for a partner in a customer role: FLCU00 (company
    code data, ``to_CustomerCompany``) or FLCU01 (sales data, ``to_CustomerSalesArea``). SAP creates
    the customer, with the partner's number, when such a role is added; ``A_Customer`` itself is
    not creatable.
Sales documents (orders, customer returns)
  - need a document type, a sales area and a sold-to party that is a customer with data in that
    sales area; items need a known material and a positive quantity;
  - prices come from pricing elements: a manual price condition (``manual_conditions``, PPR0) sent
    with the item, else the material's list price (``list_prices``), else none (net value 0);
    SAP computes the item net amounts and the document's total, and sets the open statuses.
Customer returns (documented for API_CUSTOMER_RETURN_SRV: created only by deep insert with items)
  - at least one item; every item has a return reason (assumed: Advanced Returns Management
    requires one); a referenced sales order must exist (assumed).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tests.emulators.sap.data import Key, Record, items_of
from tests.emulators.sap.errors import SapError
from tests.emulators.sap.metadata import EntitySet

if TYPE_CHECKING:
    from tests.emulators.sap.server import SapEmulator

__all__ = ["BP", "CUSTOMER_ROLES", "ORDERS", "PRODUCTS", "RETURNS", "Rules"]

BP, PRODUCTS, ORDERS, RETURNS = (
    "API_BUSINESS_PARTNER",
    "API_PRODUCT_SRV",
    "API_SALES_ORDER_SRV",
    "API_CUSTOMER_RETURN_SRV",
)
CUSTOMER_ROLES = {"FLCU00": "to_CustomerCompany", "FLCU01": "to_CustomerSalesArea"}
SALES_DOCUMENTS = {
    (ORDERS, "A_SalesOrder"): "SalesOrderType",
    (RETURNS, "A_CustomerReturn"): "CustomerReturnType",
}
SALES_ITEMS = {(ORDERS, "A_SalesOrderItem"), (RETURNS, "A_CustomerReturnItem")}


def _refuse(message: str, target: str = "", status: int = 400) -> SapError:
    return SapError(status, "V1/302", message, target, kind="business")


def _decimal(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value not in (None, "") else None


class Rules:
    def __init__(self, sap: SapEmulator) -> None:
        self.sap = sap

    def _rows(self, service: str, entity_set: str) -> dict[Key, Record]:
        return self.sap.data[service].rows[entity_set]

    # -- before a create --------------------------------------------------------------------------
    def check_create(self, service: str, entity_set: EntitySet, body: Record, parent: Record | None) -> None:
        name = entity_set.name
        if (service, name) == (BP, "A_BusinessPartner"):
            self._check_partner(body)
        elif (service, name) in {(BP, "A_CustomerCompany"), (BP, "A_CustomerSalesArea")}:
            customer = (parent or body).get("Customer")
            role = "FLCU00" if name == "A_CustomerCompany" else "FLCU01"
            if (customer,) not in self._rows(BP, "A_Customer"):
                raise _refuse(
                    f"Customer {customer} does not exist; add role {role} to the business partner first"
                )
            if (customer, role) not in self._rows(BP, "A_BusinessPartnerRole"):
                raise _refuse(f"Business partner {customer} has no role {role}; {name} needs it")
        elif (service, name) in SALES_DOCUMENTS:
            self._check_sales_document(service, name, body)
        elif (service, name) in SALES_ITEMS and parent is not None:
            self._check_items(service, name.removesuffix("Item"), [body])

    def _check_partner(self, body: Record) -> None:
        roles = {r.get("BusinessPartnerRole") for r in items_of(body.get("to_BusinessPartnerRole"))}
        customer = body.get("to_Customer")
        if customer is None:
            return
        if not roles & set(CUSTOMER_ROLES):
            raise _refuse(
                "Customer data (to_Customer) needs a customer role: add FLCU00 and/or FLCU01 to "
                "to_BusinessPartnerRole",
                "to_Customer",
            )
        for role, nav in CUSTOMER_ROLES.items():
            if items_of(customer.get(nav)) and role not in roles:
                raise _refuse(f"{nav} needs business partner role {role}", nav)

    def _check_sales_document(self, service: str, name: str, body: Record) -> None:
        type_field = SALES_DOCUMENTS[(service, name)]
        required = (
            type_field,
            "SalesOrganization",
            "DistributionChannel",
            "OrganizationDivision",
            "SoldToParty",
        )
        for field in required:
            if not body.get(field):
                raise _refuse(f"Enter a value for {field}", field)
        party = body["SoldToParty"]
        if (party,) not in self._rows(BP, "A_Customer"):
            raise _refuse(f"Sold-to party {party} does not exist as a customer", "SoldToParty")
        area = (party, body["SalesOrganization"], body["DistributionChannel"], body["OrganizationDivision"])
        if area not in self._rows(BP, "A_CustomerSalesArea"):
            raise _refuse(
                f"Customer {party} is not defined for sales area {'/'.join(area[1:])} "
                "(no sales area data in the customer master)",
                "SoldToParty",
            )
        items = items_of(body.get("to_Item"))
        if name == "A_CustomerReturn":
            if not items:
                raise _refuse(
                    "A customer return is created with its items (deep insert of to_Item)", "to_Item"
                )
            reference = body.get("ReferenceSDDocument")
            if reference and (reference,) not in self._rows(ORDERS, "A_SalesOrder"):
                raise _refuse(f"Sales document {reference} is not in the database", "ReferenceSDDocument")
        self._check_items(service, name, items)

    def _check_items(self, service: str, document: str, items: list[Record]) -> None:
        products = self._rows(PRODUCTS, "A_Product")
        for item in items:
            material = item.get("Material")
            if not material or (str(material).upper(),) not in products:
                raise _refuse(f"Material {material} does not exist", "Material")
            quantity = _decimal(item.get("RequestedQuantity"))
            if quantity is None or quantity <= 0:
                raise _refuse(
                    f"Enter a quantity greater than zero for material {material}", "RequestedQuantity"
                )
            if document == "A_CustomerReturn":
                if not item.get("ReturnReason"):
                    raise _refuse(f"Enter a return reason for material {material}", "ReturnReason")
                reference = item.get("ReferenceSDDocument")
                if reference and (reference,) not in self._rows(ORDERS, "A_SalesOrder"):
                    raise _refuse(f"Sales document {reference} is not in the database", "ReferenceSDDocument")
            for element in items_of(item.get("to_PricingElement")):
                kind = element.get("ConditionType")
                if kind not in self.sap.manual_conditions:
                    raise _refuse(f"Condition type {kind} cannot be entered manually", "ConditionType")
                if _decimal(element.get("ConditionRateValue")) is None:
                    raise _refuse(f"Enter a rate for condition {kind}", "ConditionRateValue")

    # -- after a create ---------------------------------------------------------------------------
    def after_create(self, service: str, entity_set: EntitySet, record: Record) -> None:
        name = entity_set.name
        if (service, name) in {(BP, "A_BusinessPartner"), (BP, "A_BusinessPartnerRole")}:
            self._customer_for_roles(record["BusinessPartner"])
        elif (service, name) in SALES_DOCUMENTS:
            self.price(service, entity_set, record)
            for status in ("OverallSDProcessStatus", "OverallTotalDeliveryStatus"):
                if status in entity_set.type.properties and record.get(status) is None:
                    record[status] = "A"  # open: not yet processed, nothing delivered

    def _customer_for_roles(self, partner: str) -> None:
        roles = {k[1] for k in self._rows(BP, "A_BusinessPartnerRole") if k[0] == partner}
        if not roles & set(CUSTOMER_ROLES):
            return
        data = self.sap.data[BP]
        if (partner,) not in data.rows["A_Customer"]:
            customers = self.sap.services[BP].sets["A_Customer"]
            data.create(customers, {"Customer": partner})
        data.rows["A_BusinessPartner"][(partner,)]["Customer"] = partner

    def price(self, service: str, documents: EntitySet, document: Record) -> None:
        """Item net amounts from their price condition, the document's total from its items."""
        data = self.sap.data[service]
        items_set = data.model.set_of_type(documents.type.navs["to_Item"].target_type)
        total = Decimal(0)
        currency = document.get("TransactionCurrency")
        for item in data.children(documents, document, "to_Item"):
            quantity = _decimal(item.get("RequestedQuantity")) or Decimal(0)
            elements = data.children(items_set, item, "to_PricingElement")
            manual = [e for e in elements if e.get("ConditionType") in self.sap.manual_conditions]
            rate = _decimal(manual[0].get("ConditionRateValue")) if manual else None
            per = (_decimal(manual[0].get("ConditionQuantity")) or Decimal(1)) if manual else Decimal(1)
            if rate is None:
                rate = self.sap.list_prices.get(str(item.get("Material")))
            amount = (rate * quantity / per).quantize(Decimal("0.001")) if rate is not None else Decimal(0)
            for element in manual:
                if element.get("ConditionQuantity") is None:
                    element["ConditionQuantity"] = per
                element["ConditionCurrency"] = element.get("ConditionCurrency") or currency
                element["TransactionCurrency"] = currency
                element["ConditionAmount"] = amount
            item["NetAmount"] = amount
            item["TransactionCurrency"] = currency
            total += amount
        document["TotalNetAmount"] = total

"""The SAP business objects SyncHub syncs, one class per canonical entity."""

from connectors.sap_s4hana.entities.base import Nav, SapEntity, Stream
from connectors.sap_s4hana.entities.complaint import Complaint
from connectors.sap_s4hana.entities.customer import Customer
from connectors.sap_s4hana.entities.product import Product
from connectors.sap_s4hana.entities.product_cost import ProductCost
from connectors.sap_s4hana.entities.sales_order import SalesOrder

__all__ = ["ENTITIES", "Nav", "SapEntity", "Stream"]

ENTITIES: dict[str, type[SapEntity]] = {
    cls.name: cls for cls in (Customer, Product, ProductCost, SalesOrder, Complaint)
}

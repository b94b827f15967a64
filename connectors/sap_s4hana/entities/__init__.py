"""The SAP business objects SyncHub syncs, one SDK entity class per canonical entity."""

from connectors.sap_s4hana.entities.base import Nav, SapEntity, Stream
from connectors.sap_s4hana.entities.complaint import Complaint
from connectors.sap_s4hana.entities.customer import Customer
from connectors.sap_s4hana.entities.product import Product
from connectors.sap_s4hana.entities.product_cost import ProductCost
from connectors.sap_s4hana.entities.sales_order import SalesOrder

__all__ = ["ENTITY_TYPES", "Nav", "SapEntity", "Stream"]

ENTITY_TYPES: tuple[type[SapEntity], ...] = (Customer, Product, ProductCost, SalesOrder, Complaint)

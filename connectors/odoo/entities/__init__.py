"""One :class:`~connectors.odoo.entities.base.OdooEntity` per canonical entity: its Odoo model, its
shape and its writes."""

from connectors.odoo.entities.base import OdooEntity
from connectors.odoo.entities.complaint import Complaint
from connectors.odoo.entities.customer import Customer
from connectors.odoo.entities.product import Product
from connectors.odoo.entities.product_cost import ProductCost
from connectors.odoo.entities.sale import Quote, SalesOrder

ENTITY_TYPES: tuple[type[OdooEntity], ...] = (Customer, Product, Quote, SalesOrder, ProductCost, Complaint)

__all__ = ["ENTITY_TYPES", "OdooEntity"]

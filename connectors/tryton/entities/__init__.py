"""One :class:`~connectors.tryton.entities.base.TrytonEntity` per canonical entity: its Tryton model,
its shape and its writes."""

from connectors.tryton.entities.base import TrytonEntity
from connectors.tryton.entities.complaint import Complaint
from connectors.tryton.entities.customer import Customer
from connectors.tryton.entities.product import Product
from connectors.tryton.entities.product_cost import ProductCost
from connectors.tryton.entities.sale import Quote, SalesOrder

ENTITY_TYPES: tuple[type[TrytonEntity], ...] = (Customer, Product, Quote, SalesOrder, ProductCost, Complaint)

__all__ = ["ENTITY_TYPES", "TrytonEntity"]

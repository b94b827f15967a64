"""One adapter per canonical entity: which Tryton model holds it and how its records look."""

from connectors.tryton.entities.base import EntityAdapter, RecordProblem
from connectors.tryton.entities.complaint import ComplaintAdapter
from connectors.tryton.entities.customer import CustomerAdapter
from connectors.tryton.entities.product import ProductAdapter
from connectors.tryton.entities.product_cost import ProductCostAdapter
from connectors.tryton.entities.sale import SaleAdapter, SalesOrderAdapter

ADAPTERS: dict[str, type[EntityAdapter]] = {
    adapter.entity: adapter
    for adapter in (
        CustomerAdapter,
        ProductAdapter,
        SaleAdapter,
        SalesOrderAdapter,
        ProductCostAdapter,
        ComplaintAdapter,
    )
}

__all__ = ["ADAPTERS", "EntityAdapter", "RecordProblem"]

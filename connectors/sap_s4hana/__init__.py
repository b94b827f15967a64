"""SAP S/4HANA connector: OData v2 APIs (business partner, product, sales order, customer return)."""

from connectors.sap_s4hana.connector import SapS4HanaConnector

__all__ = ["SapS4HanaConnector"]

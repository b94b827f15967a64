"""The Salesforce connector (REST API through simple-salesforce); see docs/connectors/salesforce.md."""

from connectors.salesforce.connector import SalesforceConnector

__all__ = ["SalesforceConnector"]

"""Odoo (ERP) connector: two transports (JSON-2 for 19+, XML-RPC for 16-18), Odoo's errors as
connector errors, domains built as data, and one entity class per canonical entity."""

from connectors.odoo.connector import OdooConnector
from connectors.odoo.errors import OdooAuthError, OdooCallError, OdooFault
from connectors.odoo.settings import OdooSettings
from connectors.odoo.transport import OdooTransport, open_transport

__all__ = [
    "OdooAuthError",
    "OdooCallError",
    "OdooConnector",
    "OdooFault",
    "OdooSettings",
    "OdooTransport",
    "open_transport",
]

"""Odoo (ERP) connector, phase 1: the two transports (JSON-2 for 19+, XML-RPC for 16-18), Odoo's
errors as connector errors, and the domain builder. The entity classes come with the connector SDK."""

from connectors.odoo.errors import OdooAuthError, OdooCallError, OdooFault
from connectors.odoo.settings import OdooSettings
from connectors.odoo.transport import OdooTransport, open_transport

__all__ = ["OdooAuthError", "OdooCallError", "OdooFault", "OdooSettings", "OdooTransport", "open_transport"]

"""The Tryton ERP connector (JSON-RPC, Tryton 8.2). See docs/connectors/tryton.md."""

from connectors.tryton.connector import TrytonConnector

__all__ = ["TrytonConnector"]

"""An emulated Salesforce org for connector tests: REST, composite, Bulk 2.0 and OAuth, in-process."""

from .app import SalesforceEmulator
from .org import Org, sf_timestamp
from .transport import WsgiAdapter, emulator_session

__all__ = ["Org", "SalesforceEmulator", "WsgiAdapter", "emulator_session", "sf_timestamp"]

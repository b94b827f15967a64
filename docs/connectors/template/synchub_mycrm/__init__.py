"""SyncHub connector for MyCRM (template)."""

from synchub_mycrm.connector import MyCrmConnector

__all__ = ["MyCrmConnector"]

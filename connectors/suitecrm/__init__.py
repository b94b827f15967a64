"""SuiteCRM 7 connector (V8 JSON:API with OAuth2); see docs/connectors/suitecrm.md.

The connector (:class:`SuiteCrmConnector`, entry point ``suitecrm``) serves its entities on the
connector SDK; underneath are the client (:class:`SuiteCrmClient`), its settings, errors and wire
values, and the package of custom fields SyncHub needs.
"""

from connectors.suitecrm.client import Filter, Record, RecordPage, SuiteCrmClient
from connectors.suitecrm.connector import SuiteCrmConnector
from connectors.suitecrm.errors import ApiRefusal, RecordExists, RecordNotFound
from connectors.suitecrm.settings import SuiteCrmSettings

__all__ = [
    "ApiRefusal",
    "Filter",
    "Record",
    "RecordExists",
    "RecordNotFound",
    "RecordPage",
    "SuiteCrmClient",
    "SuiteCrmConnector",
    "SuiteCrmSettings",
]

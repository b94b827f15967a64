"""SuiteCRM 7 connector (V8 JSON:API with OAuth2); see docs/connectors/suitecrm.md.

This phase provides the client (:class:`SuiteCrmClient`), its settings, errors and wire values, and
the package of custom fields; the per-entity classes and the ``Connector`` follow on the connector SDK.
"""

from connectors.suitecrm.client import Filter, Record, RecordPage, SuiteCrmClient
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
    "SuiteCrmSettings",
]

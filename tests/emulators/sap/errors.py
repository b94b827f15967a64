"""SAP Gateway's error answers: the HTTP status, SAP's message code and text, the property concerned.

Every refusal has a ``kind``, so tests can tell why a request failed:

- ``contract``: the service's ``$metadata`` forbids the operation or the property (``sap:creatable``,
  ``sap:updatable``, ``sap:deletable``, ``sap:filterable``, ``sap:sortable``, unknown names, an
  ``If-Match`` where no ETag is declared or none where one is);
- ``value``: the metadata's facets refuse the value (``Nullable``, ``MaxLength``, ``Precision``,
  ``Scale``, the type, ``NonNegative``);
- ``business``: S/4HANA's own checks (an unknown customer, a return without items, ...);
- ``protocol``: logon, CSRF, a stale ETag, malformed requests, injected faults.

Message codes of the Gateway framework come from its message class ``/IWBEP/CM_MGW_RT``; the SD
application answers with ``V1`` messages. The numbers are representative (see
docs/connectors/sap_s4hana.md): clients must act on the HTTP status and the text, not the number.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = ["Kind", "SapError", "error_body"]

Kind = Literal["contract", "value", "business", "protocol"]


class SapError(Exception):
    """An error SAP Gateway answers with."""

    def __init__(
        self, status: int, code: str, message: str, target: str = "", *, kind: Kind = "protocol"
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.kind: Kind = kind


def error_body(exc: SapError) -> dict[str, Any]:
    """Gateway's JSON error: ``{"error": {"code", "message": {"lang", "value"}, "innererror"}}``."""
    detail = {
        "code": exc.code,
        "message": exc.message,
        "propertyref": exc.target,
        "severity": "error",
        "target": exc.target,
        "transition": False,
    }
    return {
        "error": {
            "code": exc.code,
            "message": {"lang": "en", "value": exc.message},
            "innererror": {
                "application": {"component_id": "", "service_namespace": "/SAP/", "service_version": "0001"},
                "transactionid": secrets.token_hex(16).upper(),
                "timestamp": datetime.now(UTC).strftime("%Y%m%d%H%M%S.%f"),
                "Error_Resolution": {
                    "SAP_Transaction": "Run transaction /IWFND/ERROR_LOG on SAP Gateway hub system",
                    "SAP_Note": "See SAP Note 1797736 for error analysis",
                },
                "errordetails": [detail],
            },
        }
    }

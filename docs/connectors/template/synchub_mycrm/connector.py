"""``mycrm``: SyncHub's connector for MyCRM (template).

Connection: ``mycrm://:TOKEN@host:port/?scheme=https&timeout=30`` or an Airflow Connection with the
token as password.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import requests

from connectors.base import (
    ConnectionSettings,
    Connector,
    ConnectorError,
    Entity,
    PermanentError,
    TransientError,
)
from synchub_mycrm.client import ApiError, MyCrmClient
from synchub_mycrm.customers import Customers


class MyCrmConnector(Connector):
    name = "mycrm"
    entity_types: ClassVar[Sequence[type[Entity]]] = (Customers,)  # ADAPT: one class per entity

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings, options)
        if not settings.password:
            raise PermanentError("mycrm connection has no API token: put it in the connection's password")
        scheme = settings.extra.get("scheme", "https")
        url = f"{scheme}://{settings.host or '127.0.0.1'}:{settings.port or 443}"
        self.client = MyCrmClient(url, settings.password, timeout=float(settings.extra.get("timeout", 30)))

    def classify(self, exc: Exception) -> ConnectorError:
        if isinstance(exc, requests.Timeout | requests.ConnectionError):
            return TransientError(f"MyCRM unreachable: {type(exc).__name__}")
        if isinstance(exc, ApiError) and (exc.status == 429 or exc.status >= 500):
            return TransientError(f"MyCRM answered {exc.status}: {exc}")
        if isinstance(exc, ApiError) and exc.status in (401, 403):
            return PermanentError(f"MyCRM refused the token ({exc.status}): check the connection's password")
        return super().classify(exc)

    def close(self) -> None:
        self.client.close()

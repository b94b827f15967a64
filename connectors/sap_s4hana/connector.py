"""``sap_s4hana``: SAP S/4HANA through its OData v2 APIs, spoken with pyodata (SAP's Python client).

Each canonical entity is one SDK entity class in ``entities/`` (its SAP service, entity set, key,
change stamps, reads and writes); the SDK base pages, keeps cursors and turns every failure of one
record into that record's ``WriteResult``. This class holds the settings and the API client and
says which of pyodata's and requests' exceptions are worth retrying.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import requests
from pyodata.exceptions import HttpError, PyODataException

from connectors.base import (
    ConnectionSettings,
    Connector,
    ConnectorError,
    Entity,
    PermanentError,
    TransientError,
)
from connectors.sap_s4hana.api import SapApi
from connectors.sap_s4hana.entities import ENTITY_TYPES
from connectors.sap_s4hana.errors import unavailable
from connectors.sap_s4hana.settings import SapSettings

__all__ = ["SapS4HanaConnector"]


class SapS4HanaConnector(Connector):
    name = "sap_s4hana"
    entity_types: ClassVar[Sequence[type[Entity]]] = ENTITY_TYPES

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings, options)
        self.sap = SapSettings.from_connection(settings, self.options)
        self.api = SapApi(self.sap)

    def classify(self, exc: Exception) -> ConnectorError:
        """What escaped the API layer: an HTTP answer by its status, a lost connection as transient,
        a value pyodata cannot put in SAP's wire form as the mapping's to fix."""
        if isinstance(exc, HttpError):
            return unavailable(exc.response, "request refused")
        if isinstance(exc, requests.Timeout | requests.ConnectionError):
            return TransientError(f"sap_s4hana: SAP unreachable: {type(exc).__name__}: {exc}")
        if isinstance(exc, PyODataException):
            return PermanentError(f"sap_s4hana: {exc}; fix the sap_s4hana mapping")
        return super().classify(exc)

    def server_time(self) -> datetime | None:
        """SAP's clock (its HTTP ``Date``): change stamps are SAP's, so read windows are anchored in it."""
        return self.api.server_time()

    def close(self) -> None:
        self.api.close()
        self._entities.clear()

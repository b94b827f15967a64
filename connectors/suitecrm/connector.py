"""``suitecrm``: SuiteCRM 7 over its V8 JSON:API with OAuth2 (see docs/connectors/suitecrm.md).

Connection: ``suitecrm://USER:PASSWORD@host:port/path?client_id=ID&client_secret=SECRET&scheme=https``
(or ``grant_type=client_credentials`` without user). Options (connection extra or the system's
``options``): ``currency`` (ISO code of SuiteCRM's system currency, default ``USD`` as installed),
``datetime_precision`` (``minute`` or ``second``; default: asked of the API user's time format),
``timeout``, ``refresh_margin``.

One :class:`~connectors.suitecrm.entity.SuiteCrmEntity` per entity; this class holds what they share.
Each thread gets a client of its own (a requests session is not meant to be shared, and token
renewal is per client), so writes may run in parallel (``concurrent_writes``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

import requests

from connectors.base import (
    ConnectionSettings,
    Connector,
    ConnectorError,
    Entity,
    PermanentError,
    TransientError,
)
from connectors.suitecrm.accounts import Customers
from connectors.suitecrm.cases import Cases
from connectors.suitecrm.client import SuiteCrmClient
from connectors.suitecrm.errors import ApiRefusal
from connectors.suitecrm.products import ProductCosts, Products
from connectors.suitecrm.quotes import Quotes, SalesOrders
from connectors.suitecrm.settings import SuiteCrmSettings
from connectors.suitecrm.values import MINUTE, SECOND

__all__ = ["ENTITY_TYPES", "SuiteCrmConnector"]

ENTITY_TYPES = (Customers, Products, ProductCosts, Quotes, SalesOrders, Cases)
_PRECISIONS = {"minute": MINUTE, "second": SECOND}


class SuiteCrmConnector(Connector):
    name = "suitecrm"
    entity_types: ClassVar[Sequence[type[Entity]]] = ENTITY_TYPES
    min_overlap_seconds: ClassVar[int] = 61  # date_modified may show whole minutes only

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings, options)
        self.config = SuiteCrmSettings.parse(settings, self.options)
        merged = {**dict(settings.extra), **self.options}
        self.currency = str(merged.get("currency") or "USD").upper()
        precision = merged.get("datetime_precision")
        if precision not in (None, "", *_PRECISIONS):
            raise PermanentError(
                f"suitecrm connection: datetime_precision must be minute or second, not {precision!r}"
            )
        self._precision: timedelta | None = _PRECISIONS.get(str(precision)) if precision else None
        self._local = threading.local()
        self._clients: list[SuiteCrmClient] = []
        self._lock = threading.Lock()

    @property
    def client(self) -> SuiteCrmClient:
        """This thread's client (made on first use)."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = SuiteCrmClient(self.config)
            with self._lock:
                self._clients.append(client)
        return client

    @property
    def precision(self) -> timedelta:
        """How finely the API shows ``date_modified``: the API user's time format decides (read once)."""
        if self._precision is None:
            self._precision = self.client.datetime_precision()
        return self._precision

    def classify(self, exc: Exception) -> ConnectorError:
        if isinstance(exc, ApiRefusal):  # a 4xx answered to a whole read
            return PermanentError(str(exc))
        if isinstance(exc, requests.RequestException):
            return TransientError(f"SuiteCRM at {self.config.base_url} unavailable: {type(exc).__name__}")
        return super().classify(exc)

    def server_time(self) -> datetime | None:
        """SuiteCRM's clock (the ``Date`` header of a cheap call): overlap windows are anchored on it."""
        self.client.call("GET", "current-user")
        return self.client.server_date

    def record_url_of(self, module: str, record_id: str) -> str:
        query = urlencode({"module": module, "action": "DetailView", "record": record_id})
        return f"{self.config.base_url}/index.php?{query}"

    def close(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()

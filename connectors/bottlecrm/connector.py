"""``bottlecrm``: SyncHub's connector for BottleCRM (PyPI ``django-crm``) over its REST API.

BottleCRM offers no usable modified-since filter (accounts do not even carry ``updated_at``), so
every entity is a snapshot entity: every read is a full scan and the engine finds changes by
comparing snapshot hashes. Writes go one record per call (the API has no batch endpoint); one
refused record is reported in its :class:`WriteResult` and the rest go on.

Connection: ``bottlecrm://:TOKEN@host:port/?scheme=http&timeout=30`` or an Airflow Connection
(host, port, password = personal access token, extra ``scheme``, ``timeout``, ``org``, ``web_url``:
where people open BottleCRM's web app, a separate site from the API; without it no record links).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import requests

from connectors.base import (
    Capabilities,
    ConnectionSettings,
    Connector,
    ConnectorError,
    Entity,
    PermanentError,
    TransientError,
)
from connectors.bottlecrm.cases import Cases
from connectors.bottlecrm.client import ApiRefusal, BottleCrmClient
from connectors.bottlecrm.costs import ProductCosts
from connectors.bottlecrm.customers import Customers
from connectors.bottlecrm.estimates import Quotes, SalesOrders
from connectors.bottlecrm.products import Products

__all__ = ["BottleCrmConnector"]

ENTITY_TYPES = (Customers, Products, Quotes, SalesOrders, Cases, ProductCosts)
# the record pages of BottleCRM's web app (estimates have none of their own)
WEB_PAGES = {
    "customer": "accounts/{id}",
    "complaint": "cases/{id}",
    "product": "invoices/products/{id}/edit",
    "product_cost": "invoices/products/{id}/edit",
}


class BottleCrmConnector(Connector):
    name = "bottlecrm"
    entity_types: ClassVar[Sequence[type[Entity]]] = ENTITY_TYPES
    # connector-wide, for callers that batch without naming an entity (seeding, benchmarks)
    capabilities = Capabilities(
        entities=frozenset(e.name for e in ENTITY_TYPES),
        change_tracking="none",
        batch_writes=False,
        max_batch_size=50,
        concurrent_writes=True,
    )

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings, options)
        self.client = BottleCrmClient(settings, self.options)
        self._profile_id: str | None = None

    def classify(self, exc: Exception) -> ConnectorError:
        if isinstance(exc, ApiRefusal):  # a 4xx answered to a whole read
            return PermanentError(f"BottleCRM refused the call: {exc.message}")
        if isinstance(exc, requests.RequestException):  # the client maps timeouts; what else broke
            return TransientError(f"BottleCRM at {self.client.base_url} unavailable: {type(exc).__name__}")
        return super().classify(exc)

    @property
    def profile_id(self) -> str:
        """The API user's profile (BottleCRM wants an assignee on cases), read once."""
        if self._profile_id is None:  # two threads racing here both read the same id: harmless
            body = self.client.get("profile/")
            profile = body.get("user_obj", body) if isinstance(body, dict) else {}
            profile_id = profile.get("id") if isinstance(profile, dict) else None
            if not profile_id:
                raise ApiRefusal(500, f"GET /api/profile/ gave no profile id (keys: {sorted(body or {})})")
            self._profile_id = str(profile_id)
        return self._profile_id

    def record_url(self, entity: str, record_id: str) -> str | None:
        """The record's page in BottleCRM's web app at the ``web_url`` option, where it has one."""
        base = self.options.get("web_url") or self.settings.extra.get("web_url")
        page = WEB_PAGES.get(entity)
        if not base or page is None:
            return None
        return f"{str(base).rstrip('/')}/{page.format(id=quote(str(record_id), safe=''))}"

    def close(self) -> None:
        self.client.close()

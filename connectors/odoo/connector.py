"""``odoo``: Odoo (16-19) as the ERP, over JSON-2 (19+) or XML-RPC (16-18).

Connection: ``odoo://LOGIN:SECRET@HOST:PORT/DATABASE?scheme=https&transport=auto`` (see
``settings.py``). Options (system ``options`` in synchub.yaml, or URI query): ``transport``,
``timeout``, ``complaint_project`` (the project whose tasks are complaints, default "Complaints"),
``web_url`` (where people open Odoo; default the server's address).

One :class:`~connectors.odoo.entities.base.OdooEntity` per entity (``entities/``); this class holds
what they share: the transport (opened on first use), reference data and the company.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import requests

from connectors.base import ConnectionSettings, Connector, ConnectorError, Entity, TransientError
from connectors.odoo.entities import ENTITY_TYPES
from connectors.odoo.refdata import ReferenceData
from connectors.odoo.settings import OdooSettings
from connectors.odoo.transport import OdooTransport, open_transport

__all__ = ["OdooConnector"]


class OdooConnector(Connector):
    name = "odoo"
    entity_types: ClassVar[Sequence[type[Entity]]] = ENTITY_TYPES

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings, options)
        self.options = {**dict(settings.extra), **self.options}
        self.odoo = OdooSettings.from_connection(settings, self.options)
        self.web_url = str(self.options.get("web_url") or self.odoo.base_url).rstrip("/")
        self._transport: OdooTransport | None = None
        self.refs = ReferenceData(self.call)
        self._company: dict[str, Any] | None = None

    @property
    def transport(self) -> OdooTransport:
        if self._transport is None:
            self._transport = open_transport(self.odoo)
        return self._transport

    def use_transport(self, transport: OdooTransport | None) -> OdooTransport | None:
        """Swap the transport (tests put a short-timeout one in place); the previous one."""
        previous, self._transport = self._transport, transport
        return previous

    def call(
        self,
        model: str,
        method: str,
        ids: Sequence[int] | None = None,
        *,
        context: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Any:
        """One model method call, parameters by their JSON-2 names (one transaction)."""
        return self.transport.call(model, method, ids=ids, params=params, context=context)

    def classify(self, exc: Exception) -> ConnectorError:
        if isinstance(exc, requests.RequestException):  # the transports map their own; anything left
            return TransientError(f"odoo at {self.odoo.base_url} unavailable: {type(exc).__name__}")
        return super().classify(exc)

    # -- what the entities share -------------------------------------------------------------------
    @property
    def company(self) -> dict[str, Any]:
        """The user's company: its partner (never a customer) and currency."""
        if self._company is None:
            rows = self.call("res.company", "search_read", domain=[], fields=["partner_id", "currency_id"])
            self._company = {
                "partners": [int(r["partner_id"][0]) for r in rows if r.get("partner_id")],
                "currency": self.refs.code_of("currency", rows[0]["currency_id"]) if rows else None,
            }
        return self._company

    def model_url(self, model: str, record_id: str) -> str | None:
        """The record's form in Odoo's web client (``/web#...`` works from 16; 18+ redirects it)."""
        if not str(record_id).isdigit():
            return None
        return f"{self.web_url}/web#id={record_id}&model={model}&view_type=form"

    def server_time(self) -> datetime | None:
        try:
            return self.transport.server_time()
        except ConnectorError:
            return None  # the engine's clock then anchors the overlap window

    def close(self) -> None:
        if self._transport is not None:
            with contextlib.suppress(Exception):
                self._transport.close()
            self._transport = None

"""``tryton``: the Tryton ERP over JSON-RPC.

Connection: ``tryton://<user>:<password>@<host>:<port>/<database>?scheme=https&timeout=30``.
Options (system ``options`` in synchub.yaml, or URI query): ``accept_warnings`` (press buttons
again after a UserWarning such as a credit-limit warning), ``tax_identifier_type``,
``product_type``, ``invoice_method``, ``complaint_type``, ``web_url`` (where people open the Tryton
web client; default the server's own address, where trytond serves it when installed).

One :class:`~connectors.tryton.entities.base.TrytonEntity` per entity (``entities/``); this class
holds what they share: the session, reference data, the options and the labels of models.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import requests

from connectors.base import (
    ConnectionSettings,
    Connector,
    ConnectorError,
    Entity,
    PermanentError,
    TransientError,
)
from connectors.tryton.client import TrytonClient, TrytonError
from connectors.tryton.entities import ENTITY_TYPES
from connectors.tryton.errors import ModelLabels, as_connector_error
from connectors.tryton.refdata import ReferenceData, UnknownCode

__all__ = ["TrytonConnector"]


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class TrytonConnector(Connector):
    name = "tryton"
    entity_types: ClassVar[Sequence[type[Entity]]] = ENTITY_TYPES

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(settings, options)
        merged = {**dict(settings.extra), **self.options}
        merged["accept_warnings"] = _flag(merged.get("accept_warnings", False))
        self.options = merged
        if not settings.schema:
            raise PermanentError(
                "tryton connection has no database name: use tryton://user:password@host:port/<database>"
            )
        scheme = str(merged.get("scheme", "http"))
        self.address = f"{settings.host or '127.0.0.1'}:{settings.port or 8000}"
        # where people open the web client; trytond serves it itself when installed
        self.web_url = str(merged.get("web_url") or f"{scheme}://{self.address}").rstrip("/")
        self.client = TrytonClient(
            f"{scheme}://{self.address}",
            settings.schema,
            settings.login or "admin",
            settings.password or "",
            timeout=float(merged.get("timeout", 60)),
        )
        self.refs = ReferenceData(self.client)
        self._labels: dict[str, ModelLabels] = {}
        self._currency: tuple[int | None] | None = None

    def classify(self, exc: Exception) -> ConnectorError:
        if isinstance(exc, TrytonError):
            return as_connector_error(exc)
        if isinstance(exc, UnknownCode):
            return PermanentError(f"{exc}; create it in Tryton")
        if isinstance(exc, requests.RequestException):  # the client maps timeouts; what else broke on the way
            return TransientError(f"Tryton at {self.address} unavailable: {type(exc).__name__}")
        return super().classify(exc)

    # -- what the entities share -------------------------------------------------------------------
    def company_currency(self) -> int | None:
        """The id of the company's currency (amounts of credit limits and costs are in it)."""
        if self._currency is None:
            if self.client.uid is None:
                self.client.login()  # the session's context names the company
            company = self.client.context.get("company")
            rows = self.client.model("company.company", "read", [company], ["currency"]) if company else []
            self._currency = (rows[0]["currency"] if rows else None,)
        return self._currency[0]

    def labels(self, model: str, children: Mapping[str, str]) -> ModelLabels | None:
        """The labels Tryton's messages use for ``model`` and its fields (read once; None if unreadable)."""
        if model not in self._labels:
            try:
                names = self.client.model(
                    "ir.model", "search_read", [["name", "in", [model, *children]]], 0, None, None,
                    ["name", "string"],
                )  # fmt: skip
                fields = self.client.model(model, "fields_get", None)
            except (ConnectorError, TrytonError):
                return None  # only the message then says which field
            label = {row["name"]: row["string"] for row in names}
            self._labels[model] = ModelLabels(
                model=label.get(model, model),
                fields={str(d.get("string")): name for name, d in fields.items() if d.get("string")},
                children={label[m]: native for m, native in children.items() if m in label},
            )
        return self._labels[model]

    def model_url(self, model: str, record_id: str) -> str | None:
        """The record's form in the Tryton web client: ``<web_url>/#<database>/model/<model>/<id>``."""
        if not str(record_id).isdigit():
            return None  # not an id Tryton could have
        return f"{self.web_url}/#{quote(str(self.settings.schema), safe='')}/model/{model}/{record_id}"

    def close(self) -> None:
        with contextlib.suppress(ConnectorError):
            self.client.logout()

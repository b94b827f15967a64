"""SAP's OData services through pyodata: one client and HTTP session per service, requests turned
into values or into SyncHub's error classes, and every write checked against the ``$metadata``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pyodata
from pyodata.exceptions import HttpError, PyODataException
from pyodata.v2.model import Config

from connectors.base import PermanentError, TransientError
from connectors.sap_s4hana.contract import require_body, require_operation
from connectors.sap_s4hana.errors import Concurrent, gateway_message, is_transient
from connectors.sap_s4hana.paging import Batch, Fetch
from connectors.sap_s4hana.session import OAuthTokens, SapSession
from connectors.sap_s4hana.settings import SapSettings
from connectors.sap_s4hana.values import write_value

__all__ = ["SapApi"]

# SAP's $metadata carries many vocabulary annotations pyodata does not model; it logs each one.
logging.getLogger("pyodata").setLevel(logging.ERROR)


def _failure(exc: HttpError, what: str) -> TransientError | PermanentError:
    text, _ = gateway_message(exc.response)
    status = exc.response.status_code
    error = TransientError if is_transient(status) else PermanentError
    return error(f"sap_s4hana: {what}: HTTP {status}: {text}")


class SapApi:
    def __init__(self, settings: SapSettings) -> None:
        self.settings = settings
        self._tokens = OAuthTokens(settings) if settings.auth == "oauth" else None
        self._clients: dict[str, Any] = {}
        self._sessions: list[SapSession] = []

    def client(self, service: str) -> Any:
        if service not in self._clients:
            url = self.settings.service_url(service)
            session = SapSession(self.settings, url, self._tokens)
            self._sessions.append(session)
            try:
                self._clients[service] = pyodata.Client(url, session, config=Config(retain_null=True))
            except HttpError as exc:
                raise _failure(exc, f"loading $metadata of {url}") from exc
        return self._clients[service]

    def entity_set(self, service: str, name: str) -> Any:
        """The metadata of an entity set (annotations, entity type)."""
        return self.client(service).schema.entity_set(name)

    def etype(self, service: str, name: str) -> Any:
        return self.entity_set(service, name).entity_type

    def _proxy_set(self, service: str, name: str) -> Any:
        return getattr(self.client(service).entity_sets, name)

    def run(self, request: Any, what: str) -> Any:
        try:
            return request.execute()
        except HttpError as exc:
            raise _failure(exc, what) from exc

    def server_time(self) -> datetime | None:
        """SAP's clock, as its latest answer told it (None before the first request)."""
        times = [t for t in (s.server_time() for s in self._sessions) if t is not None]
        return max(times) if times else None

    def close(self) -> None:
        for session in self._sessions:
            session.close()
        self._sessions.clear()
        self._clients.clear()

    # -- reads ----------------------------------------------------------------------------------
    def fetch(self, service: str, name: str, *, select: str, expand: str, orderby: str) -> Fetch:
        """A query of one entity set whose ``$filter`` and ``$top`` the pager fills in."""
        entities = self._proxy_set(service, name)

        def run(filter_text: str | None, top: int) -> Batch:
            request = entities.get_entities().select(select).order_by(orderby).top(top)
            if expand:
                request = request.expand(expand)
            if filter_text:
                request = request.filter(filter_text)
            batch = self.run(request, f"reading {name}")
            items, next_url = list(batch), batch.next_url
            while next_url and len(items) < top:  # the server pages on its own: follow it
                batch = self.run(entities.get_entities().next_url(next_url), f"reading {name}")
                items.extend(batch)
                next_url = batch.next_url
            return Batch(items[:top], bool(next_url) or len(items) > top)

        return run

    def get(
        self, service: str, name: str, key: Mapping[str, str], *, select: str | None = None, expand: str = ""
    ) -> Any | None:
        """One record by key, or None when SAP has no such record."""
        request = self._proxy_set(service, name).get_entity(**key)
        if select:
            request = request.select(select)
        if expand:
            request = request.expand(expand)
        try:
            return request.execute()
        except HttpError as exc:
            if exc.response.status_code == 404:
                return None
            raise _failure(exc, f"reading {name} {dict(key)}") from exc

    # -- writes (HttpError escapes: the caller reports it on the record) ------------------------
    def create(self, service: str, name: str, data: Mapping[str, Any]) -> Any:
        entity_set = self.entity_set(service, name)
        require_operation(service, entity_set, "create")
        require_body(entity_set.entity_type, data, "create")
        body = self.body(entity_set.entity_type, data)
        return self._proxy_set(service, name).create_entity().set(**body).execute()

    def update(
        self, service: str, name: str, key: Mapping[str, str], data: Mapping[str, Any], etag: str | None
    ) -> None:
        """PATCH; ``If-Match`` only when the record has an ETag (the type declares concurrency)."""
        entity_set = self.entity_set(service, name)
        require_operation(service, entity_set, "update")
        require_body(entity_set.entity_type, data, "update", key)
        request = (
            self._proxy_set(service, name).update_entity(**key).set(**self.body(entity_set.entity_type, data))
        )
        if etag is not None:
            request.add_headers({"If-Match": etag})
        self._execute_guarded(request)

    def delete(self, service: str, name: str, key: Mapping[str, str], etag: str | None) -> None:
        require_operation(service, self.entity_set(service, name), "delete")
        request = self._proxy_set(service, name).delete_entity(**key)
        if etag is not None:
            request.add_headers({"If-Match": etag})
        self._execute_guarded(request)

    @staticmethod
    def _execute_guarded(request: Any) -> None:
        try:
            request.execute()
        except HttpError as exc:
            if exc.response.status_code == 412:
                raise Concurrent from exc
            raise

    def body(self, etype: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        """Native values in request form, navigations (deep insert) recursively."""
        navs = {p.name for p in etype.nav_proprties}
        out: dict[str, Any] = {}
        for name, value in data.items():
            if name in navs:
                child = etype.nav_proprty(name).to_role.entity_type
                if isinstance(value, list):
                    out[name] = [self.body(child, v) for v in value]
                elif value is not None:
                    out[name] = self.body(child, value)
                continue
            try:
                prop = etype.proprty(name)
            except KeyError:
                raise PyODataException(
                    f"property {name!r} is not defined for {etype.name} in SAP's metadata"
                ) from None
            out[name] = write_value(prop.typ.name, value)
        return out

"""JSON-2 (Odoo 19+): ``POST /json/2/<model>/<method>`` with a bearer API key, one transaction per call.

The body holds ``ids``, ``context`` and every parameter by name; the answer is the method's result
as plain JSON. Errors come as 4xx/5xx with ``{name, message, arguments, context, debug}`` (early 19
builds sent a bare JSON string); the ``debug`` traceback is dropped, never logged.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import requests

from connectors.base import ConnectorError, TransientError
from connectors.odoo.errors import OdooAuthError, OdooCallError, OdooFault, classify
from connectors.odoo.settings import OdooSettings
from connectors.odoo.transport import OdooTransport, detect_major_version, encode, http_date, log

__all__ = ["Json2Transport"]

# What a bare-string error body (early 19 builds) most likely was, by status.
_STATUS_NAMES = {
    400: "werkzeug.exceptions.BadRequest",
    403: "odoo.exceptions.AccessError",
    404: "werkzeug.exceptions.NotFound",
    422: "odoo.exceptions.UserError",
}


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class Json2Transport(OdooTransport):
    name: ClassVar[str] = "json2"

    def __init__(self, settings: OdooSettings, session: requests.Session | None = None) -> None:
        super().__init__(settings)
        self._session = session or requests.Session()
        self._session.verify = settings.verify
        self._headers = {
            "Authorization": f"bearer {settings.secret}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": settings.user_agent,
        }
        if settings.database:
            self._headers["X-Odoo-Database"] = settings.database
        self._uid: int | None = None
        self._major: int | None = None
        self._last_date: str | None = None

    def call(
        self,
        model: str,
        method: str,
        *,
        ids: Sequence[int] | None = None,
        params: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Any:
        body: dict[str, Any] = {k: encode(v) for k, v in (params or {}).items()}
        if ids is not None:
            body["ids"] = [int(i) for i in ids]
        if context:
            body["context"] = encode(context)
        url = f"{self.settings.base_url}/json/2/{model}/{method}"
        started = time.monotonic()
        try:
            response = self._session.post(
                url, json=body, headers=self._headers, timeout=self.settings.timeout
            )
        except requests.Timeout as exc:
            raise TransientError(f"odoo: {model}.{method} timed out after {self.settings.timeout}s") from exc
        except requests.RequestException as exc:
            raise TransientError(f"odoo: cannot reach {self.settings.base_url}: {exc}") from exc
        self._last_date = response.headers.get("Date")
        log.debug(
            "odoo json2 %s.%s -> HTTP %s in %.3fs",
            model,
            method,
            response.status_code,
            time.monotonic() - started,
        )
        if response.status_code == 200:
            try:
                return response.json()
            except ValueError as exc:
                raise TransientError(
                    f"odoo: {model}.{method} answered 200 with a body that is not JSON"
                ) from exc
        raise self._error(response, model, method)

    def _error(self, response: requests.Response, model: str, method: str) -> ConnectorError:
        status = response.status_code
        if status == 429:
            return TransientError(
                f"odoo: {model}.{method} throttled (HTTP 429)", retry_after=_retry_after(response)
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("name"), str):
            error = classify(body["name"], str(body.get("message") or ""), model=model, method=method)
            if status >= 500 and not isinstance(error, OdooFault | OdooCallError | OdooAuthError):
                return TransientError(str(error), retry_after=_retry_after(response))
            return error
        if status == 401:
            return classify("werkzeug.exceptions.Unauthorized", str(body or ""), model=model, method=method)
        if isinstance(body, str) and status in _STATUS_NAMES:
            return classify(_STATUS_NAMES[status], body, model=model, method=method)
        if status >= 500 or status in (408, 409):
            return TransientError(
                f"odoo: {model}.{method} answered HTTP {status} without an Odoo error "
                "(a proxy, or the server restarting?)",
                retry_after=_retry_after(response),
            )
        return OdooCallError(f"odoo: {model}.{method} answered HTTP {status}: {response.text[:200]}")

    @property
    def uid(self) -> int:
        if self._uid is None:
            context = self.call("res.users", "context_get")
            self._uid = int(context["uid"])
        return self._uid

    def server_version(self) -> int | None:
        if self._major is None:
            self._major = detect_major_version(self.settings, self._session)
        return self._major

    def server_time(self) -> datetime | None:
        self.call("res.users", "context_get")
        return http_date(self._last_date)

    def close(self) -> None:
        self._session.close()

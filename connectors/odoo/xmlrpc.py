"""XML-RPC (Odoo 16-18; deprecated in 19): ``/xmlrpc/2/common`` to log in, ``/xmlrpc/2/object``.

``execute_kw(db, uid, secret, model, method, args, kwargs)``: record ids go first in ``args``,
``create`` takes its values there too (Odoo's ``call_kw`` reads ``args[0]``), everything else by
keyword, the context as the ``context`` keyword. Faults carry an integer code: 1 anything else
(the traceback), 2 ``UserError`` family, 3 ``AccessDenied``, 4 ``AccessError``. Driven by the
standard library's ``xmlrpc.client`` with a timeout.
"""

from __future__ import annotations

import http.client
import ssl
import xmlrpc.client
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar
from xml.parsers.expat import ExpatError

from connectors.base import ConnectorError, PermanentError, TransientError
from connectors.odoo.errors import OdooAuthError, classify_fault
from connectors.odoo.settings import OdooSettings
from connectors.odoo.transport import OdooTransport, encode, http_date, log, parse_major

__all__ = ["XmlRpcTransport"]

# Parameters renamed between versions: (method, JSON-2 name) -> name up to 17.
_RENAMED_UP_TO_17 = {("name_search", "domain"): "args"}


class _TimeoutTransport(xmlrpc.client.Transport):
    """``xmlrpc.client``'s HTTP transport with a timeout; it keeps the last ``Date`` header."""

    last_date: str | None = None

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection

    def parse_response(self, response: http.client.HTTPResponse) -> Any:
        self.last_date = response.getheader("Date")
        return super().parse_response(response)


class _SafeTimeoutTransport(_TimeoutTransport, xmlrpc.client.SafeTransport):
    def __init__(self, timeout: float, context: ssl.SSLContext) -> None:
        xmlrpc.client.SafeTransport.__init__(self, context=context)
        self._timeout = timeout


class XmlRpcTransport(OdooTransport):
    name: ClassVar[str] = "xmlrpc"

    def __init__(self, settings: OdooSettings) -> None:
        super().__init__(settings)
        self._uid: int | None = None
        self._major: int | None = None
        self._common, self._common_http = self._proxy("common")
        self._object, _ = self._proxy("object")

    def _proxy(self, service: str) -> tuple[xmlrpc.client.ServerProxy, _TimeoutTransport]:
        url = f"{self.settings.base_url}/xmlrpc/2/{service}"
        transport: _TimeoutTransport
        if url.startswith("https"):
            context = ssl.create_default_context()
            if not self.settings.verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            transport = _SafeTimeoutTransport(self.settings.timeout, context)
        else:
            transport = _TimeoutTransport(self.settings.timeout)
        return xmlrpc.client.ServerProxy(url, transport=transport, allow_none=True), transport

    def _invoke(self, what: str, fn: Any, *args: Any) -> Any:
        """Run one XML-RPC request; map every client-library failure to a connector error."""
        try:
            return fn(*args)
        except xmlrpc.client.Fault:
            raise
        except xmlrpc.client.ProtocolError as exc:
            status = exc.errcode
            if status == 429 or status >= 500:
                retry = exc.headers.get("Retry-After") if exc.headers else None
                raise TransientError(
                    f"odoo: {what} answered HTTP {status}",
                    retry_after=float(retry) if retry and retry.isdigit() else None,
                ) from None
            if status == 404:
                raise PermanentError(
                    f"odoo: {what}: {self.settings.base_url}/xmlrpc/2 does not exist (HTTP 404); this server "
                    "no longer offers XML-RPC - use transport=json2 with an API key"
                ) from None
            raise PermanentError(f"odoo: {what} answered HTTP {status}") from None
        except TimeoutError as exc:
            raise TransientError(f"odoo: {what} timed out after {self.settings.timeout}s") from exc
        except (OSError, http.client.HTTPException, ExpatError) as exc:
            raise TransientError(f"odoo: {what} failed: {type(exc).__name__}: {exc}") from exc

    def _fault(self, fault: xmlrpc.client.Fault, model: str, method: str) -> ConnectorError:
        return classify_fault(fault.faultCode, str(fault.faultString or ""), model=model, method=method)

    @property
    def uid(self) -> int:
        if self._uid is None:
            s = self.settings
            try:
                uid = self._invoke("login", self._common.authenticate, s.database, s.login, s.secret, {})
            except xmlrpc.client.Fault as fault:
                raise self._fault(fault, "common", "authenticate") from None
            if not uid:
                raise OdooAuthError(
                    f"odoo: login as {s.login!r} to database {s.database!r} refused; check the login and the "
                    "password or API key of the connection"
                )
            self._uid = int(uid)
        return self._uid

    def server_version(self) -> int | None:
        if self._major is None:
            try:
                info = self._invoke("version", self._common.version)
            except xmlrpc.client.Fault as fault:
                raise self._fault(fault, "common", "version") from None
            self._major = parse_major(info.get("server_version_info")) if isinstance(info, dict) else None
        return self._major

    def server_time(self) -> datetime | None:
        try:
            self._invoke("version", self._common.version)
        except xmlrpc.client.Fault as fault:
            raise self._fault(fault, "common", "version") from None
        return http_date(self._common_http.last_date)

    def _arguments(
        self, method: str, ids: Sequence[int] | None, params: Mapping[str, Any] | None
    ) -> tuple[list[Any], dict[str, Any]]:
        kwargs = {k: encode(v) for k, v in (params or {}).items()}
        major = self.server_version() if any((method, k) in _RENAMED_UP_TO_17 for k in kwargs) else None
        if major is not None and major <= 17:
            kwargs = {_RENAMED_UP_TO_17.get((method, k), k): v for k, v in kwargs.items()}
        args: list[Any] = []
        if ids is not None:
            args.append([int(i) for i in ids])
        elif method == "create" and "vals_list" in kwargs:
            args.append(kwargs.pop("vals_list"))
        return args, kwargs

    def call(
        self,
        model: str,
        method: str,
        *,
        ids: Sequence[int] | None = None,
        params: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Any:
        args, kwargs = self._arguments(method, ids, params)
        if context:
            kwargs["context"] = encode(context)
        uid = self.uid
        s = self.settings
        log.debug("odoo xmlrpc %s.%s", model, method)
        try:
            return self._invoke(
                f"{model}.{method}",
                self._object.execute_kw,
                s.database,
                uid,
                s.secret,
                model,
                method,
                args,
                kwargs,
            )
        except xmlrpc.client.Fault as fault:
            raise self._fault(fault, model, method) from None

    def close(self) -> None:
        for proxy in (self._common, self._object):
            proxy("close")()

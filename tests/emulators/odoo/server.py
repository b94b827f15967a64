"""The emulator's HTTP face: the endpoints, envelopes and statuses a real Odoo answers with.

- ``POST /xmlrpc/2/common|object``: XML-RPC, integer fault codes (1 other, 2 UserError family,
  3 AccessDenied, 4 AccessError), HTTP 200 even for faults, never ``<nil/>``, control characters
  stripped. ``/xmlrpc/common|object``: the historic string fault codes.
- ``POST /jsonrpc``: JSON-RPC 2.0; errors also with HTTP 200, ``error.code`` 200 (0 from 19),
  ``error.data`` = ``{name, message, arguments, context, debug}``.
- ``POST /json/2/<model>/<method>`` (19+): bearer API key, JSON object body, plain JSON result;
  errors as that same object with 400/401/403/404/422/500. Other verbs and paths under ``/json/2``
  answer 404 "Did you mean POST /json/2/<model>/<method>?" (Odoo's catch-all route).
- ``GET /web/version`` (18+): ``{"version": ..., "version_info": [...]}``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import xmlrpc.client
from datetime import UTC
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from tests.emulators.odoo.exceptions import (
    BadRequest,
    HttpError,
    NotFound,
    Unauthorized,
    UserError,
    serialize,
    xmlrpc_fault_code,
    xmlrpc_fault_string,
    xmlrpc_legacy_fault,
)
from tests.emulators.odoo.rpc import call_json2, call_kw, to_wire

if TYPE_CHECKING:
    from tests.emulators.odoo.emulator import OdooEmulator

__all__ = ["serve"]

_JSON2_PATH = re.compile(r"^/json/2/(?P<model>[^/]+)/(?P<method>[^/]+)$")
_CONTROL = dict.fromkeys(set(range(32)) - {9, 10, 13})
_DID_YOU_MEAN = "Did you mean POST /json/2/<model>/<method>?"


class _Marshaller(xmlrpc.client.Marshaller):
    """Odoo's marshaller: no ``None`` (``allow_none=False``), control characters removed."""

    dispatch: ClassVar[dict[Any, Any]] = dict(xmlrpc.client.Marshaller.dispatch)

    def dump_unicode(self, value: str, write: Any) -> None:
        super().dump_unicode(value.translate(_CONTROL), write)

    dispatch[str] = dump_unicode


def _xml_response(value: Any) -> bytes:
    body = _Marshaller(allow_none=False).dumps(value)
    return f'<?xml version="1.0"?>\n<methodResponse>\n{body}</methodResponse>\n'.encode()


def version_info(version: int) -> dict[str, Any]:
    info = [version, 0, 0, "final", 0, ""]
    return {
        "server_version": f"{version}.0",
        "server_version_info": info,
        "server_serie": f"{version}.0",
        "protocol_version": 1,
    }


def serve(emulator: OdooEmulator) -> tuple[ThreadingHTTPServer, threading.Thread]:
    class Handler(_Handler):
        odoo = emulator

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread


class _Handler(BaseHTTPRequestHandler):
    odoo: OdooEmulator
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, no delayed-ACK stalls
    _raw = b""

    def log_message(self, format: str, *args: Any) -> None:
        return

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header from the emulator's clock (the one it stamps records with)."""
        return formatdate(self.odoo.now().replace(tzinfo=UTC).timestamp(), usegmt=True)

    # -- plumbing -------------------------------------------------------------------------------
    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8", headers)

    def _html_not_found(self) -> None:
        body = b"<!doctype html><title>404 Not Found</title><h1>Not Found</h1>"
        self._send(404, body, "text/html; charset=utf-8")

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._raw = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        self.odoo.log.append((self.command, path))
        fault = self.odoo.take_fault()
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status:
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                body = f"<html><body><h1>{fault.status}</h1>Injected by the test</body></html>".encode()
                return self._send(fault.status, body, "text/html", headers)
        if path.startswith("/json/2") and self.odoo.version >= 19:
            return self._json2(path)
        if path == "/web/version" and self.command == "GET" and self.odoo.version >= 18:
            info = version_info(self.odoo.version)
            return self._json(
                200, {"version": info["server_version"], "version_info": info["server_version_info"]}
            )
        if not self.odoo.legacy_rpc:
            return self._html_not_found()
        if self.command == "POST" and path.startswith("/xmlrpc/"):
            service = path.removeprefix("/xmlrpc/")
            if service.startswith("2/"):
                return self._xmlrpc(service.removeprefix("2/"), legacy=False)
            if "/" not in service:
                return self._xmlrpc(service, legacy=True)
        if self.command == "POST" and path == "/jsonrpc":
            return self._jsonrpc()
        return self._html_not_found()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    # -- XML-RPC and JSON-RPC -------------------------------------------------------------------
    def _dispatch_rpc(self, transport: str, service: str, method: str, params: list[Any]) -> Any:
        odoo = self.odoo
        if service == "common":
            if method == "version":
                return version_info(odoo.version)
            if method in ("login", "authenticate"):
                with odoo.lock:
                    return odoo.authenticate(*params[:3])
            raise KeyError(f"exp_{method}")
        if service == "object":
            if method not in ("execute", "execute_kw"):
                raise NameError(f"Method not available {method}")
            db, uid, password, model, name, *rest = params
            with odoo.lock:
                uid = odoo.check(db, uid, password)
            if method == "execute_kw":
                args = rest[0] if rest else []
                kwargs = rest[1] if len(rest) > 1 and rest[1] else {}
            else:
                args, kwargs = rest, {}
            odoo.calls.append((transport, str(model), str(name)))
            return odoo.run(uid, lambda env: call_kw(env, model, name, args, kwargs))
        raise NameError(f"Unknown service {service!r}")

    def _xmlrpc(self, service: str, *, legacy: bool) -> None:
        try:
            params, method = xmlrpc.client.loads(self._raw, use_datetime=True)
            result = self._dispatch_rpc("xmlrpc", service, method or "", list(params))
            body = _xml_response((to_wire(result),))
        except Exception as exc:  # every failure becomes a fault, as Odoo's controller does
            if legacy:
                code, text = xmlrpc_legacy_fault(exc)
                fault = xmlrpc.client.Fault(code, text)  # type: ignore[arg-type]
            else:
                fault = xmlrpc.client.Fault(xmlrpc_fault_code(exc), xmlrpc_fault_string(exc))
            body = _xml_response(fault)
        self._send(200, body, "text/xml; charset=utf-8")

    def _jsonrpc(self) -> None:
        request_id: Any = None
        try:
            request = json.loads(self._raw or b"null")
            if not isinstance(request, dict):
                raise BadRequest("Invalid JSON-RPC request")
            request_id = request.get("id")
            params = request.get("params") or {}
            result = self._dispatch_rpc(
                "jsonrpc",
                str(params.get("service")),
                str(params.get("method")),
                list(params.get("args") or []),
            )
            payload: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "result": to_wire(result)}
        except Exception as exc:
            error: dict[str, Any] = {
                "code": 0 if self.odoo.version >= 19 else 200,
                "message": "Odoo Server Error",
                "data": serialize(exc),
            }
            if isinstance(exc, NotFound):
                error.update(code=404, message="404: Not Found")
            payload = {"jsonrpc": "2.0", "id": request_id, "error": error}
        self._json(200, payload)

    # -- JSON-2 -----------------------------------------------------------------------------------
    def _json2(self, path: str) -> None:
        try:
            match = _JSON2_PATH.match(path)
            if self.command != "POST" or match is None:
                raise NotFound(_DID_YOU_MEAN)
            mimetype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if self._raw and mimetype != "application/json":
                raise BadRequest(
                    f"Request inferred type is compatible with ['http'] but {path} is type=json2. "
                    "Please verify the Content-Type request header and try again."
                )
            uid = self._bearer_uid()
            database = self.headers.get("X-Odoo-Database")
            if database is not None and database != self.odoo.database:
                raise NotFound(f"database {database!r} not found")
            body = self._json2_body()
            model, method = match.group("model"), match.group("method")
            self.odoo.calls.append(("json2", model, method))
            result = self.odoo.run(uid, lambda env: call_json2(env, model, method, body))
            self._json(200, result)
        except Exception as exc:
            self._json2_error(exc)

    def _bearer_uid(self) -> int:
        header = self.headers.get("Authorization") or ""
        match = re.match(r"^bearer\s+(.+)$", header, re.IGNORECASE)
        uid = self.odoo.key_owner(match.group(1)) if match else None
        if uid is None or not self.odoo._active(uid):
            raise Unauthorized("Invalid apikey")
        return uid

    def _json2_body(self) -> dict[str, Any]:
        if not self._raw:
            return {}
        try:
            body = json.loads(self._raw)
        except ValueError as exc:
            raise BadRequest(f"could not parse the body as json: {exc.args[0]}") from exc
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        return body

    def _json2_error(self, exc: Exception) -> None:
        headers: dict[str, str] = {}
        if isinstance(exc, UserError):
            status = exc.http_status
        elif isinstance(exc, HttpError):
            status = exc.code
            if isinstance(exc, Unauthorized):
                headers["WWW-Authenticate"] = "Bearer"
        else:
            status = 500
        self._json(status, serialize(exc), headers)

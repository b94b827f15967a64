"""The HTTP face of the emulator: logon, CSRF, routing, and every EDMX rule on every request."""

from __future__ import annotations

import base64
import email.utils
import json
import re
import secrets
import socket
from datetime import UTC
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlsplit

from tests.emulators.sap.contract import (
    check_body,
    check_filterable,
    check_if_match,
    check_operation,
    check_sortable,
    expand_tree,
    selected,
)
from tests.emulators.sap.data import Key, Record, not_found
from tests.emulators.sap.errors import SapError, error_body
from tests.emulators.sap.metadata import EntitySet, ServiceModel
from tests.emulators.sap.query import parse_filter, parse_orderby, sort_records
from tests.emulators.sap.server import SERVICE_ROOT, Exchange
from tests.emulators.sap.values import from_literal, to_json

if TYPE_CHECKING:
    from tests.emulators.sap.server import SapEmulator

__all__ = ["GatewayHandler"]

_SEGMENT = re.compile(
    r"^(?P<set>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<key>.*)\))?(?:/(?P<nav>[A-Za-z_]\w*))?$", re.S
)
_KEY_PART = re.compile(r"\s*(?:(?P<name>\w+)\s*=\s*)?(?P<value>'(?:[^']|'')*'|[^,]+)\s*(?:,|$)")
_QUERY_OPTIONS = {
    "$filter",
    "$orderby",
    "$top",
    "$skip",
    "$select",
    "$expand",
    "$inlinecount",
    "$skiptoken",
    "$format",
}


def _protocol(status: int, code: str, message: str) -> SapError:
    return SapError(status, code, message, kind="protocol")


def _quote(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _int(query: dict[str, str], name: str, default: int) -> int:
    text = query.get(name)
    if text is None:
        return default
    if not text.isdigit():
        raise _protocol(400, "/IWBEP/CM_MGW_RT/004", f"Invalid value for {name}: '{text}'")
    return int(text)


class GatewayHandler(BaseHTTPRequestHandler):
    sap: SapEmulator
    _raw: bytes = b""
    _refusal: SapError | None = None
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header tells the emulated system's clock, as SAP's tells SAP's."""
        return email.utils.format_datetime(self.sap.clock().astimezone(UTC), usegmt=True)

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm holds the body
        # until the client's delayed ACK (40 ms per request).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- plumbing -------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        # journaled before the answer leaves, so a client that reads the journal sees its request
        refusal = self._refusal
        self.sap.record(
            Exchange(
                self.command,
                self.path,
                self.headers.get("User-Agent", ""),
                status,
                refusal.kind if refusal is not None else None,
                refusal.message if refusal is not None else "",
            )
        )
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self._send(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})

    def _error(self, exc: SapError, headers: dict[str, str] | None = None) -> None:
        self._refusal = exc
        self._json(exc.status, error_body(exc), headers)

    def _body(self) -> Any:
        if not self._raw:
            return {}
        try:
            return json.loads(self._raw)
        except json.JSONDecodeError as exc:
            raise _protocol(400, "/IWBEP/CM_MGW_RT/011", f"Malformed JSON in request body: {exc}") from None

    def _object_body(self) -> dict[str, Any]:
        body = self._body()
        if not isinstance(body, dict):
            raise _protocol(400, "/IWBEP/CM_MGW_RT/011", "Request body must be a JSON object")
        return body

    def _authorised(self) -> bool:
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return False
            return (user, password) == (self.sap.user, self.sap.password)
        if auth.startswith("Bearer "):
            return auth[7:] in self.sap.access_tokens
        return False

    def _fault(self) -> bool:
        for fault in self.sap.faults:
            if fault.method in (None, self.command) and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self.sap.faults.remove(fault)
                self._error(_protocol(fault.status, "/IWFND/CM_BEC/076", "Service temporarily unavailable"))
                return True
        return False

    def _dispatch(self) -> None:
        # Read the body first, whatever the answer: left unread it would corrupt the kept-alive connection.
        length = int(self.headers.get("Content-Length") or 0)
        self._raw = self.rfile.read(length) if length else b""
        self._refusal = None
        self._handle()

    do_GET = do_HEAD = do_POST = do_PATCH = do_MERGE = do_PUT = do_DELETE = _dispatch

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/oauth/token":
            return self._token()
        if not self._authorised():
            self._refusal = _protocol(401, "", "Logon failed")
            return self._send(401, b"Logon failed", {"WWW-Authenticate": 'Basic realm="SAP NetWeaver"'})
        if self._fault():
            return None
        try:
            if not parts.path.startswith(SERVICE_ROOT):
                raise _protocol(
                    404, "/IWFND/MED/170", f"No service found for namespace '', name '{parts.path}'"
                )
            service_name, _, rest = parts.path[len(SERVICE_ROOT) :].partition("/")
            model = self.sap.services.get(service_name)
            if model is None:
                raise _protocol(404, "/IWFND/MED/170", f"No service found for name '{service_name}'")
            headers: dict[str, str] = {}
            if self.headers.get("X-CSRF-Token", "").lower() == "fetch" and self.command in ("GET", "HEAD"):
                token = secrets.token_urlsafe(18)
                self.sap.csrf_tokens.add(token)
                headers["X-CSRF-Token"] = token
            if (
                self.command not in ("GET", "HEAD")
                and self.headers.get("X-CSRF-Token") not in self.sap.csrf_tokens
            ):
                return self._error(
                    _protocol(403, "/IWFND/CM_CSRF/001", "CSRF token validation failed"),
                    {"x-csrf-token": "Required"},
                )
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            self._route(service_name, model, unquote(rest), query, headers)
        except SapError as exc:
            self._error(exc)

    def _token(self) -> None:
        form = parse_qs(self._raw.decode())
        auth = self.headers.get("Authorization", "")
        client = (form.get("client_id", [""])[0], form.get("client_secret", [""])[0])
        if auth.startswith("Basic "):
            user, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            client = (user, secret)
        if form.get("grant_type") != ["client_credentials"] or client != (
            self.sap.client_id,
            self.sap.client_secret,
        ):
            return self._json(401, {"error": "invalid_client", "error_description": "Bad client credentials"})
        token = secrets.token_urlsafe(24)
        self.sap.access_tokens.add(token)
        return self._json(200, {"access_token": token, "token_type": "bearer", "expires_in": 3600})

    # -- routing --------------------------------------------------------------------------------
    def _route(
        self, service: str, model: ServiceModel, rest: str, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        if rest in ("", "/"):
            return self._json(200, {"d": {"EntitySets": sorted(model.sets)}}, headers)
        if rest == "$metadata":
            return self._send(200, model.xml, {"Content-Type": "application/xml", **headers})
        m = _SEGMENT.match(rest)
        if not m or m.group("set") not in model.sets:
            raise _protocol(404, "/IWBEP/CM_MGW_RT/021", f"Resource not found for segment '{rest}'")
        entity_set = model.sets[m.group("set")]
        unknown = [k for k in query if k.startswith("$") and k not in _QUERY_OPTIONS]
        if unknown:
            raise _protocol(
                400, "/IWBEP/CM_MGW_RT/004", f"System query option '{unknown[0]}' is not supported"
            )
        if m.group("key") is None:
            if m.group("nav"):
                raise _protocol(404, "/IWBEP/CM_MGW_RT/021", f"Resource not found for segment '{rest}'")
            if self.command in ("GET", "HEAD"):
                return self._collection(service, entity_set, query, headers)
            if self.command == "POST":
                check_operation(entity_set, "create")
                return self._create(service, entity_set, self._object_body(), None, None)
            raise _protocol(405, "/IWBEP/CM_MGW_RT/005", f"Method {self.command} not allowed on a collection")
        key = self._key(entity_set, m.group("key"))
        data = self.sap.data[service]
        if m.group("nav"):
            return self._navigation(
                service, entity_set, self._record(service, entity_set, key), m.group("nav")
            )
        if self.command in ("GET", "HEAD"):
            record = self._record(service, entity_set, key)
            expand = expand_tree(query.get("$expand", ""), entity_set.type, model)
            select = selected(query.get("$select"), entity_set.type)
            body = {"d": self._render(service, entity_set, record, expand, select)}
            return self._json(200, body, {**self._etag_header(service, entity_set, record), **headers})
        if self.command in ("PATCH", "MERGE", "PUT"):
            check_operation(entity_set, "update")
            return self._update(service, entity_set, key)
        if self.command == "DELETE":
            check_operation(entity_set, "delete")
            with self.sap.lock:
                record = self._record(service, entity_set, key)
                check_if_match(entity_set.type, self.headers.get("If-Match"), data.etag(entity_set, record))
                data.delete(entity_set, key)
            return self._send(204)
        raise _protocol(405, "/IWBEP/CM_MGW_RT/005", f"Method {self.command} not allowed")

    def _record(self, service: str, entity_set: EntitySet, key: Key) -> Record:
        with self.sap.lock:
            record = self.sap.data[service].rows[entity_set.name].get(key)
        if record is None:
            raise not_found(entity_set, key)
        return record

    def _key(self, entity_set: EntitySet, text: str) -> Key:
        keys = entity_set.type.keys
        found: dict[str, Any] = {}
        for i, m in enumerate(_KEY_PART.finditer(text)):
            if not m.group(0).strip():
                continue
            name = m.group("name") or (keys[0] if len(keys) == 1 and i == 0 else None)
            if name not in keys:
                raise _protocol(400, "/IWBEP/CM_MGW_RT/003", f"Invalid key predicate '({text})'")
            found[name] = from_literal(m.group("value").strip(), entity_set.type.properties[name])
        if set(found) != set(keys):
            raise _protocol(400, "/IWBEP/CM_MGW_RT/003", f"Key predicate '({text})' needs {', '.join(keys)}")
        return tuple(found[k] for k in keys)

    def _uri(self, service: str, entity_set: EntitySet, record: Record) -> str:
        etype = entity_set.type
        if len(etype.keys) == 1:
            predicate = _quote(record[etype.keys[0]])
        else:
            predicate = ",".join(f"{k}={_quote(record[k])}" for k in etype.keys)
        return f"{self._base()}{SERVICE_ROOT}{service}/{entity_set.name}({predicate})"

    def _base(self) -> str:
        return f"http://{self.headers.get('Host') or f'127.0.0.1:{self.sap.port}'}"

    def _etag_header(self, service: str, entity_set: EntitySet, record: Record) -> dict[str, str]:
        etag = self.sap.data[service].etag(entity_set, record)
        return {"ETag": etag} if etag is not None else {}

    def _render(
        self,
        service: str,
        entity_set: EntitySet,
        record: Record,
        expand: dict[str, Any],
        select: set[str] | None,
    ) -> dict[str, Any]:
        etype = entity_set.type
        model = self.sap.services[service]
        data = self.sap.data[service]
        uri = self._uri(service, entity_set, record)
        meta: dict[str, Any] = {"id": uri, "uri": uri, "type": f"{model.namespace}.{etype.name}"}
        etag = data.etag(entity_set, record)
        if etag is not None:
            meta["etag"] = etag
        out: dict[str, Any] = {"__metadata": meta}
        for name, prop in etype.properties.items():
            if select is None or name in select:
                out[name] = to_json(prop, record.get(name))
        for name, nav in etype.navs.items():
            if name in expand:
                target = model.set_of_type(nav.target_type)
                rows = data.children(entity_set, record, name)
                rendered = [self._render(service, target, r, expand[name], None) for r in rows]
                out[name] = {"results": rendered} if nav.many else (rendered[0] if rendered else None)
            elif select is None:
                out[name] = {"__deferred": {"uri": f"{uri}/{name}"}}
        return out

    # -- reads ----------------------------------------------------------------------------------
    def _collection(
        self, service: str, entity_set: EntitySet, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        etype = entity_set.type
        model = self.sap.services[service]
        expand = expand_tree(query.get("$expand", ""), etype, model)
        select = selected(query.get("$select"), etype)
        keep = None
        if query.get("$filter"):
            keep, used = parse_filter(query["$filter"], etype)
            check_filterable(etype, used)
        order = parse_orderby(query.get("$orderby") or ",".join(etype.keys), etype)
        check_sortable(etype, order)
        skip, top = _int(query, "$skip", 0), _int(query, "$top", -1)
        with self.sap.lock:
            rows = list(self.sap.data[service].rows[entity_set.name].values())
            if keep is not None:
                rows = [r for r in rows if keep(r)]
            rows = sort_records(rows, order)
            total = len(rows)
            rows = rows[skip:] if top < 0 else rows[skip : skip + top]
            offset = _int(query, "$skiptoken", 0)
            page = rows[offset:] if self.sap.page_size is None else rows[offset : offset + self.sap.page_size]
            result: dict[str, Any] = {
                "results": [self._render(service, entity_set, r, expand, select) for r in page]
            }
        if query.get("$inlinecount") == "allpages":
            result["__count"] = str(total)
        if self.sap.page_size is not None and offset + self.sap.page_size < len(rows):
            params = {k: v for k, v in query.items() if k != "$skiptoken"}
            params["$skiptoken"] = str(offset + self.sap.page_size)
            path = f"{SERVICE_ROOT}{service}/{entity_set.name}"
            result["__next"] = f"{self._base()}{path}?{urlencode(params)}"
        self._json(200, {"d": result}, headers)

    def _navigation(self, service: str, entity_set: EntitySet, record: Record, nav_name: str) -> None:
        model = self.sap.services[service]
        nav = entity_set.type.navs.get(nav_name)
        if nav is None:
            raise _protocol(404, "/IWBEP/CM_MGW_RT/021", f"Navigation property '{nav_name}' not found")
        target = model.set_of_type(nav.target_type)
        if self.command == "POST":
            if not nav.creatable:
                raise SapError(
                    405,
                    "/IWBEP/CM_MGW_RT/051",
                    f"Navigation property '{nav_name}' creates no entities (sap:creatable=\"false\")",
                    kind="contract",
                )
            return self._create(service, target, self._object_body(), record, entity_set)
        if self.command not in ("GET", "HEAD"):
            raise _protocol(405, "/IWBEP/CM_MGW_RT/005", f"Method {self.command} not allowed on '{nav_name}'")
        with self.sap.lock:
            rows = self.sap.data[service].children(entity_set, record, nav_name)
            rendered = [self._render(service, target, r, {}, None) for r in rows]
        if nav.many:
            return self._json(200, {"d": {"results": rendered}})
        if not rendered:
            raise _protocol(404, "/IWBEP/CM_MGW_RT/025", f"Resource not found for segment '{nav_name}'")
        return self._json(200, {"d": rendered[0]})

    # -- writes ---------------------------------------------------------------------------------
    def _create(
        self,
        service: str,
        entity_set: EntitySet,
        body: dict[str, Any],
        parent: Record | None,
        parent_set: EntitySet | None,
    ) -> None:
        model = self.sap.services[service]
        data = self.sap.data[service]
        check_body(model, entity_set.type, body, "create")
        if self.headers.get("If-Match") is not None:
            raise _protocol(400, "/IWBEP/CM_MGW_RT/004", "If-Match is not allowed on a create")
        data.check_values(entity_set.type, body)
        with self.sap.lock:
            self.sap.rules.check_create(service, entity_set, body, parent)
            record, _ = data.create(entity_set, body, parent, parent_set.type if parent_set else None)
            self.sap.rules.after_create(service, entity_set, record)
            if parent is not None and parent_set is not None and "to_Item" in parent_set.type.navs:
                self.sap.rules.price(service, parent_set, parent)  # an item added to a document
            deep = {name: {} for name in body if name in entity_set.type.navs}
            payload = {"d": self._render(service, entity_set, record, deep, None)}
            uri = self._uri(service, entity_set, record)
            created_headers = {"Location": uri, **self._etag_header(service, entity_set, record)}
        if self.sap.on_created is not None:
            self.sap.on_created(service, entity_set.name, dict(record))
        self._json(201, payload, created_headers)

    def _update(self, service: str, entity_set: EntitySet, key: Key) -> None:
        model = self.sap.services[service]
        data = self.sap.data[service]
        body = self._object_body()
        etype = entity_set.type
        check_body(model, etype, body, "update", dict(zip(etype.keys, key, strict=True)))
        values, _ = data.typed(etype, body)
        if self.command == "PUT":  # a full replacement: what is not sent becomes initial
            for name, prop in etype.properties.items():
                if name not in values and prop.updatable and prop.nullable and name not in etype.keys:
                    values[name] = None
        with self.sap.lock:
            record = data.rows[entity_set.name].get(key)
            if record is None:
                raise not_found(entity_set, key)
            check_if_match(etype, self.headers.get("If-Match"), data.etag(entity_set, record))
            updated = data.update(entity_set, key, values)
            etag_headers = self._etag_header(service, entity_set, updated)
        self._send(204, b"", etag_headers)

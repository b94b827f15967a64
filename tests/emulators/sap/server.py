"""An HTTP server that answers like SAP Gateway (OData v2) for the services whose EDMX it loaded.

Runs on a 127.0.0.1 thread. What it enforces, as SAP does: authentication (basic or OAuth 2.0 client
credentials), CSRF tokens on writes, ETags on changes (428 without, 412 when stale), the metadata
(unknown properties and over-long values are refused), server paging with absolute ``__next`` links.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlsplit

from tests.emulators.sap.data import Clock, Key, Record, SapError, ServiceData, not_found
from tests.emulators.sap.metadata import EntitySet, ServiceModel, load_service
from tests.emulators.sap.query import parse_filter, sort_records
from tests.emulators.sap.values import ValueError_, from_literal, to_json

__all__ = ["SERVICE_ROOT", "SapEmulator"]

SERVICE_ROOT = "/sap/opu/odata/sap/"
MAX_PAGE = 5000
_SEGMENT = re.compile(
    r"^(?P<set>[A-Za-z_][A-Za-z0-9_]*)(?:\((?P<key>.*)\))?(?:/(?P<nav>[A-Za-z_]\w*))?$", re.S
)
_KEY_PART = re.compile(r"\s*(?:(?P<name>\w+)\s*=\s*)?(?P<value>'(?:[^']|'')*'|[^,]+)\s*(?:,|$)")
_QUERY_OPTIONS = {"$filter", "$orderby", "$top", "$skip", "$select", "$expand", "$inlinecount", "$skiptoken"}
Validator = Callable[["SapEmulator", Record], str | None]


@dataclass
class Fault:
    status: int
    method: str | None
    times: int


def _sales_doc_checks(emulator: SapEmulator, body: Record) -> str | None:
    """SAP refuses an order whose sold-to party or material it does not know."""
    party = body.get("SoldToParty")
    if party is not None and (party,) not in emulator.data["API_BUSINESS_PARTNER"].rows["A_Customer"]:
        return f"Sold-to party {party} does not exist"
    items = body.get("to_Item") or []
    items = items.get("results", []) if isinstance(items, dict) else items
    products = emulator.data["API_PRODUCT_SRV"].rows["A_Product"]
    for item in items:
        material = item.get("Material")
        if material is not None and (material,) not in products:
            return f"Material {material} does not exist"
    return None


class SapEmulator:
    """SAP S/4HANA's OData v2 APIs, in process. ``with SapEmulator(dir) as sap: sap.url``."""

    def __init__(
        self,
        contracts_dir: Path,
        *,
        user: str = "SYNCHUB",
        password: str = "Welcome1!",
        client_id: str = "synchub-client",
        client_secret: str = "s3cret",
        page_size: int = 100,
        clock: Clock | None = None,
    ) -> None:
        self.user, self.password = user, password
        self.client_id, self.client_secret = client_id, client_secret
        self.page_size = min(page_size, MAX_PAGE)
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.lock = threading.RLock()
        self.services: dict[str, ServiceModel] = {}
        self.data: dict[str, ServiceData] = {}
        for path in sorted(Path(contracts_dir).glob("*.edmx")):
            model = load_service(path)
            self.services[model.name] = model
            self.data[model.name] = ServiceData(model, lambda: self.clock(), self.lock)
        self.csrf_tokens: set[str] = set()
        self.access_tokens: set[str] = set()
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str]] = []
        """(method, path with query) of every request, for tests to check what was asked."""
        self.validators: dict[tuple[str, str], list[Validator]] = {
            ("API_SALES_ORDER_SRV", "A_SalesOrder"): [_sales_doc_checks],
            ("API_CUSTOMER_RETURN_SRV", "A_CustomerReturn"): [_sales_doc_checks],
        }
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle -----------------------------------------------------------------------------
    def start(self) -> SapEmulator:
        emulator = self

        class Handler(_Handler):
            sap = emulator

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SapEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the emulator first"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth/token"

    # -- test hooks -----------------------------------------------------------------------------
    def expire_csrf_tokens(self) -> None:
        """As when the SAP session times out: every CSRF token handed out so far is refused."""
        self.csrf_tokens.clear()

    def fail_next(self, status: int, *, method: str | None = None, times: int = 1) -> None:
        self.faults.append(Fault(status, method, times))

    def seed(self, service: str, entity_set: str, body: Record) -> Record:
        """Create a record directly (JSON wire values, deep data allowed), bypassing HTTP."""
        return self.data[service].create(self.services[service].sets[entity_set], body)

    def change(self, service: str, entity_set: str, key: Key, **values: Any) -> Record:
        """Change a record as a user in SAP would (new ETag, change timestamps)."""
        return self.data[service].update(self.services[service].sets[entity_set], key, values)

    def rows(self, service: str, entity_set: str) -> list[Record]:
        with self.lock:
            return [dict(r) for r in self.data[service].rows[entity_set].values()]

    def get(self, service: str, entity_set: str, *key: Any) -> Record | None:
        row = self.data[service].rows[entity_set].get(tuple(key))
        return dict(row) if row is not None else None


class _Handler(BaseHTTPRequestHandler):
    sap: SapEmulator
    _raw: bytes = b""
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    # -- plumbing -------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
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
        detail = {
            "code": exc.code,
            "message": exc.message,
            "propertyref": exc.target,
            "severity": "error",
            "target": exc.target,
            "transition": False,
        }
        payload = {
            "error": {
                "code": exc.code,
                "message": {"lang": "en", "value": exc.message},
                "innererror": {
                    "application": {"component_id": "SD-SLS-API", "service_namespace": "/SAP/"},
                    "transactionid": secrets.token_hex(16).upper(),
                    "timestamp": datetime.now(UTC).strftime("%Y%m%d%H%M%S.%f"),
                    "errordetails": [detail],
                },
            }
        }
        self._json(exc.status, payload, headers)

    def _body(self) -> Any:
        raw = self._raw
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SapError(400, "/IWBEP/CM_MGW_RT/011", f"Malformed JSON in request body: {exc}") from None

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
                self._error(SapError(fault.status, "/IWFND/CM_BEC/076", "Service temporarily unavailable"))
                return True
        return False

    def _dispatch(self) -> None:
        # Read the body first, whatever the answer: left unread it would corrupt the kept-alive connection.
        length = int(self.headers.get("Content-Length") or 0)
        self._raw = self.rfile.read(length) if length else b""
        self.sap.log.append((self.command, self.path))
        parts = urlsplit(self.path)
        if parts.path == "/oauth/token":
            return self._token()
        if not self._authorised():
            return self._send(401, b"Logon failed", {"WWW-Authenticate": 'Basic realm="SAP NetWeaver"'})
        if self._fault():
            return None
        try:
            if not parts.path.startswith(SERVICE_ROOT):
                raise SapError(
                    404, "/IWFND/MED/170", f"No service found for namespace '', name '{parts.path}'"
                )
            service_name, _, rest = parts.path[len(SERVICE_ROOT) :].partition("/")
            model = self.sap.services.get(service_name)
            if model is None:
                raise SapError(404, "/IWFND/MED/170", f"No service found for name '{service_name}'")
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
                    SapError(403, "/IWFND/CM_CSRF/001", "CSRF token validation failed"),
                    {"x-csrf-token": "Required"},
                )
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            self._route(service_name, model, unquote(rest), query, headers)
        except SapError as exc:
            self._error(exc)
        except ValueError_ as exc:
            self._error(SapError(400, "/IWBEP/CM_MGW_RT/004", str(exc)))

    do_GET = do_HEAD = do_POST = do_PATCH = do_MERGE = do_PUT = do_DELETE = _dispatch

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
            raise SapError(404, "/IWBEP/CM_MGW_RT/021", f"Resource not found for segment '{rest}'")
        entity_set = model.sets[m.group("set")]
        data = self.sap.data[service]
        unknown = [k for k in query if k.startswith("$") and k not in _QUERY_OPTIONS | {"$format"}]
        if unknown:
            raise SapError(
                400, "/IWBEP/CM_MGW_RT/004", f"System query option '{unknown[0]}' is not supported"
            )
        if m.group("key") is None:
            if self.command in ("GET", "HEAD"):
                return self._collection(service, entity_set, query, headers)
            if self.command == "POST":
                return self._create(service, entity_set, headers)
            raise SapError(405, "/IWBEP/CM_MGW_RT/005", f"Method {self.command} not allowed on a collection")
        key = self._key(entity_set, m.group("key"))
        with self.sap.lock:
            record = data.rows[entity_set.name].get(key)
        if record is None:
            raise not_found(entity_set, key)
        if m.group("nav"):
            nav = m.group("nav")
            if nav not in entity_set.type.navs:
                raise SapError(404, "/IWBEP/CM_MGW_RT/021", f"Navigation property '{nav}' not found")
            target = model.set_of_type(entity_set.type.navs[nav].target_type)
            rows = data.children(entity_set, record, nav)
            return self._json(
                200, {"d": {"results": [self._render(service, target, r, {}, None) for r in rows]}}
            )
        if self.command in ("GET", "HEAD"):
            expand = _expand_tree(query.get("$expand", ""), entity_set, model)
            select = _select(query.get("$select"), entity_set)
            etag = data.etag(entity_set, record)
            body = {"d": self._render(service, entity_set, record, expand, select)}
            return self._json(200, body, {"ETag": etag, **headers})
        if self.command in ("PATCH", "MERGE", "PUT"):
            return self._update(service, entity_set, key, record)
        if self.command == "DELETE":
            self._check_etag(data.etag(entity_set, record))
            data.delete(entity_set, key)
            return self._send(204)
        raise SapError(405, "/IWBEP/CM_MGW_RT/005", f"Method {self.command} not allowed")

    def _key(self, entity_set: EntitySet, text: str) -> Key:
        keys = entity_set.type.keys
        found: dict[str, Any] = {}
        for i, m in enumerate(_KEY_PART.finditer(text)):
            if not m.group(0).strip():
                continue
            name = m.group("name") or (keys[0] if len(keys) == 1 and i == 0 else None)
            if name not in keys:
                raise SapError(400, "/IWBEP/CM_MGW_RT/003", f"Invalid key predicate '({text})'")
            found[name] = from_literal(m.group("value").strip(), entity_set.type.properties[name])
        if set(found) != set(keys):
            raise SapError(400, "/IWBEP/CM_MGW_RT/003", f"Key predicate '({text})' needs {', '.join(keys)}")
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
        out: dict[str, Any] = {
            "__metadata": {
                "id": uri,
                "uri": uri,
                "type": f"{model.namespace}.{etype.name}",
                "etag": data.etag(entity_set, record),
            }
        }
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

    def _collection(
        self, service: str, entity_set: EntitySet, query: dict[str, str], headers: dict[str, str]
    ) -> None:
        etype = entity_set.type
        with self.sap.lock:
            rows = list(self.sap.data[service].rows[entity_set.name].values())
        if query.get("$filter"):
            keep = parse_filter(query["$filter"], etype)
            rows = [r for r in rows if keep(r)]
        rows = sort_records(rows, query.get("$orderby") or ",".join(etype.keys), etype)
        total = len(rows)
        skip = _int(query, "$skip", 0)
        rows = rows[skip:]
        if "$top" in query:
            rows = rows[: _int(query, "$top", 0)]
        offset = _int(query, "$skiptoken", 0)
        page = rows[offset : offset + self.sap.page_size]
        expand = _expand_tree(query.get("$expand", ""), entity_set, self.sap.services[service])
        select = _select(query.get("$select"), entity_set)
        result: dict[str, Any] = {
            "results": [self._render(service, entity_set, r, expand, select) for r in page]
        }
        if query.get("$inlinecount") == "allpages":
            result["__count"] = str(total)
        if offset + self.sap.page_size < len(rows):
            params = {k: v for k, v in query.items() if k != "$skiptoken"}
            params["$skiptoken"] = str(offset + self.sap.page_size)
            path = f"{SERVICE_ROOT}{service}/{entity_set.name}"
            result["__next"] = f"{self._base()}{path}?{urlencode(params)}"
        self._json(200, {"d": result}, headers)

    def _create(self, service: str, entity_set: EntitySet, headers: dict[str, str]) -> None:
        body = self._body()
        if not isinstance(body, dict):
            raise SapError(400, "/IWBEP/CM_MGW_RT/011", "Request body must be a JSON object")
        data = self.sap.data[service]
        data.typed(entity_set.type, body)  # refuse unknown properties before business checks
        for check in self.sap.validators.get((service, entity_set.name), []):
            problem = check(self.sap, body)
            if problem:
                raise SapError(400, "V1/302", problem)
        record = data.create(entity_set, body)
        deep = {name: {} for name in body if name in entity_set.type.navs}
        uri = self._uri(service, entity_set, record)
        payload = {"d": self._render(service, entity_set, record, deep, None)}
        self._json(201, payload, {"Location": uri, "ETag": data.etag(entity_set, record), **headers})

    def _check_etag(self, current: str) -> None:
        sent = self.headers.get("If-Match")
        if sent is None:
            raise SapError(428, "/IWBEP/CM_MGW_RT/184", "Precondition required: send the ETag in If-Match")
        if sent != "*" and sent != current:
            raise SapError(
                412,
                "/IWBEP/CM_MGW_RT/022",
                "The data has been changed by another user since it was read (ETag mismatch); read it again",
            )

    def _update(self, service: str, entity_set: EntitySet, key: Key, record: Record) -> None:
        data = self.sap.data[service]
        body = self._body()
        with self.sap.lock:
            self._check_etag(data.etag(entity_set, record))
            updated = data.update(entity_set, key, body)
            etag = data.etag(entity_set, updated)
        self._send(204, b"", {"ETag": etag})


def _quote(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _int(query: dict[str, str], name: str, default: int) -> int:
    try:
        return int(query.get(name, default))
    except ValueError:
        raise SapError(400, "/IWBEP/CM_MGW_RT/004", f"Invalid value for {name}: '{query[name]}'") from None


def _expand_tree(text: str, entity_set: EntitySet, model: ServiceModel) -> dict[str, Any]:
    """``to_Item,to_Partner/to_Address`` -> {"to_Item": {}, "to_Partner": {"to_Address": {}}}; checked."""
    tree: dict[str, Any] = {}
    for path in filter(None, (p.strip() for p in text.split(","))):
        node, etype = tree, entity_set.type
        for step in path.split("/"):
            if step not in etype.navs:
                raise SapError(
                    400, "/IWBEP/CM_MGW_RT/021", f"Navigation property '{step}' not found in {etype.name}"
                )
            node = node.setdefault(step, {})
            etype = model.types[etype.navs[step].target_type]
    return tree


def _select(text: str | None, entity_set: EntitySet) -> set[str] | None:
    if not text or text == "*":
        return None
    names = {n.strip() for n in text.split(",") if n.strip()}
    etype = entity_set.type
    for name in names:
        head = name.split("/")[0]
        if head not in etype.properties and head not in etype.navs:
            raise SapError(400, "/IWBEP/CM_MGW_RT/021", f"Property '{name}' not found in type '{etype.name}'")
    return {n for n in names if "/" not in n} | set(etype.keys)

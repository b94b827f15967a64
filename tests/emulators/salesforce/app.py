"""The emulator's HTTP face: a WSGI app answering the REST, composite, Bulk 2.0 and OAuth requests.

Responses follow the published contract: error bodies ``[{"message", "errorCode", "fields"}]``,
``Sforce-Limit-Info: api-usage=N/M`` on every data call, 2,000-record query pages with
``nextRecordsUrl``, upsert answers 201 / 200 / 300. Test controls live on :class:`SalesforceEmulator`.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from .org import ApiError, Org, RecordError, sf_timestamp
from .shape import OrgShape
from .soql import SoqlError, parse_datetime, parse_soql
from .values import coerce

__all__ = ["Fault", "InjectedTimeout", "SalesforceEmulator"]

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    300: "Multiple Choices",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Server Error",
    503: "Service Unavailable",
}


class InjectedTimeout(Exception):
    """Raised out of the app: the in-process transport turns it into a ``requests`` read timeout."""


@dataclass
class Fault:
    """One injected failure: an HTTP status (401, 429, 500, ...) or ``"timeout"``."""

    kind: int | str
    path_contains: str = ""
    retry_after: int | None = None
    skip: int = 0
    """Let this many matching requests through first."""


@dataclass
class _Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json;charset=UTF-8"


@dataclass
class _Job:
    id: str
    object: str
    operation: str
    external_id: str | None
    state: str = "Open"
    data: str = ""
    success: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    created: str = ""
    error: str | None = None

    def info(self) -> dict[str, Any]:
        return {
            "errorMessage": self.error,
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "state": self.state,
            "externalIdFieldName": self.external_id,
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": "LF",
            "apiVersion": 59.0,
            "jobType": "V2Ingest",
            "createdDate": self.created,
            "numberRecordsProcessed": len(self.success) + len(self.failed),
            "numberRecordsFailed": len(self.failed),
        }


class SalesforceEmulator:
    """An emulated org behind a WSGI app. ``clients`` maps client id -> secret (client credentials);
    ``jwt_keys`` maps client id -> PEM public key (JWT bearer; the signature is checked)."""

    def __init__(
        self,
        shape: OrgShape | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        page_size: int = 2000,
    ) -> None:
        self.org = Org(shape, clock=clock)
        self.page_size = page_size
        self.instance_url = "https://emulated.my.salesforce.com"
        self.clients: dict[str, str] = {}
        self.jwt_keys: dict[str, str] = {}
        self.tokens: set[str] = set()
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []
        """(method, path + query) of every request, for tests that count calls."""
        self.token_requests = 0
        self.fail_next_job = False
        """The next Bulk 2.0 job ends ``Failed`` as a whole (as on a platform error)."""
        self.hold_jobs = False
        """Bulk 2.0 jobs stay ``InProgress`` (a busy org): waits time out."""
        """The next Bulk 2.0 job ends ``Failed`` as a whole (as on a platform error)."""
        self._cursors: dict[str, tuple[list[dict[str, Any]], list[str]]] = {}
        self._jobs: dict[str, _Job] = {}
        self._ids = itertools.count(1)

    # -- test controls -----------------------------------------------------------------------------
    def session_token(self) -> str:
        """A valid access token, as a session id handed over by an admin."""
        token = "00D" + secrets.token_hex(16)
        self.tokens.add(token)
        return token

    def expire_sessions(self) -> None:
        """Every issued token stops working (the next call answers 401 INVALID_SESSION_ID)."""
        self.tokens.clear()

    def inject(
        self,
        kind: int | str,
        *,
        times: int = 1,
        path_contains: str = "",
        retry_after: int | None = None,
        skip: int = 0,
    ) -> None:
        """The next ``times`` matching requests (after ``skip`` of them) fail with ``kind``: an HTTP
        status (400 = the request refused as a whole), ``"timeout"``, or ``"daily_limit"`` (the org's
        daily allowance runs out at that request: it and every later one get 403 REQUEST_LIMIT_EXCEEDED)."""
        self.faults.extend(Fault(kind, path_contains, retry_after, skip) for _ in range(times))

    # -- WSGI ----------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        self.requests.append((method, path + (f"?{query}" if query else "")))
        try:
            response = self._dispatch(environ, method, path, query, body)
        except ApiError as exc:
            response = _Response(exc.status, exc.body())
        except RecordError as exc:
            response = _Response(exc.status, exc.body())
        if path.startswith("/services/data/"):
            response.headers["Sforce-Limit-Info"] = f"api-usage={self.org.api_used}/{self.org.api_limit}"
        if response.raw is not None:
            payload = response.raw
        elif response.status == 204:
            payload = b""
        else:
            payload = json.dumps(response.body).encode()
        headers = [
            ("Content-Type", response.content_type),
            ("Content-Length", str(len(payload))),
            ("Date", format_datetime(self.org.clock(), usegmt=True)),
        ]
        headers.extend(response.headers.items())
        start_response(f"{response.status} {_REASONS.get(response.status, 'Status')}", headers)
        return [payload]

    def _fault(self, path: str) -> _Response | None:
        for i, fault in enumerate(self.faults):
            if fault.path_contains in path:
                if fault.skip:
                    fault.skip -= 1
                    return None
                del self.faults[i]
                if fault.kind == "timeout":
                    raise InjectedTimeout(path)
                if fault.kind == "daily_limit":
                    self.org.api_used = self.org.api_limit  # the usage check below refuses it (G4)
                    return None
                status = int(fault.kind)
                if status == 401:
                    self.expire_sessions()
                    return _Response(
                        401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
                    )
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                if status == 400:
                    return _Response(
                        400, [{"message": "The request was malformed", "errorCode": "JSON_PARSER_ERROR"}]
                    )
                if status == 429:
                    return _Response(
                        429,
                        [{"message": "Too many requests", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
                        headers,
                    )
                return _Response(
                    status,
                    [{"message": "An unexpected error occurred", "errorCode": "UNKNOWN_EXCEPTION"}],
                    headers,
                )
        return None

    def _dispatch(
        self, environ: dict[str, Any], method: str, path: str, query: str, body: bytes
    ) -> _Response:
        fault = self._fault(path)
        if fault is not None:
            return fault
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if path == "/services/oauth2/token" and method == "POST":
            return self._token({k: v[-1] for k, v in parse_qs(body.decode()).items()})
        if path.rstrip("/") == "/services/data":
            return _Response(200, [{"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"}])
        match = re.fullmatch(r"/services/data/v(\d+\.\d)/(.*)", path)
        if match is None:
            raise ApiError(404, "NOT_FOUND", f"The requested resource does not exist: {path}")
        self._authorise(environ.get("HTTP_AUTHORIZATION", ""))
        self.org.api_used += 1
        if self.org.api_used > self.org.api_limit:
            raise ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        version, rest = match.group(1), match.group(2).rstrip("/")
        parts = [unquote(p) for p in rest.split("/")]
        data = (
            json.loads(body)
            if body and environ.get("CONTENT_TYPE", "").startswith("application/json")
            else None
        )
        return self._route(version, method, parts, params, data, body)

    def _authorise(self, header: str) -> None:
        token = header.removeprefix("Bearer ").strip()
        if token not in self.tokens:
            raise ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")

    # -- OAuth ---------------------------------------------------------------------------------------
    def _token(self, form: dict[str, str]) -> _Response:
        self.token_requests += 1
        grant = form.get("grant_type")
        if grant == "client_credentials":
            if self.clients.get(form.get("client_id", "")) != form.get("client_secret") or not form.get(
                "client_secret"
            ):
                return _Response(
                    400, {"error": "invalid_client", "error_description": "invalid client credentials"}
                )
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            import jwt  # the test double checks real signatures; PyJWT comes with simple-salesforce

            try:
                claims = jwt.decode(form.get("assertion", ""), options={"verify_signature": False})
                key = self.jwt_keys[claims["iss"]]
                jwt.decode(form["assertion"], key, algorithms=["RS256"], audience=claims.get("aud"))
            except (KeyError, jwt.PyJWTError) as exc:
                return _Response(
                    400, {"error": "invalid_grant", "error_description": f"invalid assertion: {exc}"}
                )
        else:
            return _Response(
                400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
            )
        token = self.session_token()
        return _Response(
            200,
            {
                "access_token": token,
                "instance_url": self.instance_url,
                "token_type": "Bearer",
                "id": f"{self.instance_url}/id/00D000000000001/{self.org.integration_user}",
                "issued_at": str(int(datetime.now(UTC).timestamp() * 1000)),
                "signature": "emulated",
            },
        )

    # -- data API ------------------------------------------------------------------------------------
    def _route(
        self, version: str, method: str, parts: list[str], params: dict[str, str], data: Any, body: bytes
    ) -> _Response:
        head = parts[0]
        if head == "limits" and method == "GET":
            return _Response(
                200,
                {
                    "DailyApiRequests": {
                        "Max": self.org.api_limit,
                        "Remaining": self.org.api_limit - self.org.api_used,
                    }
                },
            )
        if head in ("query", "queryAll") and method == "GET":
            if len(parts) == 2:
                return self._more(version, parts[1])
            return self._query(version, params.get("q", ""), include_deleted=head == "queryAll")
        if head == "sobjects" and len(parts) == 1 and method == "GET":
            return self._global()
        if head == "sobjects" and len(parts) >= 2:
            return self._sobjects(version, method, parts[1:], params, data)
        if head == "composite" and len(parts) >= 2 and parts[1] == "sobjects":
            return self._collections(version, method, parts[2:], params, data)
        if head == "jobs" and len(parts) >= 2 and parts[1] == "ingest":
            return self._ingest(method, parts[2:], data, body)
        raise ApiError(404, "NOT_FOUND", f"The requested resource does not exist: /{'/'.join(parts)}")

    def _attributes(self, version: str, name: str, record: dict[str, Any]) -> dict[str, Any]:
        return {"type": name, "url": f"/services/data/v{version}/sobjects/{name}/{record['Id']}"}

    def _query(self, version: str, soql: str, *, include_deleted: bool) -> _Response:
        try:
            query = parse_soql(soql)
        except SoqlError as exc:
            raise ApiError(400, "MALFORMED_QUERY", str(exc)) from None
        kind = self.org.sobject(query.sobject)
        for name in [*query.fields, *query.where_fields, *(f for f, _ in query.order_by)]:
            if name not in kind.fields:
                raise ApiError(
                    400, "INVALID_FIELD", f"No such column '{name}' on entity '{query.sobject}'", [name]
                )
        with self.org.lock:
            pool = list(self.org.records[query.sobject].values())
            if include_deleted:
                pool += list(self.org.deleted[query.sobject].values())
        rows = [r for r in pool if query.where is None or query.where(r)]
        for name, desc in reversed(query.order_by):
            # Salesforce sorts nulls first ascending; keep them apart so mixed types never compare.
            rows.sort(key=lambda r, n=name: (r.get(n) is not None, _sort_key(r.get(n))), reverse=desc)
        if query.limit is not None:
            rows = rows[: query.limit]
        out = [
            {"attributes": self._attributes(version, query.sobject, r), **{f: r.get(f) for f in query.fields}}
            for r in rows
        ]
        return self._page(version, out, total=len(out), offset=0)

    def _page(
        self, version: str, rows: list[dict[str, Any]], *, total: int, offset: int, locator: str | None = None
    ) -> _Response:
        page = rows[offset : offset + self.page_size]
        end = offset + len(page)
        body: dict[str, Any] = {"totalSize": total, "done": end >= total, "records": page}
        if end < total:
            locator = locator or f"01g{next(self._ids):015d}"
            self._cursors[locator] = (rows, [])
            body["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
        return _Response(200, body)

    def _more(self, version: str, token: str) -> _Response:
        locator, _, offset = token.rpartition("-")
        if locator not in self._cursors or not offset.isdigit():
            raise ApiError(400, "INVALID_QUERY_LOCATOR", f"invalid query locator {token!r}")
        rows = self._cursors[locator][0]
        return self._page(version, rows, total=len(rows), offset=int(offset), locator=locator)

    def _sobjects(
        self, version: str, method: str, parts: list[str], params: dict[str, str], data: Any
    ) -> _Response:
        name = parts[0]
        self.org.sobject(name)
        if len(parts) == 1 and method == "POST":
            record_id = self.org.insert(name, _body(data))
            return _Response(201, {"id": record_id, "success": True, "errors": []})
        if len(parts) == 2 and parts[1] == "describe" and method == "GET":
            return _Response(200, self.org.describe(name))
        if len(parts) == 2 and parts[1] in ("deleted", "updated") and method == "GET":
            return self._changed(name, parts[1], params)
        if len(parts) == 2:
            record_id = parts[1]
            if method == "GET":
                record = self.org.live(name, record_id)
                return _Response(200, {"attributes": self._attributes(version, name, record), **record})
            if method == "PATCH":
                self.org.update(name, record_id, _body(data))
                return _Response(204)
            if method == "DELETE":
                self.org.delete(name, record_id)
                return _Response(204)
        if len(parts) == 3:
            field_name, value = parts[1], parts[2]
            spec = self.org.schema[name].fields.get(field_name)
            if spec is None or not (spec.external_id or spec.id_lookup):
                raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")  # U2
            matches = [r for r in self.org.records[name].values() if r.get(field_name) == value]
            if len(matches) > 1:  # G7, U1
                return _Response(
                    300, [f"/services/data/v{version}/sobjects/{name}/{r['Id']}" for r in matches]
                )
            if method == "GET":
                if not matches:
                    raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
                return _Response(
                    200, {"attributes": self._attributes(version, name, matches[0]), **matches[0]}
                )
            if method == "PATCH":
                body = _body(data)
                if field_name in body:
                    # U1: the value comes from the URL only.
                    raise RecordError(
                        "INVALID_FIELD",
                        f"{field_name} is not allowed in the body of an upsert by it",
                        [field_name],
                    )
                if params.get("updateOnly", "").lower() == "true" and not matches:
                    raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
                record_id, created = self.org.upsert(name, field_name, value, body)
                return _Response(
                    201 if created else 200,
                    {"id": record_id, "success": True, "errors": [], "created": created},
                )
        raise ApiError(405, "METHOD_NOT_ALLOWED", f"HTTP method '{method}' not allowed here")

    def _global(self) -> _Response:
        sobjects = [
            {k: v for k, v in self.org.describe(n).items() if k not in ("fields", "recordTypeInfos")}
            for n in self.org.schema
        ]
        return _Response(200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": sobjects})

    def _changed(self, name: str, which: str, params: dict[str, str]) -> _Response:
        try:
            start, end = parse_datetime(params["start"]), parse_datetime(params["end"])
        except (KeyError, ValueError):
            raise ApiError(400, "INVALID_PARAMETER", "start and end must be ISO 8601 date-times") from None
        now = self.org.clock()
        if start < now - timedelta(days=30):
            raise ApiError(400, "INVALID_REPLICATION_DATE", "startDate cannot be more than 30 days ago")
        if end < start:
            raise ApiError(400, "INVALID_REPLICATION_DATE", "endDate before startDate")
        start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
        if which == "updated":
            hits = [
                rid
                for rid, r in self.org.records[name].items()
                if start <= parse_datetime(r["SystemModstamp"]) <= end
            ]
            return _Response(200, {"ids": hits, "latestDateCovered": sf_timestamp(end)})
        log = self.org.delete_log[name]
        return _Response(
            200,
            {
                "deletedRecords": [
                    {"id": rid, "deletedDate": sf_timestamp(when)}
                    for rid, when in log.items()
                    if start <= when <= end
                ],
                "earliestDateAvailable": sf_timestamp(self.org.earliest_deleted),
                "latestDateCovered": sf_timestamp(end),
            },
        )

    def _collections(
        self, version: str, method: str, parts: list[str], params: dict[str, str], data: Any
    ) -> _Response:
        if method == "GET" and len(parts) == 1:
            ids = [i for i in params.get("ids", "").split(",") if i]
            fields = [f for f in params.get("fields", "").split(",") if f]
            spec = self.org.sobject(parts[0])
            unknown = [f for f in fields if f not in spec.fields]
            if unknown:  # C5
                raise ApiError(
                    400, "INVALID_FIELD", f"No such column '{unknown[0]}' on entity '{parts[0]}'", unknown
                )
            out: list[Any] = []
            for record_id in ids:
                record = self.org.records[parts[0]].get(record_id)
                out.append(
                    None
                    if record is None
                    else {
                        "attributes": self._attributes(version, parts[0], record),
                        **{f: record.get(f) for f in fields},
                    }
                )
            return _Response(200, out)
        if method == "DELETE" and not parts:
            ids = [i for i in params.get("ids", "").split(",") if i]
            _limit(len(ids))
            all_or_none = params.get("allOrNone", "false").lower() == "true"
            return _Response(200, self._each(ids, all_or_none, self._delete_one))
        body = data if isinstance(data, dict) else {}
        records = body.get("records")
        if not isinstance(records, list):
            raise ApiError(400, "JSON_PARSER_ERROR", "records: a list of sObjects is required")
        _limit(len(records))
        all_or_none = str(body.get("allOrNone", False)).lower() == "true"
        if method == "POST" and not parts:
            return _Response(200, self._each(records, all_or_none, self._create_one))
        if method == "PATCH" and (not parts or len(parts) == 1):
            return _Response(200, self._each(records, all_or_none, self._update_one))
        if method == "PATCH" and len(parts) == 2:
            name, key = parts
            spec = self.org.sobject(name).fields.get(key)
            if spec is None or not (spec.external_id or spec.id_lookup):
                raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")  # U2
            counts: dict[Any, int] = {}
            for record in records:
                counts[record.get(key)] = counts.get(record.get(key), 0) + 1
            return _Response(
                200,
                self._each(
                    records, all_or_none, lambda r: self._upsert_one(name, key, r, counts), upsert=True
                ),
            )
        raise ApiError(405, "METHOD_NOT_ALLOWED", f"HTTP method '{method}' not allowed here")

    def _each(
        self, items: list[Any], all_or_none: bool, one: Callable[[Any], dict[str, Any]], upsert: bool = False
    ) -> list[dict[str, Any]]:
        """C3/C4: one result per record, in order; with allOrNone a failure rolls every record back."""
        results: list[dict[str, Any]] = []
        failed = False
        try:
            with self.org.all_or_none() if all_or_none else _nothing():
                for item in items:
                    try:
                        results.append(one(item))
                    except RecordError as exc:
                        failed = True
                        results.append({"id": None, "success": False, "errors": [exc.as_result()]})
                if all_or_none and failed:
                    raise _RolledBack
        except _RolledBack:
            rolled = {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid and the request was "
                "using AllOrNone header",
                "fields": [],
            }
            results = [
                r if not r["success"] else {"id": None, "success": False, "errors": [rolled]} for r in results
            ]
        if upsert:
            for r in results:
                r.setdefault("created", False)
        return results

    def _type(self, record: Any) -> str:
        if not isinstance(record, dict):
            raise ApiError(400, "JSON_PARSER_ERROR", "each record must be a JSON object")
        name = (record.get("attributes") or {}).get("type")
        if not name:
            raise RecordError("INVALID_TYPE", "Must specify a type in attributes", [])  # C2
        self.org.sobject(name)
        return str(name)

    def _create_one(self, record: Any) -> dict[str, Any]:
        name = self._type(record)
        if "Id" in record or "id" in record:
            raise RecordError("INVALID_FIELD", "Id not allowed in create", ["Id"])  # C2
        return {"id": self.org.insert(name, _body(record)), "success": True, "errors": []}

    def _update_one(self, record: Any) -> dict[str, Any]:
        name = self._type(record)
        body = _body(record)
        record_id = body.pop("Id", None) or body.pop("id", None)
        if not record_id:
            raise RecordError("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])  # C2
        self.org.update(name, str(record_id), body)
        return {"id": record_id, "success": True, "errors": []}

    def _upsert_one(self, name: str, key: str, record: Any, counts: dict[Any, int]) -> dict[str, Any]:
        if self._type(record) != name:
            raise RecordError("INVALID_TYPE", f"records must be of type {name}", [])  # C2
        body = _body(record)
        if "Id" in body:
            raise RecordError("INVALID_FIELD", "record ids are not allowed in an upsert", ["Id"])
        value = body.get(key)
        if not value:
            raise RecordError("MISSING_ARGUMENT", f"{key} not specified", [key])
        if counts.get(value, 0) > 1:
            raise RecordError(
                "DUPLICATE_EXTERNAL_ID", f"{key}: the same value is given twice in this request", [key]
            )  # U3
        try:
            record_id, created = self.org.upsert(name, key, str(value), body)
        except RecordError as exc:
            if exc.status == 300:
                raise RecordError("DUPLICATE_EXTERNAL_ID", exc.message, exc.fields) from None  # U3
            raise
        return {"id": record_id, "success": True, "errors": [], "created": created}

    def _delete_one(self, record_id: Any) -> dict[str, Any]:
        name = self.org.object_of(str(record_id))
        if name is None:
            raise RecordError("MALFORMED_ID", f"malformed id {record_id}", [])
        try:
            self.org.delete(name, str(record_id))
        except RecordError as exc:
            if exc.code == "NOT_FOUND":
                raise RecordError("ENTITY_IS_DELETED", "entity is deleted", []) from None
            raise
        return {"id": record_id, "success": True, "errors": []}

    # -- Bulk API 2.0 ingest -------------------------------------------------------------------------
    def _ingest(self, method: str, parts: list[str], data: Any, body: bytes) -> _Response:
        if not parts:
            if method == "GET":
                return _Response(
                    200,
                    {
                        "done": True,
                        "records": [j.info() for j in self._jobs.values()],
                        "nextRecordsUrl": None,
                    },
                )
            if method == "POST":
                spec = data or {}
                operation = spec.get("operation")
                if operation not in ("insert", "update", "upsert", "delete"):
                    raise ApiError(400, "INVALIDJOB", f"unsupported operation {operation!r}")
                if operation == "upsert" and not spec.get("externalIdFieldName"):
                    raise ApiError(400, "INVALIDJOB", "externalIdFieldName is required for upsert")
                self.org.sobject(spec.get("object", ""))
                job = _Job(
                    f"750{next(self._ids):015d}",
                    spec["object"],
                    operation,
                    spec.get("externalIdFieldName"),
                    created=sf_timestamp(self.org.clock()),
                )
                self._jobs[job.id] = job
                return _Response(200, job.info())
        job = self._jobs.get(parts[0]) if parts else None
        if job is None:
            raise ApiError(404, "NOT_FOUND", "The requested job does not exist")
        if len(parts) == 1:
            if method == "GET":
                return _Response(200, job.info())
            if method == "DELETE":
                del self._jobs[job.id]
                return _Response(204)
            if method == "PATCH":
                state = (data or {}).get("state")
                if state == "Aborted":
                    job.state = "Aborted"
                elif state == "UploadComplete" and job.state == "Open":
                    if self.hold_jobs:
                        job.state = "InProgress"
                    else:
                        self._run(job)
                else:
                    raise ApiError(400, "INVALIDJOBSTATE", f"cannot move a job from {job.state} to {state}")
                return _Response(200, job.info())
        if len(parts) == 2 and parts[1] == "batches" and method == "PUT":
            if job.state != "Open":
                raise ApiError(400, "INVALIDJOBSTATE", "data can only be uploaded to an Open job")
            job.data += body.decode("utf-8")
            return _Response(201, None, raw=b"")
        # Salesforce documents "unprocessedrecords"; simple-salesforce asks for "unprocessedRecords".
        kind = parts[1].lower() if len(parts) == 2 else ""
        if method == "GET" and kind in ("successfulresults", "failedresults", "unprocessedrecords"):
            if kind == "successfulresults":
                text = _csv(["sf__Id", "sf__Created", *job.columns], job.success)
            elif kind == "failedresults":
                text = _csv(["sf__Id", "sf__Error", *job.columns], job.failed)
            else:
                text = _csv(job.columns, [])
            return _Response(200, None, raw=text.encode(), content_type="text/csv")
        raise ApiError(405, "METHOD_NOT_ALLOWED", f"HTTP method '{method}' not allowed here")

    def _run(self, job: _Job) -> None:
        """Process the uploaded CSV at once: the job ends JobComplete, or Failed as a whole."""
        reader = csv.DictReader(io.StringIO(job.data))
        job.columns = list(reader.fieldnames or [])
        fields = self.org.sobject(job.object).fields
        unknown = [c for c in job.columns if c not in fields]
        if unknown or self.fail_next_job:
            # A bad header fails the whole job, with no per-record results.
            job.state, self.fail_next_job = "Failed", False
            job.error = (
                f"InvalidBatch : Field name not found : {unknown[0]}" if unknown else "InternalServerError"
            )
            return
        for row in reader:
            try:
                values = {k: coerce(fields[k], None if v == "#N/A" else v) for k, v in row.items() if v != ""}
                if job.operation == "upsert":
                    assert job.external_id is not None
                    record_id, created = self.org.upsert(
                        job.object, job.external_id, str(values.pop(job.external_id, "")), values
                    )
                elif job.operation == "insert":
                    record_id, created = self.org.insert(job.object, values), True
                elif job.operation == "update":
                    record_id, created = str(values.pop("Id", "")), False
                    self.org.update(job.object, record_id, values)
                else:
                    record_id, created = str(values.get("Id", "")), False
                    self.org.delete(job.object, record_id)
                job.success.append({"sf__Id": record_id, "sf__Created": str(created).lower(), **row})
            except (RecordError, ApiError) as exc:
                error = f"{exc.code}:{exc.message}:{','.join(exc.fields)} --"
                job.failed.append({"sf__Id": "", "sf__Error": error, **row})
        job.state = "JobComplete"


class _RolledBack(Exception):
    """allOrNone: undo the request's writes."""


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _limit(count: int) -> None:
    if count > 200:
        # C1: the whole request fails above 200 records.
        raise ApiError(
            400,
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than 200 records into this call",
        )


def _body(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "a JSON object is required")
    return {k: v for k, v in data.items() if k != "attributes"}


def _sort_key(value: Any) -> Any:
    return value if value is not None else ""


def _csv(columns: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote

from .org import ApiError, Org, RecordError, sf_timestamp
from .soql import SoqlError, parse_datetime, parse_soql

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
_BOOLEAN_FIELDS = {"IsActive", "IsStandard", "IsDeleted", "SyncHub_Active__c"}
_NUMBER_FIELDS = {
    "UnitPrice",
    "Quantity",
    "Discount",
    "SyncHub_Cost__c",
    "SyncHub_Credit_Limit__c",
    "SyncHub_Delivered_Quantity__c",
}


class InjectedTimeout(Exception):
    """Raised out of the app: the in-process transport turns it into a ``requests`` read timeout."""


@dataclass
class Fault:
    """One injected failure: an HTTP status (401, 429, 500, ...) or ``"timeout"``."""

    kind: int | str
    path_contains: str = ""
    retry_after: int | None = None


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

    def info(self) -> dict[str, Any]:
        return {
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

    def __init__(self, *, clock: Callable[[], datetime] | None = None, page_size: int = 2000) -> None:
        self.org = Org(clock=clock) if clock else Org()
        self.page_size = page_size
        self.instance_url = "https://emulated.my.salesforce.com"
        self.clients: dict[str, str] = {}
        self.jwt_keys: dict[str, str] = {}
        self.tokens: set[str] = set()
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []
        """(method, path + query) of every request, for tests that count calls."""
        self.token_requests = 0
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
        self, kind: int | str, *, times: int = 1, path_contains: str = "", retry_after: int | None = None
    ) -> None:
        """The next ``times`` matching requests fail with ``kind`` (an HTTP status, or ``"timeout"``)."""
        self.faults.extend(Fault(kind, path_contains, retry_after) for _ in range(times))

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
            response = _Response(400, [{"message": exc.message, "errorCode": exc.code, "fields": exc.fields}])
        if path.startswith("/services/data/"):
            response.headers["Sforce-Limit-Info"] = f"api-usage={self.org.api_used}/{self.org.api_limit}"
        if response.raw is not None:
            payload = response.raw
        elif response.status == 204:
            payload = b""
        else:
            payload = json.dumps(response.body).encode()
        headers = [("Content-Type", response.content_type), ("Content-Length", str(len(payload)))]
        headers.extend(response.headers.items())
        start_response(f"{response.status} {_REASONS.get(response.status, 'Status')}", headers)
        return [payload]

    def _fault(self, path: str) -> _Response | None:
        for i, fault in enumerate(self.faults):
            if fault.path_contains in path:
                del self.faults[i]
                if fault.kind == "timeout":
                    raise InjectedTimeout(path)
                status = int(fault.kind)
                if status == 401:
                    self.expire_sessions()
                    return _Response(
                        401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
                    )
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
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
            try:
                record_id = self.org.insert(name, _body(data))
            except RecordError as exc:
                return _Response(400, [{"message": exc.message, "errorCode": exc.code, "fields": exc.fields}])
            return _Response(201, {"id": record_id, "success": True, "errors": []})
        if len(parts) == 2 and parts[1] in ("deleted", "updated") and method == "GET":
            return self._changed(name, parts[1], params)
        if len(parts) == 2:
            record_id = parts[1]
            if method == "GET":
                record = self.org.get(name, record_id)
                return _Response(200, {"attributes": self._attributes(version, name, record), **record})
            if method == "PATCH":
                self.org.update(name, record_id, _body(data)) if record_id in self.org.records[
                    name
                ] else self.org.get(name, record_id)
                return _Response(204)
            if method == "DELETE":
                self.org.get(name, record_id)
                self.org.delete(name, record_id)
                return _Response(204)
        if len(parts) == 3:
            field_name, value = parts[1], parts[2]
            matches = [r for r in self.org.records[name].values() if r.get(field_name) == value]
            if method == "GET":
                if len(matches) > 1:
                    return _Response(
                        300, [f"/services/data/v{version}/sobjects/{name}/{r['Id']}" for r in matches]
                    )
                if not matches:
                    raise ApiError(
                        404,
                        "NOT_FOUND",
                        f"The requested resource does not exist: {name} {field_name}={value}",
                    )
                return _Response(
                    200, {"attributes": self._attributes(version, name, matches[0]), **matches[0]}
                )
            if method == "PATCH":
                if len(matches) > 1:
                    return _Response(
                        300, [f"/services/data/v{version}/sobjects/{name}/{r['Id']}" for r in matches]
                    )
                record_id, created = self.org.upsert(name, field_name, value, _body(data))
                if created:
                    return _Response(201, {"id": record_id, "success": True, "errors": [], "created": True})
                return _Response(200, {"id": record_id, "success": True, "errors": [], "created": False})
        raise ApiError(405, "METHOD_NOT_ALLOWED", f"HTTP method '{method}' not allowed here")

    def _changed(self, name: str, which: str, params: dict[str, str]) -> _Response:
        try:
            start, end = parse_datetime(params["start"]), parse_datetime(params["end"])
        except (KeyError, ValueError):
            raise ApiError(400, "INVALID_PARAMETER", "start and end must be ISO 8601 date-times") from None
        now = self.org.clock()
        earliest = now - timedelta(days=15)
        if start < earliest.replace(second=0, microsecond=0) - timedelta(minutes=1):
            raise ApiError(400, "INVALID_REPLICATION_DATE", "startDate cannot be more than 15 days ago")
        start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
        pool = self.org.deleted[name] if which == "deleted" else self.org.records[name]
        hits = [(rid, parse_datetime(r["SystemModstamp"])) for rid, r in pool.items()]
        hits = [(rid, when) for rid, when in hits if start <= when <= end]
        if which == "updated":
            return _Response(200, {"ids": [rid for rid, _ in hits], "latestDateCovered": sf_timestamp(end)})
        return _Response(
            200,
            {
                "deletedRecords": [{"id": rid, "deletedDate": sf_timestamp(when)} for rid, when in hits],
                "earliestDateAvailable": sf_timestamp(earliest),
                "latestDateCovered": sf_timestamp(end),
            },
        )

    def _collections(
        self, version: str, method: str, parts: list[str], params: dict[str, str], data: Any
    ) -> _Response:
        if method == "GET" and len(parts) == 1:
            ids = [i for i in params.get("ids", "").split(",") if i]
            fields = [f for f in params.get("fields", "").split(",") if f]
            out = []
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
            results = []
            for record_id in [i for i in params.get("ids", "").split(",") if i]:
                name = self.org.find(record_id)
                if name is None:
                    results.append(
                        {
                            "id": record_id,
                            "success": False,
                            "errors": [
                                {
                                    "statusCode": "ENTITY_IS_DELETED",
                                    "message": "entity is deleted",
                                    "fields": [],
                                }
                            ],
                        }
                    )
                    continue
                self.org.delete(name, record_id)
                results.append({"id": record_id, "success": True, "errors": []})
            return _Response(200, results)
        records = (data or {}).get("records")
        if not isinstance(records, list) or len(records) > 200:
            raise ApiError(
                400,
                "INVALID_BATCH_SIZE" if isinstance(records, list) else "JSON_PARSER_ERROR",
                "records: a list of at most 200 sObjects is required",
            )
        if str((data or {}).get("allOrNone", False)).lower() == "true":
            raise ApiError(400, "NOT_SUPPORTED", "the emulator implements allOrNone=false only")
        results = []
        for record in records:
            name = (record.get("attributes") or {}).get("type")
            try:
                if not name:
                    raise RecordError("INVALID_TYPE", "Must specify a type in attributes")
                if method == "POST" and not parts:
                    if "Id" in record:
                        raise RecordError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
                    results.append(
                        {"id": self.org.insert(name, _body(record)), "success": True, "errors": []}
                    )
                elif method == "PATCH" and (not parts or (len(parts) == 1 and parts[0] == name)):
                    # The published collection also sends updates to composite/sobjects/<SObject>.
                    body = _body(record)
                    record_id = body.pop("Id", None)
                    if not record_id or record_id not in self.org.records.get(name, {}):
                        raise RecordError(
                            "MALFORMED_ID" if not record_id else "ENTITY_IS_DELETED",
                            f"invalid or deleted id {record_id!r}",
                            ["Id"],
                        )
                    self.org.update(name, record_id, body)
                    results.append({"id": record_id, "success": True, "errors": []})
                elif method == "PATCH" and len(parts) == 2:
                    if name != parts[0]:
                        raise RecordError("INVALID_TYPE", f"records must be of type {parts[0]}")
                    value = record.get(parts[1])
                    if not value:
                        raise RecordError(
                            "MISSING_EXTERNAL_ID", f"{parts[1]} is required for an upsert", [parts[1]]
                        )
                    record_id, created = self.org.upsert(name, parts[1], value, _body(record))
                    results.append({"id": record_id, "success": True, "errors": [], "created": created})
                else:
                    raise ApiError(405, "METHOD_NOT_ALLOWED", f"HTTP method '{method}' not allowed here")
            except RecordError as exc:
                results.append({"id": None, "success": False, "errors": [exc.as_result()]})
        return _Response(200, results)

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
        """Process the uploaded CSV at once: the job goes straight to JobComplete."""
        reader = csv.DictReader(io.StringIO(job.data))
        job.columns = list(reader.fieldnames or [])
        for row in reader:
            values = {k: _csv_value(k, v) for k, v in row.items() if v != ""}
            try:
                if job.operation == "upsert":
                    assert job.external_id is not None
                    record_id, created = self.org.upsert(
                        job.object, job.external_id, str(values.get(job.external_id, "")), values
                    )
                elif job.operation == "insert":
                    record_id, created = self.org.insert(job.object, values), True
                elif job.operation == "update":
                    record_id, created = values.pop("Id", ""), False
                    if record_id not in self.org.records[job.object]:
                        raise RecordError("ENTITY_IS_DELETED", "entity is deleted", ["Id"])
                    self.org.update(job.object, record_id, values)
                else:
                    record_id, created = values.get("Id", ""), False
                    if record_id not in self.org.records[job.object]:
                        raise RecordError("ENTITY_IS_DELETED", "entity is deleted", ["Id"])
                    self.org.delete(job.object, record_id)
                job.success.append({"sf__Id": record_id, "sf__Created": str(created).lower(), **row})
            except RecordError as exc:
                error = f"{exc.code}:{exc.message}:{','.join(exc.fields)} --"
                job.failed.append({"sf__Id": "", "sf__Error": error, **row})
        job.state = "JobComplete"


def _body(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "a JSON object is required")
    return {k: v for k, v in data.items() if k != "attributes"}


def _sort_key(value: Any) -> Any:
    return value if value is not None else ""


def _csv_value(name: str, text: str) -> Any:
    """Bulk CSV cells are text: ``#N/A`` is null, booleans and numbers take the field's type."""
    if text == "#N/A":
        return None
    if name in _BOOLEAN_FIELDS:
        return text.lower() == "true"
    if name in _NUMBER_FIELDS:
        return float(text)
    return text


def _csv(columns: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()

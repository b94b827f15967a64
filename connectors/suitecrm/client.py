"""The HTTP face of SuiteCRM's V8 JSON:API (``<root>/Api/V8``), with requests.

Every call carries a valid OAuth2 token (:mod:`connectors.suitecrm.auth`); a 401 renews it and repeats
the call once. Timeouts, lost connections, HTTP 429 and 5xx raise :class:`TransientError`; a refusal
of the request itself raises :class:`~connectors.suitecrm.errors.ApiRefusal` (the SDK's
``RecordError``, with the field it names), or its kinds :class:`RecordNotFound` (deleted or
absent: SuiteCRM answers 400 for that) and :class:`RecordExists`. Callers turn those into
per-record results.

Records come back with their attributes as SuiteCRM stores them: the API's HTML encoding of
``" < > '`` is undone here, everything else stays text (see :mod:`connectors.suitecrm.values`).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import requests

from connectors.base import PermanentError, TransientError
from connectors.suitecrm.auth import TokenSource, retry_after
from connectors.suitecrm.errors import refusal_from
from connectors.suitecrm.settings import SuiteCrmSettings
from connectors.suitecrm.values import (
    MINUTE,
    SECOND,
    filter_text,
    format_bool,
    format_date,
    format_datetime,
    parse_datetime,
    unescape,
)

__all__ = ["DEFAULT_PAGE_SIZE", "Filter", "Record", "RecordPage", "SuiteCrmClient"]

DEFAULT_PAGE_SIZE = 100
JSON_API = "application/vnd.api+json"
Operator = Literal["eq", "neq", "gt", "gte", "lt", "lte", "like"]
_OPERATORS = ("eq", "neq", "gt", "gte", "lt", "lte", "like")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,35}")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class Record:
    module: str
    """The module name the record was asked for by (responses name core beans differently)."""
    id: str
    attributes: dict[str, Any]

    @property
    def modified(self) -> datetime | None:
        raw = self.attributes.get("date_modified")
        return parse_datetime(raw) if isinstance(raw, str) else None


@dataclass(frozen=True)
class RecordPage:
    records: list[Record]
    page_number: int
    total_pages: int | None
    """``meta.total-pages``; None past the last page (SuiteCRM then sends only a message)."""

    @property
    def is_last(self) -> bool:
        return self.total_pages is None or self.page_number >= self.total_pages


FilterValue = str | int | Decimal | date | datetime | bool


@dataclass(frozen=True)
class Filter:
    """``filter[field][op]=value``; values are formatted the way SuiteCRM stores them (datetimes in UTC)."""

    field: str
    op: Operator
    value: FilterValue

    def param(self) -> tuple[str, str]:
        if not _NAME.fullmatch(self.field):
            raise ValueError(f"filter field {self.field!r} is not a SuiteCRM field name")
        if self.op not in _OPERATORS:
            raise ValueError(f"filter operator {self.op!r} is not one of {', '.join(_OPERATORS)}")
        return f"filter[{self.field}][{self.op}]", _filter_value(self.value)


def _filter_value(value: FilterValue) -> str:
    if isinstance(value, bool):
        return format_bool(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, int | Decimal):
        return format(Decimal(value), "f")
    if isinstance(value, str):
        return filter_text(value)
    raise ValueError(f"cannot filter on a {type(value).__name__} ({value!r})")


class SuiteCrmClient:
    """One SuiteCRM: its token source and a requests session. Not thread-safe (one per run)."""

    def __init__(
        self,
        settings: SuiteCrmSettings,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.session = session or requests.Session()
        self.tokens = TokenSource(settings, self.session, clock=clock)
        self.server_date: datetime | None = None
        """The ``Date`` header of the last answer: the server's clock, to the second."""

    def __repr__(self) -> str:
        return f"SuiteCrmClient({self.settings.api_url!r})"

    # ------------------------------------------------------------ records

    def get(self, module: str, record_id: str, *, fields: Sequence[str] | None = None) -> Record:
        """One record; :class:`RecordNotFound` if it was deleted or never existed."""
        params = [_fields_param(module, fields)] if fields else []
        body = self.call("GET", f"module/{_name(module)}/{_id(record_id)}", params=params)
        return _record(module, body["data"])

    def page(
        self,
        module: str,
        *,
        fields: Sequence[str] | None = None,
        filters: Sequence[Filter] = (),
        operator: Literal["and", "or"] = "and",
        sort: str | None = None,
        page_number: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> RecordPage:
        """One page. ``page[number]`` is always sent: without it SuiteCRM's ``next`` link loops."""
        if page_number < 1 or page_size < 1:
            raise ValueError(f"page number and size must be >= 1 (got {page_number}, {page_size})")
        params: list[tuple[str, str]] = [("page[number]", str(page_number)), ("page[size]", str(page_size))]
        if fields:
            params.append(_fields_param(module, fields))
        if sort:
            if not _NAME.fullmatch(sort.removeprefix("-")):
                raise ValueError(f"sort {sort!r}: SuiteCRM sorts by one field, optionally prefixed with '-'")
            params.append(("sort", sort))
        params += [f.param() for f in filters]
        if filters and operator != "and":
            params.append(("filter[operator]", operator))
        body = self.call("GET", f"module/{_name(module)}", params=params)
        return _page(module, body, page_number)

    def scan(
        self,
        module: str,
        *,
        fields: Sequence[str] = ("id",),
        filters: Sequence[Filter] = (),
        after: str | None = None,
        page_size: int = 500,
    ) -> Iterator[Record]:
        """Every record matching ``filters`` in id order, paged by id (``id > last``), not by offset:
        a record changed or deleted meanwhile can then not make the scan skip another one."""
        last = after
        while True:
            bound = [Filter("id", "gt", last)] if last else []
            page = self.page(
                module, fields=fields, filters=[*filters, *bound], sort="id", page_size=page_size
            )
            yield from page.records
            if len(page.records) < page_size:
                return
            last = page.records[-1].id

    def create(self, module: str, attributes: Mapping[str, str], *, record_id: str | None = None) -> Record:
        """A new record; with ``record_id`` SuiteCRM keeps that id, so a repeated create answers
        :class:`RecordExists` instead of making a duplicate."""
        data: dict[str, Any] = {"type": _name(module), "attributes": dict(attributes)}
        if record_id is not None:
            data["id"] = _guid(record_id)
        body = self.call("POST", "module", body={"data": data})
        return _record(module, body["data"])

    def update(self, module: str, record_id: str, attributes: Mapping[str, str]) -> Record:
        """PATCH (SuiteCRM answers 201); :class:`RecordNotFound` if the record was deleted."""
        data = {"type": _name(module), "id": _id(record_id), "attributes": dict(attributes)}
        body = self.call("PATCH", "module", body={"data": data})
        return _record(module, body["data"])

    def delete(self, module: str, record_id: str) -> None:
        """Soft delete; :class:`RecordNotFound` if it is already gone."""
        self.call("DELETE", f"module/{_name(module)}/{_id(record_id)}")

    # ------------------------------------------------------------ relationships

    def related(
        self,
        module: str,
        record_id: str,
        link: str,
        *,
        page_number: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> RecordPage:
        """Records related through the link field ``link`` (all their attributes: no ``fields`` here)."""
        params = [("page[number]", str(page_number)), ("page[size]", str(page_size))]
        body = self.call(
            "GET", f"module/{_name(module)}/{_id(record_id)}/relationships/{_name(link)}", params=params
        )
        return _page(None, body, page_number)

    def relate(self, module: str, record_id: str, related_module: str, related_id: str) -> None:
        data = {"type": _name(related_module), "id": _id(related_id)}
        self.call("POST", f"module/{_name(module)}/{_id(record_id)}/relationships", body={"data": data})

    def unrelate(self, module: str, record_id: str, link: str, related_id: str) -> None:
        path = f"module/{_name(module)}/{_id(record_id)}/relationships/{_name(link)}/{_id(related_id)}"
        self.call("DELETE", path)

    # ------------------------------------------------------------ metadata

    def field_definitions(self, module: str) -> dict[str, dict[str, Any]]:
        """``GET /V8/meta/fields/{module}``: field name -> its vardef (type, len, source, ...)."""
        body = self.call("GET", f"meta/fields/{_name(module)}")
        return dict(body["data"]["attributes"])

    def current_user(self) -> Record:
        return _record("Users", self.call("GET", "current-user")["data"])

    def datetime_precision(self) -> timedelta:
        """How finely the API shows datetimes: the API user's time format decides (stock ``H:i``: minutes).
        A user without a format of their own gets the system default, which the API does not tell: minutes
        are assumed then, which is always safe for reading changes."""
        user = self.current_user()
        body = self.call("GET", f"user-preferences/{_id(user.id)}")
        prefs = body.get("data", {}).get("attributes", {}).get("global", {})
        timef = prefs.get("timef") if isinstance(prefs, dict) else None
        return SECOND if isinstance(timef, str) and "s" in timef else MINUTE

    def logout(self) -> None:
        """Revoke the current token (``POST /V8/logout``); the next call gets a new one."""
        if self.tokens.current() is not None:
            self.call("POST", "logout")
        self.tokens.forget()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> SuiteCrmClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ transport

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] = (),
        body: Any = None,
    ) -> Any:
        """The decoded body of a 2xx answer to ``<api>/<path>``; raises as the module docstring says."""
        url = f"{self.settings.api_url}/{path}"
        for attempt in (1, 2):
            token = self.tokens.access_token()
            headers = {"Authorization": f"Bearer {token}", "Accept": JSON_API}
            if body is not None:
                headers["Content-Type"] = JSON_API
            try:
                reply = self.session.request(
                    method,
                    url,
                    params=list(params),
                    json=body,
                    headers=headers,
                    timeout=self.settings.timeout,
                )
            except requests.Timeout:
                raise TransientError(
                    f"SuiteCRM {method} {path} timed out after {self.settings.timeout:.0f}s"
                ) from None
            except requests.RequestException as exc:
                raise TransientError(
                    f"SuiteCRM at {self.settings.base_url} is not reachable ({type(exc).__name__})"
                ) from None
            self._note_date(reply)
            if reply.status_code == 401 and attempt == 1:
                self.tokens.invalidate(token)  # expired or revoked (e.g. a logout elsewhere): renew once
                continue
            return self._answer(method, path, reply)
        raise AssertionError("unreachable")

    def _answer(self, method: str, path: str, reply: requests.Response) -> Any:
        status = reply.status_code
        body = _body(reply)
        if 200 <= status < 300:
            if not isinstance(body, dict):
                raise TransientError(
                    f"SuiteCRM {method} {path} answered {status} without a JSON body "
                    f"({reply.text[:120]!r}); see suitecrm.log on the server"
                )
            return body
        if status == 429 or status >= 500:
            raise TransientError(
                f"SuiteCRM {method} {path} answered {status}: {_detail(body, reply)}",
                retry_after=retry_after(reply),
            )
        if status == 401:
            raise PermanentError(
                f"SuiteCRM refused a new token for {method} {path} ({_detail(body, reply)}); check that the "
                "API user is active and the OAuth2 client is not revoked"
            )
        if status == 404:
            raise PermanentError(
                f"SuiteCRM has no API route {method} {self.settings.api_url}/{path} (HTTP 404); check the "
                "connection's host and path and that SuiteCRM's Api/.htaccess rewrite rules are active"
            )
        raise refusal_from(status, _detail(body, reply), method, path)

    def _note_date(self, reply: requests.Response) -> None:
        header = reply.headers.get("Date")
        if header:
            with contextlib.suppress(TypeError, ValueError):
                self.server_date = parsedate_to_datetime(header)


def _body(reply: requests.Response) -> Any:
    """The JSON body; SuiteCRM sometimes appends text after it (e.g. "Database failure..."), which
    ``raw_decode`` leaves aside."""
    text = reply.text.lstrip()
    if not text:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return None
    return value


def _detail(body: Any, reply: requests.Response) -> str:
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, dict) and errors.get("detail"):
            return str(errors["detail"])
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("detail") or errors[0].get("title") or errors[0])
        for key in ("hint", "message", "error"):
            if body.get(key):
                return str(body[key])
    return f"HTTP {reply.status_code} {reply.reason}".strip()


def _record(module: str | None, data: Mapping[str, Any]) -> Record:
    raw = data.get("attributes")
    attributes = raw if isinstance(raw, dict) else {}  # fields[M]=id gives "attributes": []
    return Record(
        module=module or str(data.get("type", "")),
        id=str(data["id"]),
        attributes={k: unescape(v) if isinstance(v, str) else v for k, v in attributes.items()},
    )


def _page(module: str | None, body: Mapping[str, Any], page_number: int) -> RecordPage:
    meta = body.get("meta") or {}
    total = meta.get("total-pages")
    data = body.get("data") or []
    return RecordPage(
        records=[_record(module, item) for item in data],
        page_number=page_number,
        total_pages=int(total) if total is not None else None,
    )


def _fields_param(module: str, fields: Sequence[str]) -> tuple[str, str]:
    for name in fields:
        if not _NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a SuiteCRM field name")
    return f"fields[{_name(module)}]", ",".join(fields)


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not a SuiteCRM module or link name")
    return value


def _guid(value: str) -> str:
    if not _GUID.fullmatch(value):
        raise ValueError(f"{value!r} is not a SuiteCRM id (a GUID, 8-4-4-4-12 hex digits)")
    return value


def _id(value: str) -> str:
    """An id as a path segment; SuiteCRM's are GUIDs, except a few such as the installer's admin ("1")."""
    if not _ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a SuiteCRM id")
    return value

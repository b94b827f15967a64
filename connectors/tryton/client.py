"""JSON-RPC client for a Tryton server: session login, re-login on expiry, wire types.

JSON-RPC rather than XML-RPC because XML-RPC truncates timestamps to whole seconds, which would
break ``last_modified_at`` cursors. Tryton sends application errors with HTTP 200 as
``{"error": [kind, args]}``; they become :class:`TrytonError` so callers can map them per record.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import requests

from connectors.base import PermanentError, StopRun, TransientError

__all__ = ["TrytonClient", "TrytonError", "decode", "encode"]


class TrytonError(Exception):
    """An error the server answered with: ``kind`` is UserError, UserWarning, AccessError, ..."""

    def __init__(self, kind: str, args: Sequence[Any]) -> None:
        self.kind = kind
        self.details = list(args) if isinstance(args, (list, tuple)) else [args]
        super().__init__(f"{kind}: {self.message}")

    @property
    def message(self) -> str:
        texts = [str(a) for a in self.details if isinstance(a, str) and a]
        if self.kind == "UserWarning" and len(texts) > 1:
            texts = texts[1:]  # the first is the warning's key, not for people
        return " ".join(texts) or self.kind

    @property
    def warning_key(self) -> str | None:
        if self.kind == "UserWarning" and self.details:
            return str(self.details[0])
        return None


def encode(value: Any) -> Any:
    """Python -> Tryton's JSON wire form (Decimal and dates become ``__class__`` objects)."""
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, datetime):
        return {
            "__class__": "datetime",
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, time):
        return {
            "__class__": "time",
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, timedelta):
        return {"__class__": "timedelta", "seconds": value.total_seconds()}
    if isinstance(value, bytes):
        return {"__class__": "bytes", "base64": base64.b64encode(value).decode()}
    if isinstance(value, Mapping):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value


def _object_hook(obj: dict[str, Any]) -> Any:
    kind = obj.get("__class__")
    if kind is None:
        return obj
    if kind == "Decimal":
        return Decimal(obj["decimal"])
    if kind == "datetime":
        return datetime(
            obj["year"], obj["month"], obj["day"], obj["hour"], obj["minute"], obj["second"],
            obj.get("microsecond", 0),
        )  # fmt: skip
    if kind == "date":
        return date(obj["year"], obj["month"], obj["day"])
    if kind == "time":
        return time(obj["hour"], obj["minute"], obj["second"], obj.get("microsecond", 0))
    if kind == "timedelta":
        return timedelta(seconds=obj["seconds"])
    if kind == "bytes":
        return base64.b64decode(obj["base64"])
    return obj


def decode(text: str) -> Any:
    """Tryton's JSON wire form -> Python (naive UTC datetimes, Decimals)."""
    return json.loads(text, object_hook=_object_hook)


class TrytonClient:
    """One logged-in session against one database. Thread-unsafe, like a requests.Session."""

    def __init__(
        self,
        base_url: str,
        database: str,
        login: str,
        password: str,
        *,
        timeout: float = 60.0,
        language: str = "en",
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/{database}/rpc/"
        self.database = database
        self.login_name = login
        self._password = password
        self.timeout = timeout
        self.language = language
        self.http = requests.Session()
        self.http.headers["Content-Type"] = "application/json"
        self.uid: int | None = None
        self._session: str | None = None
        self.context: dict[str, Any] = {}
        self.logins = 0
        self._ids = itertools.count(1)

    def __repr__(self) -> str:  # never the password
        return f"TrytonClient({self.url!r}, login={self.login_name!r})"

    # -- transport -------------------------------------------------------------------------------
    def _post(self, method: str, params: Sequence[Any], *, auth: bool) -> Any:
        headers = {}
        if auth and self._session is not None:
            token = f"{self.login_name}:{self.uid}:{self._session}".encode()
            headers["Authorization"] = "Session " + base64.b64encode(token).decode()
        body = json.dumps({"id": next(self._ids), "method": method, "params": encode(list(params))})
        try:
            response = self.http.post(self.url, data=body, headers=headers, timeout=self.timeout)
        except requests.Timeout as exc:
            raise TransientError(f"Tryton at {self.url} did not answer {method} in {self.timeout}s") from exc
        except requests.ConnectionError as exc:
            raise TransientError(f"cannot reach Tryton at {self.url}: {exc.__class__.__name__}") from exc
        if response.status_code == 401:
            raise _SessionExpired(method)
        if response.status_code == 403:
            raise PermanentError(
                f"Tryton at {self.url} forbids {method} over RPC; the model or method is not public"
            )
        if response.status_code == 429 or response.status_code >= 500:
            retry = response.headers.get("Retry-After")
            raise TransientError(
                f"Tryton at {self.url} answered HTTP {response.status_code} to {method}",
                retry_after=float(retry) if retry and retry.isdigit() else None,
            )
        if response.status_code != 200:
            raise PermanentError(
                f"Tryton at {self.url} answered HTTP {response.status_code} to {method}; "
                "check the URL and database name"
            )
        payload = decode(response.text)
        error = payload.get("error")
        if error:
            kind, args = (error[0], error[1]) if isinstance(error, list) and len(error) == 2 else (error, [])
            raise TrytonError(str(kind), args)
        return payload.get("result")

    # -- session ---------------------------------------------------------------------------------
    def login(self) -> None:
        try:
            result = self._post(
                "common.db.login", [self.login_name, {"password": self._password}, self.language], auth=False
            )
        except _SessionExpired as exc:
            raise StopRun(
                f"Tryton at {self.url} refused the login of {self.login_name!r}; check user and password"
            ) from exc
        except TrytonError as exc:
            raise StopRun(
                f"Tryton at {self.url} refused the login of {self.login_name!r} ({exc.kind}); "
                "check the database name, user and password"
            ) from exc
        if not result:
            raise StopRun(
                f"Tryton at {self.url} refused the login of {self.login_name!r}; check user and password"
            )
        self.uid, self._session = int(result[0]), str(result[1])
        self.logins += 1
        self.context = self._post("model.res.user.get_preferences", [True, {}], auth=True) or {}

    def logout(self) -> None:
        if self._session is not None:
            # the session dies with the server anyway
            with contextlib.suppress(TrytonError, _SessionExpired, TransientError):
                self._post("common.db.logout", [], auth=True)
        self._session = None
        self.http.close()

    def call(self, method: str, *params: Any, context: Mapping[str, Any] | None = None) -> Any:
        """Call ``method`` (e.g. ``model.party.party.search``) with the session context appended."""
        if self._session is None:
            self.login()
        for attempt in (1, 2):
            ctx = {**self.context, **(context or {})}
            try:
                return self._post(method, [*params, ctx], auth=True)
            except _SessionExpired:
                if attempt == 2:
                    raise StopRun(
                        f"Tryton at {self.url} refused the session of {self.login_name!r} for {method} "
                        "right after a fresh login; check the user is active"
                    ) from None
                self.login()  # the session expired (timeout or server restart): log in once more
        raise AssertionError("unreachable")

    def model(self, name: str, method: str, *params: Any, context: Mapping[str, Any] | None = None) -> Any:
        return self.call(f"model.{name}.{method}", *params, context=context)


class _SessionExpired(Exception):
    """HTTP 401: the session is unknown or expired."""

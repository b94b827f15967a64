"""The HTTP face of BottleCRM's REST API: a session per thread, bearer token, errors sorted by who can
fix them.

A ``requests.Session`` is not safe to share between threads (its connection pool and cookie jar
change under each call), and the engine writes several batches at once from worker threads: each
thread gets a session of its own, made on its first call, all closed by :meth:`BottleCrmClient.close`.

A whole call that fails for reasons outside the request (timeouts, connection refused, HTTP 429 and
5xx) raises :class:`TransientError`; bad credentials raise :class:`StopRun` (a :class:`PermanentError`:
no call of the run can succeed with them). A 4xx that is about the request itself (validation, a
missing record) comes back as an :class:`ApiRefusal` so the caller can report it against that one
record and go on with the batch.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from connectors.base import ConnectionSettings, PermanentError, StopRun, TransientError

__all__ = ["ApiRefusal", "BottleCrmClient"]

DEFAULT_TIMEOUT = 30.0


@dataclass
class ApiRefusal(Exception):
    """BottleCRM refused one request (HTTP 4xx): the message says why, ``field`` where, if it said."""

    status: int
    message: str
    field: str | None = None

    def __str__(self) -> str:
        return self.message


class BottleCrmClient:
    """Requests against ``<scheme>://host:port/api/...`` with the personal access token.

    The token is the connection's password; it is sent only in the ``Authorization`` header and
    never appears in messages or ``repr``.
    """

    def __init__(self, settings: ConnectionSettings, options: Mapping[str, Any] | None = None) -> None:
        opts = {**settings.extra, **(options or {})}
        if not settings.host:
            raise PermanentError(
                "bottlecrm connection has no host; use bottlecrm://:TOKEN@127.0.0.1:8001/?scheme=http"
            )
        if not settings.password:
            raise PermanentError(
                "bottlecrm connection has no access token: put the personal access token (bcrm_pat_...) "
                "in the password, e.g. bottlecrm://:TOKEN@host:port/?scheme=https"
            )
        scheme = str(opts.get("scheme") or "https")
        port = f":{settings.port}" if settings.port else ""
        self.base_url = f"{scheme}://{settings.host}{port}/api/"
        self.timeout = float(opts.get("timeout") or DEFAULT_TIMEOUT)
        self._headers = {"Authorization": f"Bearer {settings.password}", "Accept": "application/json"}
        if opts.get("org"):
            self._headers["org"] = str(opts["org"])
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BottleCrmClient({self.base_url!r})"

    @property
    def session(self) -> requests.Session:
        """This thread's session (made on first use)."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update(self._headers)
            with self._sessions_lock:
                self._sessions.append(session)
            self._local.session = session
        return session

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.call("GET", path, params=params)

    def call(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> Any:
        """The decoded JSON body of a 2xx answer; raises as described in the module docstring."""
        url = self.base_url + path.lstrip("/")
        try:
            reply = self.session.request(method, url, params=params, json=json, timeout=self.timeout)
        except requests.Timeout as exc:
            raise TransientError(f"BottleCRM {method} {path} timed out after {self.timeout:.0f}s") from exc
        except requests.ConnectionError as exc:
            raise TransientError(
                f"BottleCRM at {self.base_url} is not reachable ({type(exc).__name__})"
            ) from exc
        status = reply.status_code
        if status == 429 or status >= 500:
            retry_after = reply.headers.get("Retry-After")
            raise TransientError(
                f"BottleCRM {method} {path} answered {status}",
                retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
            )
        body = _json(reply)
        if status in (401, 403):
            # A wrong or revoked token answers 403 too ("Organization context is required").
            reason, _ = _refusal(body, f"HTTP {status} {reply.reason}")
            raise StopRun(
                f"BottleCRM refused {method} {path} ({status}: {reason}); check the access token in the "
                "connection's password (a personal access token of an org admin, POST /api/profile/tokens/)"
            )
        if status >= 400 or (isinstance(body, dict) and body.get("error") is True):
            message, field = _refusal(body, f"HTTP {status} {reply.reason}")
            if status == 404 and body is None:
                message += f" (no such record at {path})"
            raise ApiRefusal(status, message, field)
        return body

    def close(self) -> None:
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()  # a call after close() starts a fresh session


def _json(reply: requests.Response) -> Any:
    try:
        return reply.json()
    except ValueError:
        return None


def _refusal(body: Any, fallback: str) -> tuple[str, str | None]:
    """BottleCRM's error shapes, ``{"errors": {"field": ["why"]}}`` and ``{"message": ...}``, as text
    and the field it names (an HTML error page says nothing useful: ``fallback`` then)."""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, dict) and errors:
            field, why = next(iter(errors.items()))
            if field == "non_field_errors":
                return _flatten(why), None
            return _flatten(why), str(field)
        for key in ("errors", "message", "detail", "error"):
            if isinstance(body.get(key), str | list):
                return _flatten(body[key]), None
    return fallback, None


def _flatten(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_flatten(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in value.items())
    return str(value)

"""The HTTP session under pyodata: logon (basic or OAuth 2.0 client credentials), sap-client, CSRF.

SAP Gateway refuses a write without a CSRF token fetched in the same session (``X-CSRF-Token: Fetch``
on a GET); when the token expires it answers 403 with ``x-csrf-token: Required``: fetch again, once.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from connectors.base import PermanentError, TransientError
from connectors.sap_s4hana.settings import SapSettings

__all__ = ["USER_AGENT", "OAuthTokens", "SapSession"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
USER_AGENT = "SyncHub-sap_s4hana"
"""Sent on every request, so SAP's logs (and the test emulator's journal) show who asked."""


class OAuthTokens:
    """Client-credentials access tokens, fetched when needed and shared by the services' sessions."""

    def __init__(self, settings: SapSettings) -> None:
        self.settings = settings
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def bearer(self, *, renew: bool = False) -> str:
        with self._lock:
            if renew or self._token is None or time.monotonic() > self._expires - 30:
                self._token, lifetime = self._fetch()
                self._expires = time.monotonic() + lifetime
            return self._token

    def _fetch(self) -> tuple[str, float]:
        s = self.settings
        assert s.token_url is not None
        try:
            resp = requests.post(
                s.token_url,
                data={"grant_type": "client_credentials"},
                auth=(s.user or "", s.password or ""),
                timeout=s.timeout,
                verify=s.verify,
            )
        except requests.RequestException as exc:
            raise TransientError(
                f"sap_s4hana: OAuth token endpoint {s.token_url} unreachable: {exc}"
            ) from exc
        if resp.status_code >= 500:
            raise TransientError(f"sap_s4hana: OAuth token endpoint answered {resp.status_code}")
        if resp.status_code != 200:
            raise PermanentError(
                f"sap_s4hana: OAuth token request refused ({resp.status_code}); check the client id "
                f"and secret of the connection and token_url {s.token_url}"
            )
        body = resp.json()
        return body["access_token"], float(body.get("expires_in", 3600))


class SapSession(requests.Session):
    """One session per OData service (CSRF tokens belong to a session)."""

    def __init__(self, settings: SapSettings, service_url: str, tokens: OAuthTokens | None) -> None:
        super().__init__()
        self.settings = settings
        self.service_url = service_url
        self.tokens = tokens
        self.csrf_token: str | None = None
        self.server_clock: tuple[datetime, float] | None = None
        """SAP's time (HTTP ``Date``) of the last answer, and our monotonic clock when it came."""
        self.verify = settings.verify
        self.headers["User-Agent"] = USER_AGENT
        if settings.auth == "basic":
            self.auth = (settings.user or "", settings.password or "")

    def _with_client(self, url: str, params: Any) -> str:
        client = self.settings.sap_client
        if client is None or "sap-client=" in url or (isinstance(params, str) and "sap-client=" in params):
            return url
        return f"{url}{'&' if '?' in url else '?'}sap-client={client}"

    def _send(self, method: str, url: str, headers: dict[str, str], **kwargs: Any) -> requests.Response:
        if self.tokens is not None:
            headers["Authorization"] = f"Bearer {self.tokens.bearer()}"
        kwargs.setdefault("timeout", self.settings.timeout)
        url = self._with_client(url, kwargs.get("params"))
        try:
            resp = super().request(method, url, headers=headers, **kwargs)
            if resp.status_code == 401 and self.tokens is not None:  # token revoked early: renew once
                headers["Authorization"] = f"Bearer {self.tokens.bearer(renew=True)}"
                resp = super().request(method, url, headers=headers, **kwargs)
        except requests.Timeout as exc:
            raise TransientError(
                f"sap_s4hana: {method} {url} timed out after {self.settings.timeout}s"
            ) from exc
        except requests.ConnectionError as exc:
            raise TransientError(f"sap_s4hana: cannot reach {url}: {exc}") from exc
        if resp.status_code == 401:
            raise PermanentError(
                f"sap_s4hana: logon to {self.service_url} failed (HTTP 401); check the connection's "
                "user/password or OAuth client credentials and sap_client"
            )
        self._note_server_clock(resp)
        return resp

    def _note_server_clock(self, resp: requests.Response) -> None:
        try:
            said = parsedate_to_datetime(resp.headers.get("Date", ""))
        except (TypeError, ValueError):
            return
        if said.tzinfo is not None:
            self.server_clock = (said, time.monotonic())

    def server_time(self) -> datetime | None:
        """SAP's clock now, from the ``Date`` of its last answer plus the time passed since (seconds)."""
        if self.server_clock is None:
            return None
        said, at = self.server_clock
        return said + timedelta(seconds=time.monotonic() - at)

    def fetch_csrf_token(self) -> str:
        resp = self._send("GET", self.service_url, {"X-CSRF-Token": "Fetch", "Accept": "application/json"})
        token = resp.headers.get("X-CSRF-Token")
        if not token or token.lower() == "required":
            raise PermanentError(
                f"sap_s4hana: {self.service_url} handed out no CSRF token (HTTP {resp.status_code})"
            )
        self.csrf_token = token
        return token

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        headers = dict(kwargs.pop("headers", None) or {})
        if method.upper() in SAFE_METHODS:
            return self._send(method, url, headers, **kwargs)
        headers["X-CSRF-Token"] = self.csrf_token or self.fetch_csrf_token()
        resp = self._send(method, url, headers, **kwargs)
        if resp.status_code == 403 and resp.headers.get("x-csrf-token", "").lower() == "required":
            headers["X-CSRF-Token"] = self.fetch_csrf_token()
            resp = self._send(method, url, headers, **kwargs)
        return resp

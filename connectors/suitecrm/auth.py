"""OAuth2 access tokens for SuiteCRM's V8 API (``POST /Api/access_token``).

The ``password`` grant returns a refresh token; ``grant_type=refresh_token`` then gives a new pair and
revokes the old access token. ``client_credentials`` returns none, so renewing means a new grant.
Tokens are renewed ``refresh_margin`` seconds before they expire and whenever the API answers 401.

SuiteCRM puts a wrong password into its error text ("The password is invalid: <password>"), so every
text taken from the token endpoint is scrubbed of the connection's secrets before it reaches a message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import requests

from connectors.base import PermanentError, TransientError
from connectors.suitecrm.settings import SuiteCrmSettings

__all__ = ["Token", "TokenSource", "redact", "retry_after"]

# Token-endpoint refusals that are about the credentials, not the server's health (SuiteCRM reports
# them as HTTP 500 "unknown_error"; league/oauth2-server as 400/401).
_CREDENTIAL_HINTS = ("password", "username", "not found")


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


@dataclass(frozen=True)
class Token:
    access_token: str = field(repr=False)
    expires_at: float
    """On the source's clock (``time.monotonic`` unless a test gives another)."""
    refresh_token: str | None = field(default=None, repr=False)


class TokenSource:
    """Hands out a valid access token, getting or renewing one when needed."""

    def __init__(
        self,
        settings: SuiteCrmSettings,
        session: requests.Session,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.session = session
        self.clock = clock
        self._token: Token | None = None
        self.grants = 0
        """How many tokens this source obtained (first grant, renewals, re-grants)."""

    def __repr__(self) -> str:
        return f"TokenSource({self.settings.token_url!r}, grant={self.settings.grant!r})"

    def access_token(self) -> str:
        token = self._token
        if token is None:
            token = self._grant()
        elif self.clock() >= token.expires_at - self.settings.refresh_margin:
            token = self._renew(token)
        return token.access_token

    def invalidate(self, rejected: str) -> None:
        """The API refused ``rejected`` (401): the next ``access_token()`` renews it."""
        token = self._token
        if token is not None and token.access_token == rejected:
            self._token = replace(token, expires_at=float("-inf"))

    def forget(self) -> None:
        self._token = None

    def current(self) -> Token | None:
        return self._token

    def _renew(self, token: Token) -> Token:
        if token.refresh_token:
            try:
                return self._request({"grant_type": "refresh_token", "refresh_token": token.refresh_token})
            except PermanentError:
                pass  # refresh token expired or revoked (e.g. by a logout): a new grant will do
        return self._grant()

    def _grant(self) -> Token:
        s = self.settings
        form = {"grant_type": s.grant}
        if s.grant == "password":
            form |= {"username": s.username or "", "password": s.password or ""}
        return self._request(form)

    def _request(self, form: dict[str, str]) -> Token:
        s = self.settings
        form = {**form, "client_id": s.client_id, "client_secret": s.client_secret}
        grant = form["grant_type"]
        started = self.clock()
        try:
            reply = self.session.post(s.token_url, data=form, timeout=s.timeout)
        except requests.Timeout:
            raise TransientError(
                f"SuiteCRM token endpoint {s.token_url} timed out after {s.timeout:.0f}s"
            ) from None
        except requests.RequestException as exc:
            raise TransientError(
                f"SuiteCRM token endpoint {s.token_url} is not reachable ({type(exc).__name__})"
            ) from None
        body = _json(reply)
        if reply.status_code == 200 and isinstance(body, dict) and body.get("access_token"):
            token = Token(
                access_token=str(body["access_token"]),
                expires_at=started + float(body.get("expires_in") or 0),
                refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
            )
            self._token = token
            self.grants += 1
            return token
        reason = _reason(body, reply)
        safe = redact(reason, s.secrets())
        if reply.status_code == 429 or (
            reply.status_code >= 500 and not any(h in reason.lower() for h in _CREDENTIAL_HINTS)
        ):
            raise TransientError(
                f"SuiteCRM token endpoint {s.token_url} answered {reply.status_code} "
                f"to the {grant} grant: {safe}",
                retry_after=retry_after(reply),
            )
        raise PermanentError(
            f"SuiteCRM refused the {grant} grant at {s.token_url} ({reply.status_code}: {safe}); "
            + _fix(grant)
        )


def retry_after(reply: requests.Response) -> float | None:
    """Seconds from a ``Retry-After: <seconds>`` header, if there is one."""
    value = reply.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


def _fix(grant: str) -> str:
    if grant == "refresh_token":
        return "the refresh token is no longer valid"
    if grant == "password":
        return (
            "check the connection's login/password (an active SuiteCRM user) and that the OAuth2 client "
            "(extra client_id/client_secret) is a 'Password' client"
        )
    return (
        "check extra client_id/client_secret and that the OAuth2 client is a 'Client Credentials' client "
        "with an assigned user"
    )


def _json(reply: requests.Response) -> Any:
    try:
        return reply.json()
    except ValueError:
        return None


def _reason(body: Any, reply: requests.Response) -> str:
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("error", "error_description", "hint") if body.get(k)]
        if parts:
            return " - ".join(parts)
    return f"HTTP {reply.status_code} {reply.reason}".strip()

"""Getting an access token: OAuth 2.0 client credentials, OAuth 2.0 JWT bearer, or a given session id.

The token endpoint is ``https://<host>/services/oauth2/token`` of the Connection's host (My Domain for
client credentials). Secrets and tokens never reach an exception message or a log line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from connectors.base import PermanentError, TransientError
from connectors.salesforce.settings import SalesforceSettings

__all__ = ["Token", "fetch_token"]

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class Token:
    access_token: str = field(repr=False)
    instance_url: str
    user_id: str | None = None
    """The integration user, from the identity URL the token endpoint returns."""


def _jwt_assertion(settings: SalesforceSettings) -> str:
    # PyJWT (with cryptography) is simple-salesforce's own dependency for this very flow.
    import jwt

    path = Path(settings.private_key_path or "")
    try:
        key = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PermanentError(
            f"salesforce JWT: cannot read the private key at {path} ({exc.strerror}); "
            "fix extra 'private_key_path'"
        ) from None
    audience = settings.audience or (
        "https://test.salesforce.com" if ".sandbox." in settings.host else "https://login.salesforce.com"
    )
    claims = {
        "iss": settings.client_id,
        "sub": settings.username,
        "aud": audience,
        "exp": int(time.time()) + 180,
    }
    return jwt.encode(claims, key, algorithm="RS256")


def fetch_token(settings: SalesforceSettings, session: requests.Session) -> Token:
    """A fresh token for the configured flow (the session flow simply wraps the given session id)."""
    if settings.auth == "session":
        return Token(settings.secret or "", f"https://{settings.host}", settings.integration_user_id)
    if settings.auth == "client_credentials":
        form = {
            "grant_type": "client_credentials",
            "client_id": settings.client_id,
            "client_secret": settings.secret,
        }
    else:
        form = {"grant_type": JWT_GRANT, "assertion": _jwt_assertion(settings)}
    url = f"https://{settings.host}/services/oauth2/token"
    try:
        response = session.post(url, data=form, timeout=settings.timeout_seconds)
    except requests.RequestException as exc:
        raise TransientError(f"salesforce: token endpoint {url} unreachable: {type(exc).__name__}") from None
    if response.status_code >= 500:
        raise TransientError(f"salesforce: token endpoint {url} answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or "access_token" not in body:
        reason = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
        raise PermanentError(
            f"salesforce: login with auth={settings.auth} at {url} failed: {reason}; check the connected "
            "app's client id and secret (or certificate) and that the flow is enabled for it"
        )
    identity = str(body.get("id", ""))
    user_id = identity.rstrip("/").rsplit("/", 1)[-1] if identity else None
    return Token(body["access_token"], body["instance_url"], settings.integration_user_id or user_id)

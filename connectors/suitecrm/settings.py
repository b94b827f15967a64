"""What the SuiteCRM connector reads from a Connection.

URI form (Airflow's)::

    suitecrm://<user>:<password>@crm.example.com/?client_id=<id>&client_secret=<secret>
    suitecrm://crm.example.com/?grant_type=client_credentials&client_id=<id>&client_secret=<secret>

``host`` (+ ``port``) is the SuiteCRM web server; ``schema`` (the URI path) the folder SuiteCRM is
installed in, if any. ``login``/``password`` are the API user's, for the OAuth2 ``password`` grant.
``client_id``/``client_secret`` are those of an OAuth2 client from Admin > OAuth2 Clients and Tokens
(``client_secret`` is a key Airflow masks in connection extras).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from connectors.base import ConnectionSettings, PermanentError

__all__ = ["Grant", "SuiteCrmSettings"]

Grant = Literal["password", "client_credentials"]
_GRANTS = ("password", "client_credentials")
DEFAULT_TIMEOUT = 60.0
DEFAULT_REFRESH_MARGIN = 60.0


@dataclass(frozen=True)
class SuiteCrmSettings:
    base_url: str
    """SuiteCRM's root URL, e.g. ``https://crm.example.com/suitecrm`` (no trailing slash)."""
    grant: Grant
    client_id: str
    client_secret: str = field(repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    refresh_margin: float = DEFAULT_REFRESH_MARGIN
    """Seconds before its expiry at which a token is renewed instead of used."""

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/Api/access_token"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/Api/V8"

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a message (SuiteCRM echoes a wrong password back)."""
        return tuple(s for s in (self.client_secret, self.password) if s)

    @classmethod
    def parse(cls, conn: ConnectionSettings, options: Mapping[str, Any] | None = None) -> SuiteCrmSettings:
        opts = {**conn.extra, **(options or {})}
        example = (
            "e.g. suitecrm://USER:PASSWORD@crm.example.com/?client_id=ID&client_secret=SECRET "
            "(or ?grant_type=client_credentials&client_id=ID&client_secret=SECRET without user)"
        )
        if not conn.host:
            raise PermanentError(f"suitecrm connection has no host; {example}")
        grant = str(opts.get("grant_type") or ("password" if conn.login else "client_credentials"))
        if grant not in _GRANTS:
            raise PermanentError(
                f"suitecrm connection: grant_type must be one of {', '.join(_GRANTS)}, not {grant!r}"
            )
        client_id = str(opts.get("client_id") or "")
        client_secret = str(opts.get("client_secret") or "")
        if not client_id or not client_secret:
            raise PermanentError(
                "suitecrm connection needs the OAuth2 client's client_id and client_secret in its extra "
                f"(Admin > OAuth2 Clients and Tokens); {example}"
            )
        if grant == "password" and not (conn.login and conn.password):
            raise PermanentError(
                "suitecrm connection: the password grant needs the API user's name and password as the "
                f"connection's login and password; {example}"
            )
        scheme = str(opts.get("scheme") or "https")
        if scheme not in ("http", "https"):
            raise PermanentError(f"suitecrm connection: scheme must be http or https, not {scheme!r}")
        port = f":{conn.port}" if conn.port else ""
        path = f"/{conn.schema.strip('/')}" if conn.schema and conn.schema.strip("/") else ""
        return cls(
            base_url=f"{scheme}://{conn.host}{port}{path}",
            grant=grant,  # type: ignore[arg-type]  # checked against _GRANTS above
            client_id=client_id,
            client_secret=client_secret,
            username=conn.login if grant == "password" else None,
            password=conn.password if grant == "password" else None,
            timeout=_positive(opts, "timeout", DEFAULT_TIMEOUT),
            refresh_margin=_positive(opts, "refresh_margin", DEFAULT_REFRESH_MARGIN),
        )


def _positive(opts: Mapping[str, Any], key: str, default: float) -> float:
    raw = opts.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise PermanentError(f"suitecrm connection: {key} must be a number of seconds, not {raw!r}") from None
    if value < 0:
        raise PermanentError(f"suitecrm connection: {key} must not be negative (got {raw!r})")
    return value

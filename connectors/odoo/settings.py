"""Where the Odoo server is and how to log in, read from a connection plus the system's options.

Connection URI: ``odoo://LOGIN:SECRET@HOST:PORT/DATABASE?scheme=https&transport=auto``. ``SECRET``
is an API key (required for JSON-2, accepted by XML-RPC wherever a password is) or the password.
``transport``: ``json2`` (Odoo 19+), ``xmlrpc`` (16-18, deprecated in 19) or ``auto`` (ask
``/web/version``). The secret is never part of ``repr`` and never logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from connectors.base import ConnectionSettings, PermanentError

__all__ = ["OdooSettings", "TransportName"]

TransportName = Literal["auto", "json2", "xmlrpc"]
_TRANSPORTS = ("auto", "json2", "xmlrpc")
_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class OdooSettings:
    base_url: str
    database: str | None
    login: str | None
    secret: str = field(repr=False)
    transport: TransportName = "auto"
    timeout: float = 30.0
    verify: bool = True
    user_agent: str = "SyncHub (Odoo connector)"

    @classmethod
    def from_connection(
        cls, conn: ConnectionSettings, options: Mapping[str, Any] | None = None
    ) -> OdooSettings:
        options = options or {}

        def opt(name: str, default: Any = None) -> Any:
            return options.get(name, conn.extra.get(name, default))

        if not conn.host:
            raise PermanentError(
                "odoo: the connection has no host; set it, e.g. "
                "odoo://synchub:API_KEY@erp.example.com:443/mydb?scheme=https"
            )
        if not conn.password:
            raise PermanentError(
                "odoo: the connection has no password; put the integration user's API key (or password) "
                "in the connection's password"
            )
        transport = str(opt("transport", "auto")).lower()
        if transport not in _TRANSPORTS:
            raise PermanentError(
                f"odoo: transport must be one of {', '.join(_TRANSPORTS)}, not {transport!r}"
            )
        if transport == "xmlrpc" and not (conn.login and conn.schema):
            raise PermanentError(
                "odoo: XML-RPC needs the login and the database name in the connection "
                "(odoo://LOGIN:SECRET@HOST/DATABASE)"
            )
        scheme = str(opt("scheme", "https"))
        port = f":{conn.port}" if conn.port else ""
        verify = opt("verify", True)
        return cls(
            base_url=f"{scheme}://{conn.host}{port}",
            database=conn.schema,
            login=conn.login,
            secret=conn.password,
            transport=transport,  # type: ignore[arg-type]
            timeout=float(opt("timeout", 30.0)),
            verify=verify if isinstance(verify, bool) else str(verify).lower() in _TRUE,
            user_agent=str(opt("user_agent", cls.user_agent)),
        )

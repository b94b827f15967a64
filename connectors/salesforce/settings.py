"""What the Salesforce connector reads from a Connection (and the system's options).

URI form: ``salesforce://<client_id>:<secret>@acme.my.salesforce.com/?auth=client_credentials``.
``host`` is the My Domain (or login) host; extras tune the connector (see docs/connectors/salesforce.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from connectors.base import ConnectionSettings, PermanentError

__all__ = ["AuthFlow", "SalesforceSettings"]

AuthFlow = Literal["client_credentials", "jwt", "session"]
_FLOWS = ("client_credentials", "jwt", "session")


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


@dataclass(frozen=True)
class SalesforceSettings:
    auth: AuthFlow
    host: str
    """Token endpoint host (client credentials, JWT) or instance host (session)."""
    client_id: str | None = None
    secret: str | None = field(default=None, repr=False)
    """Client secret (client credentials) or session id (session); never shown."""
    username: str | None = None
    """JWT subject: the integration user's username."""
    private_key_path: str | None = None
    audience: str | None = None
    api_version: str = "59.0"
    bulk_threshold: int = 10_000
    limit_share: float = 0.8
    integration_user_id: str | None = None
    skip_own_changes: bool = False
    """Incremental reads leave out records the integration user changed last. Off by default: the
    engine recognises its own writes by value, and a change Salesforce automation makes later under
    the integration user (an asynchronous flow path, a queued job) would otherwise never be read."""
    max_retries: int = 4
    backoff_seconds: float = 1.0
    timeout_seconds: float = 60.0
    bulk_poll_seconds: float = 2.0
    bulk_timeout_seconds: float = 600.0
    """The longest SyncHub waits for one Bulk API 2.0 job; then it is aborted (records retried next run)."""
    currency: str | None = None
    """The org's currency when it has no multi-currency (no CurrencyIsoCode field to read it from)."""
    opportunity_stage: str = "Proposal/Price Quote"
    """Stage of the Opportunity SyncHub creates for a quote that has none."""

    @classmethod
    def parse(cls, conn: ConnectionSettings, options: Mapping[str, Any]) -> SalesforceSettings:
        def opt(key: str, default: Any = None) -> Any:
            return options[key] if key in options else conn.extra.get(key, default)

        auth = str(opt("auth", "client_credentials"))
        if auth not in _FLOWS:
            raise PermanentError(
                f"salesforce connection: auth must be one of {', '.join(_FLOWS)}, not {auth!r}; "
                "set ?auth=... in the connection URI"
            )
        if not conn.host:
            raise PermanentError(
                "salesforce connection: no host; give the My Domain host, e.g. "
                "salesforce://CLIENT_ID:SECRET@acme.my.salesforce.com/?auth=client_credentials"
            )
        host = conn.host + (f":{conn.port}" if conn.port else "")
        required = {
            "client_credentials": (
                "login (client id)",
                conn.login,
                "password (client secret)",
                conn.password,
            ),
            "jwt": ("login (client id)", conn.login, "extra 'username'", opt("username")),
            "session": ("password (session id)", conn.password, "password (session id)", conn.password),
        }[auth]
        for label, value in ((required[0], required[1]), (required[2], required[3])):
            if not value:
                raise PermanentError(f"salesforce connection (auth={auth}): {label} is missing")
        if auth == "jwt" and not opt("private_key_path"):
            raise PermanentError(
                "salesforce connection (auth=jwt): extra 'private_key_path' is missing; "
                "point it at the PEM key whose certificate is uploaded to the connected app"
            )
        share = float(opt("limit_share", 0.8))
        if not 0 < share <= 1:
            raise PermanentError(f"salesforce connection: limit_share must be in (0, 1], not {share}")
        return cls(
            auth=auth,  # type: ignore[arg-type]
            host=host,
            client_id=conn.login,
            secret=conn.password,
            username=opt("username"),
            private_key_path=opt("private_key_path"),
            audience=opt("audience"),
            api_version=str(opt("api_version", "59.0")),
            bulk_threshold=int(opt("bulk_threshold", 10_000)),
            limit_share=share,
            integration_user_id=opt("integration_user_id"),
            skip_own_changes=_flag(opt("skip_own_changes", False)),
            max_retries=int(opt("max_retries", 4)),
            backoff_seconds=float(opt("backoff_seconds", 1.0)),
            timeout_seconds=float(opt("timeout_seconds", 60.0)),
            bulk_poll_seconds=float(opt("bulk_poll_seconds", 2.0)),
            bulk_timeout_seconds=float(opt("bulk_timeout_seconds", 600.0)),
            currency=(str(opt("currency")).upper() if opt("currency") else None),
            opportunity_stage=str(opt("opportunity_stage", "Proposal/Price Quote")),
        )

"""Where the SAP system is and how to log on: read from a connection plus the system's options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from connectors.base import ConnectionSettings, PermanentError

__all__ = ["SapSettings"]

DEFAULT_SERVICE_PATH = "/sap/opu/odata/sap/{service}/"


@dataclass(frozen=True)
class SapSettings:
    base_url: str
    auth: Literal["basic", "oauth"] = "basic"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token_url: str | None = None
    service_path: str = DEFAULT_SERVICE_PATH
    service_urls: Mapping[str, str] = field(default_factory=dict)
    sap_client: str | None = None
    language: str = "EN"
    valuation_area: str | None = None
    sales_organization: str = "1010"
    distribution_channel: str = "10"
    division: str = "00"
    order_type: str = "OR"
    return_type: str = "CBAR"
    timeout: float = 30.0
    verify: bool = True

    def service_url(self, service: str) -> str:
        """``service_urls`` wins; otherwise base URL + service path (``/sap/opu/odata/sap/<SERVICE>/``)."""
        if service in self.service_urls:
            return self.service_urls[service].rstrip("/") + "/"
        return self.base_url.rstrip("/") + self.service_path.format(service=service)

    @classmethod
    def from_connection(cls, conn: ConnectionSettings, options: Mapping[str, Any]) -> SapSettings:
        def opt(name: str, default: Any = None) -> Any:
            return options.get(name, conn.extra.get(name, default))

        if not conn.host:
            raise PermanentError(
                "sap_s4hana: the connection has no host; set it, e.g. sap-s4hana://USER:PASSWORD@my-s4.example.com:443"
                "?scheme=https&sap_client=100"
            )
        scheme = opt("scheme", "https")
        port = f":{conn.port}" if conn.port else ""
        auth = opt("auth", "basic")
        if auth not in ("basic", "oauth"):
            raise PermanentError(f"sap_s4hana: auth must be 'basic' or 'oauth', not {auth!r}")
        if auth == "oauth" and not opt("token_url"):
            raise PermanentError("sap_s4hana: auth=oauth needs token_url (the OAuth 2.0 token endpoint)")
        if not conn.login or not conn.password:
            raise PermanentError(
                "sap_s4hana: the connection needs login and password "
                "(user and password for basic auth, client id and secret for oauth)"
            )
        path = opt("service_path") or (f"/{conn.schema.strip('/')}/{{service}}/" if conn.schema else None)
        return cls(
            base_url=f"{scheme}://{conn.host}{port}",
            auth=auth,
            user=conn.login,
            password=conn.password,
            token_url=opt("token_url"),
            service_path=path or DEFAULT_SERVICE_PATH,
            service_urls=dict(opt("service_urls", {}) or {}),
            sap_client=str(opt("sap_client")) if opt("sap_client") else None,
            language=str(opt("language", "EN")),
            valuation_area=str(opt("valuation_area")) if opt("valuation_area") else None,
            sales_organization=str(opt("sales_organization", "1010")),
            distribution_channel=str(opt("distribution_channel", "10")),
            division=str(opt("division", "00")),
            order_type=str(opt("order_type", "OR")),
            return_type=str(opt("return_type", "CBAR")),
            timeout=float(opt("timeout", 30.0)),
            verify=str(opt("verify", "true")).lower() not in ("0", "false", "no"),
        )

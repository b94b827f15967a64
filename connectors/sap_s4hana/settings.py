"""Where the SAP system is, how to log on, and the organisational data SAP needs for new records.

Read from a connection (URI or Airflow Connection: host, login, password, extras) plus the system's
options (``options`` win over the connection's extras).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    """The SAP system's time zone: business partner change dates/times and date-only stamps are
    local wall-clock values in it."""
    language: str = "EN"
    page_size: int = 1000
    """Largest ``$top`` the connector asks for (smaller when the engine asks for smaller pages)."""
    # organisational data for new business partners
    company_code: str = "1010"
    bp_grouping: str | None = None
    customer_roles: tuple[str, ...] = ("FLCU00", "FLCU01")
    reconciliation_account: str | None = None
    sales_area_currency: str = "EUR"
    # organisational data for new sales documents
    sales_organization: str = "1010"
    distribution_channel: str = "10"
    division: str = "00"
    order_type: str = "OR"
    order_prices: Literal["crm", "sap"] = "crm"
    """crm: an order item is created with the CRM's unit price as a manual price condition;
    sap: SAP prices the items from its own condition records."""
    price_condition: str = "PPR0"
    return_type: str = "CBAR"
    return_reason: str | None = None
    valuation_area: str | None = None
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

        def text(name: str, default: str | None = None) -> str | None:
            value = opt(name, default)
            return str(value) if value not in (None, "") else None

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
        zone_name = str(opt("timezone", "UTC"))
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise PermanentError(
                f"sap_s4hana: timezone {zone_name!r} is not a known time zone; set the SAP system's "
                "time zone as an IANA name, e.g. timezone=Europe/Berlin"
            ) from None
        prices = str(opt("order_prices", "crm"))
        if prices not in ("crm", "sap"):
            raise PermanentError(f"sap_s4hana: order_prices must be 'crm' or 'sap', not {prices!r}")
        roles = opt("customer_roles", "FLCU00,FLCU01")
        if isinstance(roles, str):
            roles = [r.strip() for r in roles.split(",") if r.strip()]
        path = opt("service_path") or (f"/{conn.schema.strip('/')}/{{service}}/" if conn.schema else None)
        return cls(
            base_url=f"{scheme}://{conn.host}{port}",
            auth=auth,
            user=conn.login,
            password=conn.password,
            token_url=opt("token_url"),
            service_path=path or DEFAULT_SERVICE_PATH,
            service_urls=dict(opt("service_urls", {}) or {}),
            sap_client=text("sap_client"),
            timezone=zone,
            language=str(opt("language", "EN")),
            page_size=int(opt("page_size", 1000)),
            company_code=str(opt("company_code", "1010")),
            bp_grouping=text("bp_grouping"),
            customer_roles=tuple(roles),
            reconciliation_account=text("reconciliation_account"),
            sales_area_currency=str(opt("sales_area_currency", "EUR")),
            sales_organization=str(opt("sales_organization", "1010")),
            distribution_channel=str(opt("distribution_channel", "10")),
            division=str(opt("division", "00")),
            order_type=str(opt("order_type", "OR")),
            order_prices=prices,  # type: ignore[arg-type]
            price_condition=str(opt("price_condition", "PPR0")),
            return_type=str(opt("return_type", "CBAR")),
            return_reason=text("return_reason"),
            valuation_area=text("valuation_area"),
            timeout=float(opt("timeout", 30.0)),
            verify=str(opt("verify", "true")).lower() not in ("0", "false", "no"),
        )

    @property
    def sales_area(self) -> dict[str, str]:
        """The sales area of new documents, in the documents' property names."""
        return {
            "SalesOrganization": self.sales_organization,
            "DistributionChannel": self.distribution_channel,
            "OrganizationDivision": self.division,
        }

"""The Odoo connector against an emulator, on either transport: what connector tests, conformance
subjects and end-to-end tests share."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.base import ConnectionSettings, WriteRequest, WriteResult
from connectors.odoo import OdooConnector
from tests.emulators.odoo import OdooEmulator

TRANSPORT_VERSIONS = {"json2": 19, "xmlrpc": 17}
"""Each transport against the Odoo it is for: JSON-2 on 19, XML-RPC on 17."""


def connection(
    odoo: OdooEmulator, transport: str, *, port: int | None = None, timeout: float = 10
) -> ConnectionSettings:
    """A connection to ``odoo`` (or to a proxy in front of it on ``port``) as the integration user."""
    secret = odoo.add_api_key() if transport == "json2" else odoo.password
    return ConnectionSettings(
        "odoo", host="127.0.0.1", port=port or odoo.port, login=odoo.login, password=secret,
        schema=odoo.database, extra={"scheme": "http", "transport": transport, "timeout": str(timeout)},
    )  # fmt: skip


def connection_uri(odoo: OdooEmulator, transport: str) -> str:
    """The same as a URI (``SYNCHUB_CONN_<NAME>``)."""
    secret = odoo.add_api_key() if transport == "json2" else odoo.password
    return (
        f"odoo://{odoo.login}:{secret}@127.0.0.1:{odoo.port}/{odoo.database}"
        f"?scheme=http&transport={transport}&timeout=30"
    )


def connect(odoo: OdooEmulator, transport: str, **options: Any) -> OdooConnector:
    return OdooConnector(connection(odoo, transport), options)


def write(connector: OdooConnector, entity: str, *requests: WriteRequest) -> list[WriteResult]:
    return connector.write_batch(entity, list(requests))


def created(connector: OdooConnector, entity: str, data: dict[str, Any], ref: str = "r") -> str:
    [result] = write(connector, entity, WriteRequest("create", ref, data))
    assert result.ok and result.id, result.error
    return result.id


def company(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "addresses": [{"street": "Rue Haute 1", "city": "Bruxelles", "country": "BE"}],
        **extra,
    }


def product(code: str, name: str | None = None, price: str = "10.00") -> dict[str, Any]:
    return {
        "default_code": code,
        "name": name or f"Product {code}",
        "list_price": Decimal(price),
        "uom": "Units",
    }


def order(partner: str, product_id: str, reference: str | None = None, **extra: Any) -> dict[str, Any]:
    line = {"product_id": product_id, "product_uom_qty": Decimal(2), "price_unit": Decimal("9.5")}
    return {"partner_id": partner, "client_order_ref": reference, "currency": "EUR", "lines": [line], **extra}

"""The two production transports against the emulator: calls, values, and every failure mapped to a
``connectors.base`` error (per-record faults kept as data with Odoo's message)."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests

from connectors.base import ConnectorError, PermanentError, TransientError
from connectors.odoo import OdooAuthError, OdooCallError, OdooFault, OdooSettings, open_transport
from connectors.odoo.json2 import Json2Transport
from connectors.odoo.xmlrpc import XmlRpcTransport
from tests.emulators.odoo import OdooEmulator
from tests.odoo.conftest import Clock, Side, settings_for
from tests.odoo.test_checklist import _partner


def test_calls_run_as_the_integration_user(side: Side) -> None:
    assert side.rpc.uid == side.odoo.uid
    assert side.rpc.server_version() == side.odoo.version


def test_python_values_are_encoded_as_odoo_takes_them(side: Side) -> None:
    task = side.call(
        "project.task",
        "create",
        vals_list=[
            {
                "name": "Late",
                "date_deadline": datetime(
                    2026, 2, 1, 9, 30, tzinfo=UTC
                ).astimezone(),  # any zone: sent as UTC
                "sequence": 3,
            }
        ],
    )[0]
    product = side.call(
        "product.product", "create", vals_list=[{"name": "Coin", "list_price": Decimal("19.99")}]
    )[0]
    partner = _partner(side)
    order = side.call(
        "sale.order", "create", vals_list=[{"partner_id": partner, "validity_date": date(2026, 3, 1)}]
    )[0]
    assert (
        side.call("project.task", "read", [task], fields=["date_deadline"])[0]["date_deadline"]
        == "2026-02-01 09:30:00"
    )
    assert side.call("product.product", "read", [product], fields=["lst_price"])[0]["lst_price"] == 19.99
    assert (
        side.call("sale.order", "read", [order], fields=["validity_date"])[0]["validity_date"] == "2026-03-01"
    )


def test_a_refused_record_is_an_odoo_fault_with_odoo_s_message(side: Side) -> None:
    with pytest.raises(OdooFault) as caught:
        side.call("sale.order", "create", vals_list=[{"client_order_ref": "PO-1"}])
    fault = caught.value
    assert isinstance(fault, PermanentError)
    assert fault.kind in ("validation", "user")
    assert "Field: Customer (partner_id)" in fault.message
    assert "Traceback" not in str(fault)
    result = fault.to_result("quote-1")
    assert (result.ref, result.ok, result.field, result.transient) == ("quote-1", False, "partner_id", False)
    assert result.error == fault.message


def test_an_access_refusal_is_a_fault_of_kind_access(side: Side) -> None:
    side.odoo.deny("res.partner", "write", "Sales/Administrator")
    partner = _partner(side)
    with pytest.raises(OdooFault) as caught:
        side.call("res.partner", "write", [partner], vals={"name": "X"})
    assert caught.value.kind == "access"
    assert caught.value.message.startswith("You are not allowed to modify 'Contact' (res.partner) records.")


def test_a_deleted_record_is_a_fault_of_kind_missing(side: Side) -> None:
    partner = _partner(side)
    side.call("res.partner", "unlink", [partner])
    with pytest.raises(OdooFault) as caught:
        side.call("res.partner", "write", [partner], vals={"name": "X"})
    assert caught.value.kind == "missing"


def test_a_value_odoo_cannot_take_is_a_fault_of_kind_value(side: Side) -> None:
    with pytest.raises(OdooFault) as caught:
        side.call("res.partner", "create", vals_list=[{"name": "A", "lang": "xx_XX"}])
    assert (caught.value.kind, caught.value.field) == ("value", "lang")
    assert caught.value.message == "Wrong value for res.partner.lang: 'xx_XX'"


@pytest.mark.parametrize(
    "model, method, ids, params",
    [
        ("res.nothing", "search", None, {"domain": []}),
        ("res.partner", "frobnicate", [1], {}),
        ("res.partner", "search", None, {"domain": [], "colour": "red"}),
    ],
)
def test_a_call_the_server_does_not_know_is_a_call_error(
    side: Side, model: str, method: str, ids: list[int] | None, params: dict[str, Any]
) -> None:
    with pytest.raises(OdooCallError):
        side.rpc.call(model, method, ids=ids, params=params)


def test_a_wrong_secret_is_an_auth_error(make_odoo: Any) -> None:
    for kind, version in (("json2", 19), ("xmlrpc", 17)):
        odoo = make_odoo(version)
        transport = open_transport(settings_for(odoo, kind, secret="wrong"))
        with pytest.raises(OdooAuthError) as caught:
            transport.call("res.partner", "search", params={"domain": []})
        assert "wrong" not in str(caught.value)


def test_an_expired_key_asks_for_rotation(odoo19: OdooEmulator, clock: Clock) -> None:
    transport = open_transport(settings_for(odoo19, "json2", secret=odoo19.add_api_key(days=1)))
    assert transport.call("res.partner", "search_count", params={"domain": []}) >= 1
    clock.tick(3 * 24 * 3600)
    with pytest.raises(OdooAuthError, match="rotate the API key"):
        transport.call("res.partner", "search_count", params={"domain": []})


def test_an_expired_key_on_xmlrpc_is_an_auth_error(odoo17: OdooEmulator, clock: Clock) -> None:
    transport = open_transport(settings_for(odoo17, "xmlrpc", secret=odoo17.add_api_key(days=1)))
    assert transport.uid == odoo17.uid
    clock.tick(3 * 24 * 3600)
    with pytest.raises(OdooAuthError):
        transport.call("res.partner", "search_count", params={"domain": []})


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_proxy_error_is_transient(side: Side, status: int) -> None:
    side.rpc.uid  # noqa: B018 - log in first, so the injected answer hits the model call
    side.odoo.fail_next(status)
    with pytest.raises(TransientError):
        side.call("res.partner", "search_count", domain=[])
    assert side.call("res.partner", "search_count", domain=[]) >= 1


def test_throttling_is_transient_with_its_retry_after(side: Side) -> None:
    side.rpc.uid  # noqa: B018
    side.odoo.fail_next(429, retry_after=7)
    with pytest.raises(TransientError) as caught:
        side.call("res.partner", "search_count", domain=[])
    assert caught.value.retry_after == 7


def test_a_timeout_is_transient(make_odoo: Any) -> None:
    for kind, version in (("json2", 19), ("xmlrpc", 17)):
        odoo = make_odoo(version)
        transport = open_transport(settings_for(odoo, kind, timeout=0.2))
        transport.uid  # noqa: B018
        odoo.delay_next(1.0)
        with pytest.raises(TransientError, match="timed out"):
            transport.call("res.partner", "search_count", params={"domain": []})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("kind", ["json2", "xmlrpc", "auto"])
def test_an_unreachable_server_is_transient(kind: str) -> None:
    settings = OdooSettings(
        base_url=f"http://127.0.0.1:{_closed_port()}",
        database="db",
        login="bot",
        secret="s",
        transport=kind,
        timeout=2,
    )  # type: ignore[arg-type]
    with pytest.raises(TransientError):
        open_transport(settings).call("res.partner", "search", params={"domain": []})


def test_a_wrong_database_is_permanent(odoo17: OdooEmulator) -> None:
    transport = open_transport(settings_for(odoo17, "xmlrpc", database="nope"))
    with pytest.raises(PermanentError, match="database"):
        transport.call("res.partner", "search", params={"domain": []})


@pytest.mark.parametrize(
    "version, expected", [(17, XmlRpcTransport), (18, XmlRpcTransport), (19, Json2Transport)]
)
def test_auto_picks_json2_from_19_and_xmlrpc_before(make_odoo: Any, version: int, expected: type) -> None:
    odoo = make_odoo(version)
    secret = odoo.add_api_key()
    transport = open_transport(settings_for(odoo, "auto", secret=secret))
    assert type(transport) is expected
    assert transport.call("res.partner", "search_count", params={"domain": []}) >= 1


def test_xmlrpc_still_works_on_19(odoo19: OdooEmulator) -> None:
    transport = open_transport(settings_for(odoo19, "xmlrpc"))
    assert transport.call("res.partner", "search_count", params={"domain": []}) >= 1


def test_name_search_parameter_follows_the_version(side: Side) -> None:
    _partner(side, name="Acme")
    found = side.call("res.partner", "name_search", name="Acm", domain=[["is_company", "=", True]], limit=5)
    assert [name for _id, name in found] == ["Acme"]


def test_context_travels_with_the_call(side: Side) -> None:
    archived = _partner(side, name="Old", active=False)
    assert side.call("res.partner", "search", domain=[["name", "=", "Old"]]) == []
    assert side.call(
        "res.partner", "search", domain=[["name", "=", "Old"]], context={"active_test": False}
    ) == [archived]


def test_the_secret_is_never_shown_or_logged(side: Side, caplog: pytest.LogCaptureFixture) -> None:
    secret = side.rpc.settings.secret
    caplog.set_level(logging.DEBUG)
    with pytest.raises(OdooFault) as caught:
        side.call("res.partner", "create", vals_list=[{"name": "A", "vat": "BE1"}])
    side.call("res.partner", "search_count", domain=[])
    shown = [repr(side.rpc), repr(side.rpc.settings), str(caught.value), caplog.text]
    assert not any(secret in text for text in shown)


def test_json2_accepts_the_bare_string_errors_of_early_19_builds() -> None:
    transport = Json2Transport(OdooSettings("http://odoo.invalid", "db", None, "key", "json2"))

    def answer(status: int, body: str) -> ConnectorError:
        response = requests.Response()
        response.status_code = status
        response._content = body.encode()
        return transport._error(response, "res.partner", "create")

    fault = answer(422, '"The VAT number [BE1] does not seem to be valid."')
    assert isinstance(fault, OdooFault) and fault.kind == "user"
    assert isinstance(answer(403, '"You are not allowed"'), OdooFault)
    assert isinstance(answer(404, "\"the model 'x' does not exist\""), OdooCallError)
    assert isinstance(answer(500, '"boom"'), TransientError)
    assert isinstance(answer(500, "<html>Internal Server Error</html>"), TransientError)
    assert isinstance(answer(401, '"Invalid apikey"'), OdooAuthError)


def test_server_time_is_odoo_s_clock(side: Side, clock: Clock) -> None:
    clock.tick(3600.4)
    assert side.rpc.server_time() == datetime(2026, 1, 5, 11, 0, 0, tzinfo=UTC)


def test_a_server_without_xmlrpc_says_to_use_json2(make_odoo: Any) -> None:
    odoo = make_odoo(19, legacy_rpc=False)
    with pytest.raises(PermanentError, match="use transport=json2"):
        open_transport(settings_for(odoo, "xmlrpc")).call("res.partner", "search", params={"domain": []})
    transport = open_transport(settings_for(odoo, "auto", secret=odoo.add_api_key()))
    assert transport.call("res.partner", "search_count", params={"domain": []}) >= 1

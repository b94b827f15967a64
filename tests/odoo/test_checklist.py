"""The contract note's checklist (section 10), item by item: each test proves the emulator does what
Odoo does, refusals first. Wire shapes are checked with raw ``xmlrpc.client``/``requests``;
behaviour through the production transports, on JSON-2 (Odoo 19) and XML-RPC (Odoo 17)."""

from __future__ import annotations

import re
import xmlrpc.client
from typing import Any

import pytest
import requests

from connectors.odoo import OdooFault
from tests.odoo.conftest import Clock, Side, Wire, contract_note

CHECKLIST: dict[str, tuple[str, ...]] = {
    "Auth (401 / `authenticate` -> False / fault 3)": (
        "test_auth_json2_answers_401_for_an_unknown_key",
        "test_auth_json2_answers_401_once_the_key_expired",
        "test_auth_xmlrpc_authenticate_answers_false_for_a_wrong_secret",
        "test_auth_xmlrpc_object_call_with_a_wrong_secret_is_fault_3",
        "test_auth_api_key_works_where_the_password_does_until_it_expires",
    ),
    "the three transports' envelopes and error shapes above": (
        "test_envelope_xmlrpc_faults_come_with_http_200_and_integer_codes",
        "test_envelope_jsonrpc_errors_come_with_http_200_and_the_exception_name",
        "test_envelope_json2_statuses_and_error_body",
    ),
    "`false` for empty values": ("test_empty_values_read_as_false_never_null",),
    "many2one pairs on read": (
        "test_many2one_reads_as_id_and_display_name",
        "test_many2one_written_as_a_pair_is_silently_emptied",
    ),
    "x2many commands on create/write": (
        "test_x2many_commands_on_one2many",
        "test_x2many_commands_on_many2many",
        "test_x2many_refuses_what_is_not_a_command",
    ),
    "`create_date`/`write_date` stamping in UTC whole seconds with shared stamps": (
        "test_write_date_is_the_transaction_stamp_shared_by_its_records",
    ),
    "`active` filtering and `active_test`": ("test_archived_records_hidden_unless_active_test_is_false",),
    "hard `unlink`": ("test_unlink_leaves_no_trace",),
    "domain evaluation (operators above, `&|!`)": (
        "test_domain_operators_and_combinators",
        "test_domain_like_wildcards_and_escapes",
        "test_domain_refuses_unknown_fields_and_operators",
    ),
    "`order`, `limit`, `offset`": ("test_order_limit_offset",),
    "server-assigned `sale.order.name`": ("test_sale_order_name_comes_from_a_sequence",),
    "sale.order state machine (`action_confirm`, cancel, draft, lock) with its `UserError`s": (
        "test_action_confirm_only_from_draft_or_sent",
        "test_action_confirm_refuses_a_line_without_product",
        "test_action_cancel_answers_with_the_wizard_unless_disabled",
        "test_action_cancel_refuses_a_locked_order",
        "test_action_draft_only_moves_cancelled_or_sent_orders",
        "test_locked_order_refuses_changes_to_protected_line_fields",
    ),
    "unlink restrictions": (
        "test_unlink_refuses_a_confirmed_order",
        "test_unlink_refuses_a_line_of_a_confirmed_order",
        "test_unlink_refuses_a_product_used_on_an_order_line",
        "test_unlink_refuses_a_customer_with_orders",
    ),
    "`ValidationError` on a bad VAT": ("test_bad_vat_is_a_validation_error",),
    "unknown field -> fault 1 / HTTP 500": ("test_unknown_field_is_fault_1_and_http_500",),
    "private method -> 404 / fault": ("test_private_and_unknown_methods_are_refused",),
    "per-call transactions (a failed call changes nothing)": ("test_a_failed_call_changes_nothing",),
}


def _note_items() -> list[str]:
    text = contract_note().read_text(encoding="utf-8")
    match = re.search(r"^## 10\.[^\n]*\n(?P<body>.*?)(?=^## )", text, re.S | re.M)
    assert match, "section 10 of the contract note not found"
    body = " ".join(match.group("body").split())
    return [item.strip().rstrip(".") for item in body.split(";") if item.strip()]


def test_every_item_of_the_note_s_checklist_has_its_tests() -> None:
    items = _note_items()
    assert sorted(items) == sorted(CHECKLIST), "the note's checklist changed: map its items to tests"
    missing = [name for names in CHECKLIST.values() for name in names if name not in globals()]
    assert missing == []


# -- helpers ---------------------------------------------------------------------------------------
def _fault(side: Side, model: str, method: str, ids: list[int] | None = None, **params: Any) -> OdooFault:
    with pytest.raises(OdooFault) as caught:
        side.call(model, method, ids, **params)
    return caught.value


def _partner(side: Side, **vals: Any) -> int:
    return int(
        side.call("res.partner", "create", vals_list=[{"name": "Acme", "is_company": True, **vals}])[0]
    )


def _product(side: Side, **vals: Any) -> int:
    values = {"name": "Widget", "default_code": "W-1", "list_price": 10.0, **vals}
    return int(side.call("product.product", "create", vals_list=[values])[0])


def _order(side: Side, partner: int, product: int, **vals: Any) -> int:
    line = {"product_id": product, "product_uom_qty": 2, "price_unit": 10.0}
    values = {"partner_id": partner, "order_line": [[0, 0, line]], **vals}
    return int(side.call("sale.order", "create", vals_list=[values])[0])


def _confirmed(side: Side) -> tuple[int, int, int]:
    partner, product = _partner(side), _product(side)
    order = _order(side, partner, product)
    side.call("sale.order", "action_confirm", [order])
    return partner, product, order


# -- Auth ------------------------------------------------------------------------------------------
def test_auth_json2_answers_401_for_an_unknown_key(wire19: Wire) -> None:
    response = wire19.json2("res.partner", "search", {"domain": []}, key="not-a-key")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    body = response.json()
    assert body["name"] == "werkzeug.exceptions.Unauthorized"
    assert body["message"] == "Invalid apikey"


def test_auth_json2_answers_401_once_the_key_expired(wire19: Wire, clock: Clock) -> None:
    key = wire19.odoo.add_api_key(days=1)
    assert wire19.json2("res.partner", "search", {"domain": []}, key=key).status_code == 200
    clock.tick(2 * 24 * 3600)
    response = wire19.json2("res.partner", "search", {"domain": []}, key=key)
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid apikey"
    with pytest.raises(ValueError, match="three months"):
        wire19.odoo.add_api_key(days=120)


def test_auth_xmlrpc_authenticate_answers_false_for_a_wrong_secret(wire17: Wire) -> None:
    odoo = wire17.odoo
    assert wire17.common.authenticate(odoo.database, odoo.login, "wrong", {}) is False
    assert wire17.common.authenticate(odoo.database, "nobody", odoo.password, {}) is False
    assert wire17.common.authenticate(odoo.database, odoo.login, odoo.password, {}) == odoo.uid


def test_auth_xmlrpc_object_call_with_a_wrong_secret_is_fault_3(wire17: Wire) -> None:
    odoo = wire17.odoo
    with pytest.raises(xmlrpc.client.Fault) as caught:
        wire17.object.execute_kw(odoo.database, odoo.uid, "wrong", "res.partner", "search", [[]], {})
    assert caught.value.faultCode == 3
    assert caught.value.faultString == "Access Denied"


def test_auth_api_key_works_where_the_password_does_until_it_expires(wire17: Wire, clock: Clock) -> None:
    odoo = wire17.odoo
    key = odoo.add_api_key(days=1)
    assert wire17.common.authenticate(odoo.database, odoo.login, key, {}) == odoo.uid
    assert (
        wire17.object.execute_kw(odoo.database, odoo.uid, key, "res.partner", "search_count", [[]], {}) >= 1
    )
    clock.tick(2 * 24 * 3600)
    assert wire17.common.authenticate(odoo.database, odoo.login, key, {}) is False
    with pytest.raises(xmlrpc.client.Fault) as caught:
        wire17.object.execute_kw(odoo.database, odoo.uid, key, "res.partner", "search_count", [[]], {})
    assert caught.value.faultCode == 3


# -- Envelopes -------------------------------------------------------------------------------------
def test_envelope_xmlrpc_faults_come_with_http_200_and_integer_codes(wire17: Wire) -> None:
    odoo = wire17.odoo
    partner = wire17.xmlrpc("res.partner", "create", [{"name": "Acme"}])
    odoo.deny("res.partner", "unlink", "Sales/Administrator")
    access = wire17.fault("res.partner", "unlink", [[partner]])
    assert access.faultCode == 4
    assert access.faultString.startswith("You are not allowed to delete 'Contact' (res.partner) records.")
    user = wire17.fault("sale.order", "action_quotation_sent", [[999]])
    assert user.faultCode == 2
    assert user.faultString.startswith("Record does not exist or has been deleted.")
    raw = requests.post(
        f"{odoo.url}/xmlrpc/2/object",
        data=xmlrpc.client.dumps(
            (odoo.database, odoo.uid, odoo.password, "res.partner", "unlink", [[partner]], {}), "execute_kw"
        ),
        headers={"Content-Type": "text/xml"},
        timeout=5,
    )
    assert raw.status_code == 200
    assert "<name>faultCode</name>" in raw.text and "<int>4</int>" in raw.text
    legacy = xmlrpc.client.ServerProxy(f"{odoo.url}/xmlrpc/object")
    with pytest.raises(xmlrpc.client.Fault) as caught:
        legacy.execute_kw(odoo.database, odoo.uid, odoo.password, "res.partner", "unlink", [[partner]], {})
    assert caught.value.faultCode.startswith("warning -- AccessError\n\n")


@pytest.mark.parametrize("version, code", [(17, 200), (19, 0)])
def test_envelope_jsonrpc_errors_come_with_http_200_and_the_exception_name(
    make_odoo: Any, version: int, code: int
) -> None:
    wire = Wire(make_odoo(version))
    odoo = wire.odoo
    ok = wire.jsonrpc(
        "object",
        "execute_kw",
        [odoo.database, odoo.uid, odoo.password, "res.partner", "search_count", [[]], {}],
    )
    assert ok["id"] == 7 and ok["result"] >= 1 and "error" not in ok
    answer = wire.jsonrpc(
        "object",
        "execute_kw",
        [odoo.database, odoo.uid, odoo.password, "res.partner", "create", [{"name": "X", "vat": "BE1"}], {}],
    )
    error = answer["error"]
    assert error["code"] == code
    assert error["message"] == "Odoo Server Error"
    assert error["data"]["name"] == "odoo.exceptions.ValidationError"
    assert "does not seem to be valid" in error["data"]["message"]
    assert set(error["data"]) == {"name", "message", "arguments", "context", "debug"}
    denied = wire.jsonrpc(
        "object", "execute_kw", [odoo.database, odoo.uid, "wrong", "res.partner", "search", [[]], {}]
    )
    assert denied["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert denied["error"]["data"]["debug"] == ""


@pytest.mark.parametrize(
    "case, status, name",
    [
        ("body is not JSON", 400, "werkzeug.exceptions.BadRequest"),
        ("body is not an object", 400, "werkzeug.exceptions.BadRequest"),
        ("access error", 403, "odoo.exceptions.AccessError"),
        ("unknown model", 404, "werkzeug.exceptions.NotFound"),
        ("unknown method", 404, "werkzeug.exceptions.NotFound"),
        ("GET instead of POST", 404, "werkzeug.exceptions.NotFound"),
        ("deleted record", 404, "odoo.exceptions.MissingError"),
        ("user error", 422, "odoo.exceptions.UserError"),
        ("unexpected parameter", 422, "werkzeug.exceptions.UnprocessableEntity"),
        ("missing parameter", 422, "werkzeug.exceptions.UnprocessableEntity"),
        ("ids for an @api.model method", 422, "werkzeug.exceptions.UnprocessableEntity"),
        ("anything else", 500, "builtins.ValueError"),
    ],
)
def test_envelope_json2_statuses_and_error_body(wire19: Wire, case: str, status: int, name: str) -> None:
    odoo = wire19.odoo
    draft = odoo.call(
        "sale.order", "create", {"partner_id": odoo.call("res.partner", "create", {"name": "A"})}
    )
    odoo.deny("res.country", "read")
    requests_by_case = {
        "body is not JSON": lambda: wire19.json2(
            "res.partner", "search", data=b"{nope", headers={"Content-Type": "application/json"}
        ),
        "body is not an object": lambda: wire19.json2("res.partner", "search", [1, 2]),
        "access error": lambda: wire19.json2("res.country", "search", {"domain": []}),
        "unknown model": lambda: wire19.json2("res.nothing", "search", {"domain": []}),
        "unknown method": lambda: wire19.json2("res.partner", "frobnicate", {}),
        "GET instead of POST": lambda: wire19.json2("res.partner", "search", {"domain": []}, verb="GET"),
        "deleted record": lambda: wire19.json2("sale.order", "action_confirm", {"ids": [9999]}),
        "user error": lambda: (
            wire19.json2("sale.order", "action_quotation_sent", {"ids": [draft]})
            and wire19.json2("sale.order", "action_quotation_sent", {"ids": [draft]})
        ),
        "unexpected parameter": lambda: wire19.json2(
            "res.partner", "search", {"domain": [], "colour": "red"}
        ),
        "missing parameter": lambda: wire19.json2("res.partner", "create", {}),
        "ids for an @api.model method": lambda: wire19.json2(
            "res.partner", "search", {"ids": [1], "domain": []}
        ),
        "anything else": lambda: wire19.json2("res.partner", "create", {"vals_list": [{"nope": 1}]}),
    }
    response = requests_by_case[case]()
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"name", "message", "arguments", "context", "debug"}
    assert body["name"] == name
    assert body["message"]


# -- Values ----------------------------------------------------------------------------------------
def test_empty_values_read_as_false_never_null(side: Side, wire17: Wire) -> None:
    partner = _partner(side)
    [record] = side.call(
        "res.partner", "read", [partner], fields=["email", "country_id", "child_ids", "comment"]
    )
    assert record == {"id": partner, "email": False, "country_id": False, "child_ids": [], "comment": False}
    [task] = side.call(
        "project.task",
        "read",
        side.call("project.task", "create", vals_list=[{"name": "T"}]),
        fields=["date_deadline"],
    )
    assert task["date_deadline"] is False
    raw = requests.post(
        f"{wire17.odoo.url}/xmlrpc/2/object",
        data=xmlrpc.client.dumps(
            (
                wire17.odoo.database,
                wire17.odoo.uid,
                wire17.odoo.password,
                "res.partner",
                "search_read",
                [[]],
                {"fields": ["email"]},
            ),
            "execute_kw",
        ),
        timeout=5,
    )
    assert "<nil/>" not in raw.text and "<boolean>0</boolean>" in raw.text


def test_many2one_reads_as_id_and_display_name(side: Side) -> None:
    company = _partner(side, name="Acme")
    contact = int(side.call("res.partner", "create", vals_list=[{"name": "Jo", "parent_id": company}])[0])
    [record] = side.call("res.partner", "read", [contact], fields=["parent_id", "display_name"])
    assert record["parent_id"] == [company, "Acme"]
    assert record["display_name"] == "Acme, Jo"
    [raw] = side.call("res.partner", "read", [contact], fields=["parent_id"], load=None)
    assert raw["parent_id"] == company


def test_many2one_written_as_a_pair_is_silently_emptied(side: Side) -> None:
    # Odoo's Many2one conversion takes an int or a tuple; a JSON/XML-RPC list becomes "no value".
    company = _partner(side, name="Acme")
    contact = int(side.call("res.partner", "create", vals_list=[{"name": "Jo", "parent_id": company}])[0])
    side.call("res.partner", "write", [contact], vals={"parent_id": [company, "Acme"]})
    [record] = side.call("res.partner", "read", [contact], fields=["parent_id"])
    assert record["parent_id"] is False
    fault = _fault(side, "sale.order", "create", vals_list=[{"partner_id": [company, "Acme"]}])
    assert fault.kind in ("validation", "user")
    assert fault.field == "partner_id"


def test_x2many_commands_on_one2many(side: Side) -> None:
    company = _partner(side, child_ids=[[0, 0, {"name": "A"}], [0, 0, {"name": "B"}]])
    a, b = side.call("res.partner", "read", [company], fields=["child_ids"])[0]["child_ids"]
    loose = int(side.call("res.partner", "create", vals_list=[{"name": "C"}])[0])
    side.call(
        "res.partner",
        "write",
        [company],
        vals={"child_ids": [[1, a, {"email": "a@x.test"}], [3, b, 0], [4, loose, 0]]},
    )
    assert side.call("res.partner", "read", [company], fields=["child_ids"])[0]["child_ids"] == [a, loose]
    assert side.call("res.partner", "read", [a], fields=["email"])[0]["email"] == "a@x.test"
    assert (
        side.call("res.partner", "read", [b], fields=["parent_id"])[0]["parent_id"] is False
    )  # unlinked, kept
    side.call("res.partner", "write", [company], vals={"child_ids": [[2, a, 0]]})
    assert side.call("res.partner", "read", [a]) == []  # command 2 deletes
    side.call("res.partner", "write", [company], vals={"child_ids": [[6, 0, [b]]]})
    assert side.call("res.partner", "read", [company], fields=["child_ids"])[0]["child_ids"] == [b]
    side.call("res.partner", "write", [company], vals={"child_ids": [[5, 0, 0]]})
    assert side.call("res.partner", "read", [company], fields=["child_ids"])[0]["child_ids"] == []


def test_x2many_commands_on_many2many(side: Side) -> None:
    tax_field = "tax_ids" if side.odoo.version >= 19 else "taxes_id"
    product = _product(side, **{tax_field: [[6, 0, [1]]]})
    read = lambda: side.call("product.product", "read", [product], fields=[tax_field])[0][tax_field]  # noqa: E731
    assert read() == [1]
    side.call("product.product", "write", [product], vals={tax_field: [[4, 2, 0]]})
    assert read() == [1, 2]
    side.call("product.product", "write", [product], vals={tax_field: [[3, 1, 0]]})
    assert read() == [2]
    side.call("product.product", "write", [product], vals={tax_field: [[5, 0, 0]]})
    assert read() == []
    assert side.call("account.tax", "search_count", domain=[["id", "in", [1, 2]]]) == 2  # links only


def test_x2many_refuses_what_is_not_a_command(side: Side) -> None:
    fault = _fault(side, "res.partner", "create", vals_list=[{"name": "A", "child_ids": [{"name": "B"}]}])
    assert fault.kind == "value"
    assert "Wrong value for res.partner.child_ids" in fault.message


def test_write_date_is_the_transaction_stamp_shared_by_its_records(side: Side, clock: Clock) -> None:
    ids = side.call("res.partner", "create", vals_list=[{"name": f"P{n}"} for n in range(3)])
    stamps = {
        r["write_date"] for r in side.call("res.partner", "read", ids, fields=["write_date", "create_date"])
    }
    assert stamps == {"2026-01-05 10:00:00"}
    clock.now = clock.now.replace(microsecond=987654)
    clock.tick(61)
    side.call("res.partner", "write", ids[:1], vals={"name": "P0"})  # same value: still a write
    rows = side.call("res.partner", "read", ids, fields=["write_date", "create_date"])
    assert rows[0]["write_date"] == "2026-01-05 10:01:01"
    assert rows[0]["create_date"] == "2026-01-05 10:00:00"
    assert rows[1]["write_date"] == "2026-01-05 10:00:00"
    side.call(
        "res.partner",
        "write",
        ids[1:],
        vals={"create_date": "2000-01-01 00:00:00", "write_date": "2000-01-01 00:00:00"},
    )
    assert {r["write_date"] for r in side.call("res.partner", "read", ids[1:], fields=["write_date"])} == {
        "2026-01-05 10:01:01"
    }


def test_archived_records_hidden_unless_active_test_is_false(side: Side) -> None:
    kept, archived = side.call("res.partner", "create", vals_list=[{"name": "Kept"}, {"name": "Gone"}])
    side.call("res.partner", "write", [archived], vals={"active": False})
    visible = side.call("res.partner", "search", domain=[["name", "in", ["Kept", "Gone"]]])
    assert visible == [kept]
    everything = side.call(
        "res.partner", "search", domain=[["name", "in", ["Kept", "Gone"]]], context={"active_test": False}
    )
    assert sorted(everything) == sorted([kept, archived])
    only_archived = side.call("res.partner", "search", domain=[["active", "=", False], ["name", "=", "Gone"]])
    assert only_archived == [archived]
    assert [r["id"] for r in side.call("res.partner", "read", [archived], fields=["active"])] == [archived]


def test_unlink_leaves_no_trace(side: Side) -> None:
    partner = _partner(side)
    assert side.call("res.partner", "unlink", [partner]) is True
    assert (
        side.call("res.partner", "search", domain=[["id", "=", partner]], context={"active_test": False})
        == []
    )
    assert side.call("res.partner", "read", [partner], fields=["name"]) == []
    fault = _fault(side, "res.partner", "write", [partner], vals={"name": "Back"})
    assert fault.kind == "missing"


def test_domain_operators_and_combinators(side: Side) -> None:
    be = side.call("res.country", "search", domain=[["code", "=", "BE"]])[0]
    acme = _partner(side, name="Acme", country_id=be, customer_rank=3, email="sales@acme.test")
    beta = _partner(side, name="Beta", customer_rank=1)
    jo = int(side.call("res.partner", "create", vals_list=[{"name": "Jo", "parent_id": acme}])[0])
    ours = [["id", "in", [acme, beta, jo]]]

    def search(*domain: Any) -> list[int]:
        return sorted(side.call("res.partner", "search", domain=[*ours, *domain]))

    assert search(["customer_rank", ">", 1]) == [acme]
    assert search(["customer_rank", "<=", 1]) == [beta, jo]
    assert search(["email", "!=", "sales@acme.test"]) == [beta, jo]  # != also matches empty
    assert search(["email", "=", False]) == [beta, jo]
    assert search(["name", "not in", ["Acme"]]) == [beta, jo]
    assert search(["country_id.code", "=", "BE"]) == [acme]
    assert search(["country_id", "=", "Belgium"]) == [acme]  # a name on a many2one
    assert search(["id", "child_of", acme]) == [acme, jo]
    assert search(["id", "parent_of", jo]) == [acme, jo]
    assert search("|", ["name", "=", "Beta"], ["name", "=", "Jo"]) == [beta, jo]
    assert search("!", ["name", "=", "Beta"]) == [acme, jo]
    assert search("&", ["customer_rank", ">", 0], "!", ["name", "=ilike", "a%"]) == [beta]


def test_domain_like_wildcards_and_escapes(side: Side) -> None:
    names = ["50% off", "50 pct off", "a_b", "axb", 'O\'Brien "Ltd"', "back\\slash"]
    ids = side.call("res.partner", "create", vals_list=[{"name": n} for n in names])
    by_name = dict(zip(names, ids, strict=True))

    def search(operator: str, value: str) -> set[str]:
        found = side.call("res.partner", "search", domain=[["id", "in", ids], ["name", operator, value]])
        return {n for n, i in by_name.items() if i in found}

    assert search("ilike", "50%") == {"50% off", "50 pct off"}  # % is a wildcard
    assert search("ilike", "50\\%") == {"50% off"}  # escaped
    assert search("ilike", "a_b") == {"a_b", "axb"}
    assert search("ilike", "a\\_b") == {"a_b"}
    assert search("=", "a_b") == {"a_b"}  # = never has wildcards
    assert search("=", 'O\'Brien "Ltd"') == {'O\'Brien "Ltd"'}
    assert search("ilike", "back\\\\slash") == {"back\\slash"}
    assert search("like", "o'brien") == set()  # like is case-sensitive
    assert search("=ilike", "o'brien%") == {'O\'Brien "Ltd"'}


def test_domain_refuses_unknown_fields_and_operators(side: Side) -> None:
    for domain in ([["colour", "=", "red"]], [["name", "resembles", "x"]], ["&", ["name", "=", "x"]]):
        fault = _fault(side, "res.partner", "search", domain=domain)
        assert fault.kind == "value"


def test_order_limit_offset(side: Side, clock: Clock) -> None:
    first = side.call("res.partner", "create", vals_list=[{"name": n} for n in ("C", "A", "B")])
    clock.tick(5)
    later = side.call("res.partner", "create", vals_list=[{"name": "D"}])
    ours = [["id", "in", [*first, *later]]]
    by_date = side.call("res.partner", "search", domain=ours, order="write_date desc, id asc")
    assert by_date == [*later, *sorted(first)]
    assert side.call("res.partner", "search", domain=ours, order="name", limit=2) == [first[1], first[2]]
    assert side.call("res.partner", "search", domain=ours, order="name", offset=2) == [first[0], *later]
    assert [
        r["name"]
        for r in side.call(
            "res.partner", "search_read", domain=ours, fields=["name"], order="name desc", limit=1, offset=1
        )
    ] == ["C"]
    fault = _fault(side, "res.partner", "search", domain=ours, order="name; drop table")
    assert fault.kind == "value"


def test_sale_order_name_comes_from_a_sequence(side: Side) -> None:
    partner = _partner(side)
    first = side.call("sale.order", "create", vals_list=[{"partner_id": partner}, {"partner_id": partner}])
    with pytest.raises(OdooFault):
        side.call("sale.order", "create", vals_list=[{"partner_id": partner}, {"partner_id": 0}])
    later = side.call("sale.order", "create", vals_list=[{"partner_id": partner, "name": "New"}])
    names = [r["name"] for r in side.call("sale.order", "read", [*first, *later], fields=["name"])]
    assert names == ["S00001", "S00002", "S00005"]  # the failed call used numbers 3 and 4 anyway


# -- The sale order state machine -----------------------------------------------------------------
def _state(side: Side, order: int) -> str:
    return str(side.call("sale.order", "read", [order], fields=["state"])[0]["state"])


def test_action_confirm_only_from_draft_or_sent(side: Side) -> None:
    _, _, order = _confirmed(side)
    assert _state(side, order) == "sale"
    fault = _fault(side, "sale.order", "action_confirm", [order])
    assert fault.kind == "user"
    assert fault.message == "Some orders are not in a state requiring confirmation."
    partner, product = _partner(side), _product(side, default_code="W-2")
    sent = _order(side, partner, product)
    side.call("sale.order", "action_quotation_sent", [sent])
    side.call("sale.order", "action_confirm", [sent])
    assert _state(side, sent) == "sale"


def test_action_confirm_refuses_a_line_without_product(side: Side) -> None:
    partner = _partner(side)
    order = int(
        side.call(
            "sale.order",
            "create",
            vals_list=[
                {"partner_id": partner, "order_line": [[0, 0, {"display_type": "line_note", "name": "Hi"}]]}
            ],
        )[0]
    )
    side.call(
        "sale.order.line",
        "create",
        vals_list=[{"order_id": order, "display_type": "line_section", "name": "S"}],
    )
    side.call("sale.order", "action_confirm", [order])  # display lines need no product
    assert _state(side, order) == "sale"
    fault = _fault(side, "sale.order.line", "create", vals_list=[{"order_id": order, "name": "No product"}])
    assert (
        fault.message
        == "The operation cannot be completed: Missing required fields on accountable sale order line."
    )


def test_action_cancel_answers_with_the_wizard_unless_disabled(side: Side) -> None:
    _, _, order = _confirmed(side)
    action = side.call("sale.order", "action_cancel", [order])
    assert action["type"] == "ir.actions.act_window" and action["res_model"] == "sale.order.cancel"
    assert _state(side, order) == "sale"
    assert side.call("sale.order", "action_cancel", [order], context={"disable_cancel_warning": True}) is True
    assert _state(side, order) == "cancel"


def test_action_cancel_refuses_a_locked_order(side: Side) -> None:
    _, _, order = _confirmed(side)
    side.call("sale.order", "action_lock", [order])
    fault = _fault(side, "sale.order", "action_cancel", [order], context={"disable_cancel_warning": True})
    assert (
        fault.message == "You cannot cancel a locked order. Please unlock it first if you want to cancel it."
    )
    side.call("sale.order", "action_unlock", [order])
    side.call("sale.order", "action_cancel", [order], context={"disable_cancel_warning": True})
    assert _state(side, order) == "cancel"


def test_action_draft_only_moves_cancelled_or_sent_orders(side: Side) -> None:
    _, _, order = _confirmed(side)
    assert side.call("sale.order", "action_draft", [order]) is True
    assert _state(side, order) == "sale"  # nothing to do for a confirmed order
    side.call("sale.order", "action_cancel", [order], context={"disable_cancel_warning": True})
    side.call("sale.order", "action_draft", [order])
    assert _state(side, order) == "draft"


def test_locked_order_refuses_changes_to_protected_line_fields(side: Side) -> None:
    _, _, order = _confirmed(side)
    [line] = side.call("sale.order", "read", [order], fields=["order_line"])[0]["order_line"]
    side.call("sale.order.line", "write", [line], vals={"product_uom_qty": 5})  # confirmed, unlocked: fine
    side.call("sale.order", "action_lock", [order])
    fault = _fault(side, "sale.order.line", "write", [line], vals={"price_unit": 1.0})
    assert fault.message == "It is forbidden to modify the following fields in a locked order:\nUnit Price"
    fault = _fault(
        side, "sale.order", "write", [order], vals={"order_line": [[1, line, {"product_uom_qty": 1}]]}
    )
    assert fault.message.endswith("Quantity")
    side.call("sale.order.line", "write", [line], vals={"qty_delivered": 1})  # not protected


# -- Unlink restrictions ---------------------------------------------------------------------------
def test_unlink_refuses_a_confirmed_order(side: Side) -> None:
    _, _, order = _confirmed(side)
    fault = _fault(side, "sale.order", "unlink", [order])
    assert fault.message == (
        "You can not delete a sent quotation or a confirmed sales order. You must first cancel it."
    )
    side.call("sale.order", "action_cancel", [order], context={"disable_cancel_warning": True})
    assert side.call("sale.order", "unlink", [order]) is True


def test_unlink_refuses_a_line_of_a_confirmed_order(side: Side) -> None:
    _, _, order = _confirmed(side)
    [line] = side.call("sale.order", "read", [order], fields=["order_line"])[0]["order_line"]
    for call in (
        lambda: side.call("sale.order.line", "unlink", [line]),
        lambda: side.call("sale.order", "write", [order], vals={"order_line": [[2, line, 0]]}),
        lambda: side.call("sale.order", "write", [order], vals={"order_line": [[5, 0, 0]]}),
    ):
        with pytest.raises(
            OdooFault, match="Once a sales order is confirmed, you can't remove one of its lines"
        ):
            call()
    assert side.call("sale.order.line", "search", domain=[["id", "=", line]]) == [line]


def test_unlink_refuses_a_product_used_on_an_order_line(side: Side) -> None:
    partner, product = _partner(side), _product(side)
    _order(side, partner, product)
    fault = _fault(side, "product.product", "unlink", [product])
    assert fault.kind in ("validation", "user")
    assert "another model requires the record being deleted" in fault.message
    assert "sale.order.line" in fault.message
    template = side.call("product.product", "read", [product], fields=["product_tmpl_id"])[0][
        "product_tmpl_id"
    ][0]
    with pytest.raises(OdooFault):
        side.call("product.template", "unlink", [template])
    side.call("product.product", "write", [product], vals={"active": False})  # archiving is the way


def test_unlink_refuses_a_customer_with_orders(side: Side) -> None:
    partner, product = _partner(side), _product(side)
    _order(side, partner, product)
    fault = _fault(side, "res.partner", "unlink", [partner])
    assert "Model: Sales Order (sale.order)" in fault.message
    assert side.call("res.partner", "search", domain=[["id", "=", partner]]) == [partner]


def test_bad_vat_is_a_validation_error(side: Side, wire19: Wire) -> None:
    fault = _fault(side, "res.partner", "create", vals_list=[{"name": "Acme", "vat": "BE0477472702"}])
    assert fault.kind in ("validation", "user")
    assert "The VAT number [BE0477472702] for partner [Acme] does not seem to be valid." in fault.message
    _partner(side, vat="BE0477472701")  # a valid Belgian number passes
    response = wire19.json2("res.partner", "create", {"vals_list": [{"name": "X", "vat": "FR00334175221"}]})
    assert response.status_code == 422
    assert response.json()["name"] == "odoo.exceptions.ValidationError"


def test_unknown_field_is_fault_1_and_http_500(wire17: Wire, wire19: Wire) -> None:
    fault = wire17.fault("res.partner", "create", [{"name": "A", "colour": "red"}])
    assert fault.faultCode == 1
    assert fault.faultString.strip().endswith("ValueError: Invalid field 'colour' on model 'res.partner'")
    assert fault.faultString.startswith("Traceback (most recent call last):")
    response = wire19.json2("res.partner", "read", {"ids": [1], "fields": ["colour"]})
    assert response.status_code == 500
    assert response.json()["name"] == "builtins.ValueError"
    assert response.json()["message"] == "Invalid field 'colour' on model 'res.partner'"


def test_private_and_unknown_methods_are_refused(wire17: Wire, wire19: Wire) -> None:
    private = wire17.fault("res.partner", "_compute_display_name", [[1]])
    assert private.faultCode == 4
    assert private.faultString == "Private methods (such as _compute_display_name) cannot be called remotely."
    unknown = wire17.fault("res.partner", "frobnicate", [[1]])
    assert unknown.faultCode == 1 and "AttributeError" in unknown.faultString
    response = wire19.json2("res.partner", "_compute_display_name", {"ids": [1]})
    assert response.status_code == 403  # 19.0's get_public_method raises AccessError (the note says 404)
    assert response.json()["message"] == (
        "Private methods (such as 'res.partner._compute_display_name') cannot be called remotely."
    )
    response = wire19.json2("res.partner", "frobnicate", {"ids": [1]})
    assert response.status_code == 404
    assert response.json()["message"] == "The method 'res.partner.frobnicate' does not exist"


def test_a_failed_call_changes_nothing(side: Side) -> None:
    before = side.call("res.partner", "search_count", domain=[], context={"active_test": False})
    company = _partner(side, name="Keep")
    count = before + 1
    with pytest.raises(OdooFault):
        side.call(
            "res.partner",
            "create",
            vals_list=[{"name": "Fine"}, {"name": "Bad", "vat": "BE0477472702"}],
        )
    with pytest.raises(OdooFault):
        side.call(
            "res.partner",
            "write",
            [company],
            vals={"name": "Changed", "child_ids": [[0, 0, {"name": "Kid"}]], "vat": "BE1"},
        )
    assert side.call("res.partner", "search_count", domain=[], context={"active_test": False}) == count
    assert side.call("res.partner", "read", [company], fields=["name", "child_ids"])[0] == {
        "id": company,
        "name": "Keep",
        "child_ids": [],
    }

"""Odoo rules beyond the note's checklist that the emulator reproduces: required fields, read-only
and computed fields, prices, confirmed lines, products and variants, commercial fields, re-stamping,
access rights, versions and modules, value formats."""

from __future__ import annotations

import xmlrpc.client
from typing import Any

import pytest
import requests

from connectors.odoo import OdooCallError, OdooFault
from tests.odoo.conftest import Clock, Side, Wire
from tests.odoo.test_checklist import _confirmed, _fault, _order, _partner, _product


def _read(side: Side, model: str, record: int, *fields: str) -> dict[str, Any]:
    return dict(side.call(model, "read", [record], fields=list(fields))[0])


# -- required fields -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "model, vals, field",
    [
        ("sale.order", {}, "partner_id"),
        ("product.product", {"default_code": "X"}, "name"),
        ("project.task", {"description": "<p>x</p>"}, "name"),
    ],
)
def test_a_missing_required_field_is_a_not_null_validation_error(
    side: Side, model: str, vals: dict[str, Any], field: str
) -> None:
    fault = _fault(side, model, "create", vals_list=[vals])
    assert fault.message.startswith(
        "The operation cannot be completed:\n- Create/update: a mandatory field is not set."
    )
    assert fault.field == field


def test_a_contact_needs_a_name_other_addresses_do_not(side: Side) -> None:
    fault = _fault(side, "res.partner", "create", vals_list=[{"email": "x@y.test"}])
    assert fault.message == "The operation cannot be completed: Contacts require a name"
    company = _partner(side)
    side.call(
        "res.partner", "create", vals_list=[{"type": "delivery", "parent_id": company, "street": "Main 1"}]
    )


def test_emptying_a_required_field_is_refused(side: Side) -> None:
    partner, product = _partner(side), _product(side)
    order = _order(side, partner, product)
    fault = _fault(side, "sale.order", "write", [order], vals={"partner_id": False})
    assert fault.field == "partner_id"


# -- read-only and computed fields -----------------------------------------------------------------
def test_computed_fields_given_on_create_are_recomputed(side: Side) -> None:
    partner, product = _partner(side), _product(side, list_price=10.0)
    order = _order(side, partner, product, amount_total=1.0, display_name="Mine")
    assert _read(side, "sale.order", order, "amount_total")["amount_total"] == 20.0


def test_a_stored_computed_field_written_directly_stays_until_a_dependency_changes(side: Side) -> None:
    # Odoo's write() stores a value given for a stored computed field without inverse; the next
    # recomputation (a line change) replaces it. Readonly is a view attribute, not a server check.
    partner, product = _partner(side), _product(side, list_price=10.0)
    order = _order(side, partner, product)
    side.call("sale.order", "write", [order], vals={"amount_total": 1.0, "display_name": "ignored"})
    assert _read(side, "sale.order", order, "amount_total", "display_name") == {
        "id": order,
        "amount_total": 1.0,
        "display_name": "S00001",
    }
    [line] = _read(side, "sale.order", order, "order_line")["order_line"]
    side.call("sale.order.line", "write", [line], vals={"product_uom_qty": 3, "price_unit": 10.0})
    assert _read(side, "sale.order", order, "amount_total")["amount_total"] == 30.0


def test_plain_readonly_fields_are_written_as_odoo_writes_them(side: Side) -> None:
    partner, product = _partner(side), _product(side)
    order = _order(side, partner, product)
    side.call("sale.order", "write", [order], vals={"state": "sent"})
    assert _read(side, "sale.order", order, "state")["state"] == "sent"
    fields = side.call(
        "sale.order",
        "fields_get",
        allfields=["state", "amount_total", "partner_invoice_id"],
        attributes=["readonly"],
    )
    assert fields == {
        "state": {"readonly": True},
        "amount_total": {"readonly": True},
        "partner_invoice_id": {"readonly": False},
    }


def test_a_computed_field_with_inverse_writes_through(side: Side) -> None:
    partner = int(
        side.call("res.partner", "create", vals_list=[{"name": "Solo", "company_type": "company"}])[0]
    )
    assert _read(side, "res.partner", partner, "is_company")["is_company"] is True
    product = _product(side, list_price=5.0)
    side.call("product.product", "write", [product], vals={"lst_price": 7.5})
    template = _read(side, "product.product", product, "product_tmpl_id")["product_tmpl_id"][0]
    assert _read(side, "product.template", template, "list_price")["list_price"] == 7.5


# -- prices -----------------------------------------------------------------------------------------
def test_line_price_comes_from_the_product_unless_written(side: Side) -> None:
    partner, product = _partner(side), _product(side, list_price=12.5)
    order = int(
        side.call(
            "sale.order",
            "create",
            vals_list=[
                {
                    "partner_id": partner,
                    "order_line": [
                        [0, 0, {"product_id": product, "product_uom_qty": 2}],
                        [0, 0, {"product_id": product, "price_unit": 9.0}],
                    ],
                }
            ],
        )[0]
    )
    lines = side.call(
        "sale.order.line",
        "search_read",
        domain=[["order_id", "=", order]],
        fields=["price_unit", "name"],
        order="id",
    )
    assert [line["price_unit"] for line in lines] == [12.5, 9.0]
    assert lines[0]["name"] == "[W-1] Widget"


def test_a_quantity_change_resets_a_manual_price_up_to_17_and_keeps_it_from_18(make_odoo: Any) -> None:
    from connectors.odoo import open_transport
    from tests.odoo.conftest import settings_for

    for version, expected in ((17, 10.0), (18, 9.0), (19, 9.0)):
        odoo = make_odoo(version)
        side = Side(odoo, open_transport(settings_for(odoo, "xmlrpc")))
        partner, product = _partner(side), _product(side, list_price=10.0)
        order = _order(side, partner, product)  # price_unit 10.0 given
        [line] = _read(side, "sale.order", order, "order_line")["order_line"]
        side.call("sale.order.line", "write", [line], vals={"price_unit": 9.0})
        side.call("sale.order.line", "write", [line], vals={"product_uom_qty": 4})
        assert _read(side, "sale.order.line", line, "price_unit")["price_unit"] == expected, version


def test_numbers_are_rounded_half_up_to_their_digits(side: Side) -> None:
    product = _product(side, list_price=2.675)
    assert _read(side, "product.product", product, "lst_price")["lst_price"] == 2.68


# -- confirmed orders --------------------------------------------------------------------------------
def test_a_confirmed_line_keeps_its_product_once_delivered(side: Side) -> None:
    _, _, order = _confirmed(side)
    [line] = _read(side, "sale.order", order, "order_line")["order_line"]
    other = _product(side, name="Gadget", default_code="G-1")
    side.call("sale.order.line", "write", [line], vals={"product_id": other})  # nothing delivered yet
    side.call("sale.order.line", "write", [line], vals={"qty_delivered": 1})
    fault = _fault(
        side, "sale.order.line", "write", [line], vals={"product_id": _product(side, default_code="Z")}
    )
    assert fault.message == "You cannot modify the product of this order line."


def test_lines_can_be_added_to_a_confirmed_order(side: Side) -> None:
    _, product, order = _confirmed(side)
    side.call(
        "sale.order",
        "write",
        [order],
        vals={"order_line": [[0, 0, {"product_id": product, "product_uom_qty": 1}]]},
    )
    assert len(_read(side, "sale.order", order, "order_line")["order_line"]) == 2


def test_lock_confirmed_orders_setting_locks_on_confirm(make_odoo: Any) -> None:
    from connectors.odoo import open_transport
    from tests.odoo.conftest import settings_for

    odoo = make_odoo(19, lock_confirmed_orders=True)
    side = Side(odoo, open_transport(settings_for(odoo, "json2")))
    _, _, order = _confirmed(side)
    assert _read(side, "sale.order", order, "locked")["locked"] is True


def test_line_types_cannot_change(side: Side) -> None:
    partner, product = _partner(side), _product(side)
    order = _order(side, partner, product)
    [line] = _read(side, "sale.order", order, "order_line")["order_line"]
    fault = _fault(side, "sale.order.line", "write", [line], vals={"display_type": "line_note"})
    assert fault.message.startswith("You cannot change the type of a sale order line.")


# -- products and variants ---------------------------------------------------------------------------
def test_a_template_brings_its_variant_and_shares_its_reference(side: Side) -> None:
    template = int(
        side.call(
            "product.template",
            "create",
            vals_list=[{"name": "Desk", "default_code": "D-1", "list_price": 99.0}],
        )[0]
    )
    [variant] = _read(side, "product.template", template, "product_variant_ids")["product_variant_ids"]
    assert _read(side, "product.product", variant, "default_code", "lst_price", "display_name") == {
        "id": variant,
        "default_code": "D-1",
        "lst_price": 99.0,
        "display_name": "[D-1] Desk",
    }
    side.call("product.template", "write", [template], vals={"default_code": "D-2", "standard_price": 40.0})
    assert _read(side, "product.product", variant, "default_code", "standard_price") == {
        "id": variant,
        "default_code": "D-2",
        "standard_price": 40.0,
    }


def test_archiving_a_template_archives_its_variants_and_deleting_the_only_variant_deletes_it(
    side: Side,
) -> None:
    product = _product(side)
    template = _read(side, "product.product", product, "product_tmpl_id")["product_tmpl_id"][0]
    side.call("product.template", "write", [template], vals={"active": False})
    assert side.call("product.product", "search", domain=[["id", "=", product]]) == []
    assert _read(side, "product.product", product, "active")["active"] is False
    side.call("product.product", "unlink", [product])
    assert (
        side.call(
            "product.template", "search", domain=[["id", "=", template]], context={"active_test": False}
        )
        == []
    )


def test_a_barcode_belongs_to_one_product(side: Side) -> None:
    _product(side, barcode="5400000000001")
    fault = _fault(
        side, "product.product", "create", vals_list=[{"name": "Copy", "barcode": "5400000000001"}]
    )
    assert "Barcode(s) already assigned" in fault.message


@pytest.mark.parametrize(
    "version, types", [(17, ["consu", "service", "product"]), (19, ["consu", "service", "combo"])]
)
def test_product_types_follow_the_version(make_odoo: Any, version: int, types: list[str]) -> None:
    wire = Wire(make_odoo(version))
    fields = wire.xmlrpc(
        "product.template",
        "fields_get",
        [],
        {"allfields": ["type", "is_storable"], "attributes": ["selection"]},
    )
    assert [key for key, _label in fields["type"]["selection"]] == types
    assert ("is_storable" in fields) == (version >= 18)


# -- partners ----------------------------------------------------------------------------------------
def test_commercial_fields_flow_from_a_company_to_its_contacts_and_restamp_them(
    side: Side, clock: Clock
) -> None:
    company = _partner(side, vat="BE0477472701", property_payment_term_id=3)
    contact = int(side.call("res.partner", "create", vals_list=[{"name": "Jo", "parent_id": company}])[0])
    assert _read(side, "res.partner", contact, "vat", "property_payment_term_id") == {
        "id": contact,
        "vat": "BE0477472701",
        "property_payment_term_id": [3, "30 Days"],
    }
    clock.tick(10)
    side.call("res.partner", "write", [company], vals={"vat": "BE0403170701"})
    assert _read(side, "res.partner", contact, "vat", "write_date") == {
        "id": contact,
        "vat": "BE0403170701",
        "write_date": "2026-01-05 10:00:10",
    }


def test_a_contact_change_does_not_restamp_its_company(side: Side, clock: Clock) -> None:
    company = _partner(side, child_ids=[[0, 0, {"name": "Jo"}]])
    [contact] = _read(side, "res.partner", company, "child_ids")["child_ids"]
    clock.tick(10)
    side.call("res.partner", "write", [contact], vals={"email": "jo@acme.test"})
    assert _read(side, "res.partner", company, "write_date")["write_date"] == "2026-01-05 10:00:00"


def test_partner_hierarchies_cannot_loop(side: Side) -> None:
    company = _partner(side, child_ids=[[0, 0, {"name": "Jo", "is_company": True}]])
    [child] = _read(side, "res.partner", company, "child_ids")["child_ids"]
    fault = _fault(side, "res.partner", "write", [company], vals={"parent_id": child})
    assert fault.message == "You cannot create recursive Partner hierarchies."


def test_a_line_price_change_restamps_its_order_a_description_change_does_not(
    side: Side, clock: Clock
) -> None:
    partner, product = _partner(side), _product(side)
    order = _order(side, partner, product)
    [line] = _read(side, "sale.order", order, "order_line")["order_line"]
    clock.tick(10)
    side.call("sale.order.line", "write", [line], vals={"name": "Blue widget"})
    assert _read(side, "sale.order", order, "write_date")["write_date"] == "2026-01-05 10:00:00"
    clock.tick(10)
    side.call("sale.order.line", "write", [line], vals={"price_unit": 11.0})
    assert _read(side, "sale.order", order, "write_date", "amount_total") == {
        "id": order,
        "write_date": "2026-01-05 10:00:20",
        "amount_total": 22.0,
    }


# -- access, versions, modules -----------------------------------------------------------------------
def test_reference_data_is_read_only_for_the_integration_user(side: Side) -> None:
    assert side.call("res.country", "search_count", domain=[["code", "=", "BE"]]) == 1
    fault = _fault(side, "res.country", "create", vals_list=[{"name": "Atlantis", "code": "AT"}])
    assert fault.kind == "access"
    assert fault.message.startswith("You are not allowed to create 'Country' (res.country) records.")


def test_a_model_of_a_module_not_installed_does_not_exist(make_odoo: Any) -> None:
    from connectors.odoo import open_transport
    from tests.odoo.conftest import settings_for

    odoo = make_odoo(17, modules={"base", "product"})
    wire = Wire(odoo)
    fault = wire.fault("sale.order", "search", [[]])
    assert (fault.faultCode, fault.faultString) == (2, "Object sale.order doesn't exist")
    with pytest.raises(OdooCallError, match=r"sale\.order doesn.t exist"):
        open_transport(settings_for(odoo, "xmlrpc")).call("sale.order", "search", params={"domain": []})
    modules = wire.xmlrpc(
        "ir.module.module", "search_read", [[["state", "=", "installed"]]], {"fields": ["name"]}
    )
    assert sorted(m["name"] for m in modules) == ["base", "product"]


def test_installed_modules_tell_which_complaint_model_exists(wire19: Wire) -> None:
    rows = wire19.xmlrpc(
        "ir.module.module",
        "search_read",
        [[["name", "in", ["helpdesk", "project"]]]],
        {"fields": ["name", "state"]},
    )
    assert {r["name"]: r["state"] for r in rows} == {"helpdesk": "uninstalled", "project": "installed"}
    assert wire19.json2("helpdesk.ticket", "search", {"domain": []}).status_code == 404


def test_field_names_follow_the_version(make_odoo: Any) -> None:
    for version, uom, taxes, mobile in (
        (17, "product_uom", "tax_id", True),
        (19, "product_uom_id", "tax_ids", False),
    ):
        wire = Wire(make_odoo(version))
        line = wire.xmlrpc("sale.order.line", "fields_get", [], {"attributes": ["type"]})
        partner = wire.xmlrpc("res.partner", "fields_get", [], {"attributes": ["type"]})
        assert uom in line and taxes in line, version
        assert ("mobile" in partner) is mobile


def test_name_search_takes_args_up_to_17_and_domain_from_18(wire17: Wire, wire19: Wire) -> None:
    wire17.xmlrpc("res.partner", "create", [{"name": "Acme"}])
    assert wire17.xmlrpc(
        "res.partner", "name_search", [], {"name": "Acm", "args": [["is_company", "=", False]]}
    )
    assert wire17.fault("res.partner", "name_search", [], {"name": "Acm", "domain": []}).faultCode == 1
    wire19.xmlrpc("res.partner", "create", [{"name": "Acme"}])
    assert wire19.json2("res.partner", "name_search", {"name": "Acm", "domain": []}).json()[0][1] == "Acme"
    assert wire19.json2("res.partner", "name_search", {"name": "Acm", "args": []}).status_code == 422


def test_web_version_exists_from_18(make_odoo: Any) -> None:
    for version, status in ((17, 404), (18, 200), (19, 200)):
        response = requests.get(f"{make_odoo(version).url}/web/version", timeout=5)
        assert response.status_code == status
        if status == 200:
            assert response.json()["version_info"][0] == version


def test_json2_exists_from_19_and_wants_json(make_odoo: Any, wire19: Wire) -> None:
    assert (
        requests.post(
            f"{make_odoo(18).url}/json/2/res.partner/search", json={"domain": []}, timeout=5
        ).status_code
        == 404
    )
    response = wire19.json2(
        "res.partner", "search", data=b"domain=[]", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 400
    response = wire19.json2("res.partner", "search", {"domain": []}, headers={"X-Odoo-Database": "other"})
    assert response.status_code == 404
    response = wire19.json2(
        "res.partner", "search", {"domain": []}, headers={"X-Odoo-Database": wire19.odoo.database}
    )
    assert response.status_code == 200


# -- values on the wire --------------------------------------------------------------------------------
def test_datetime_values_take_odoo_s_format_only(side: Side) -> None:
    ok = int(
        side.call(
            "project.task", "create", vals_list=[{"name": "A", "date_deadline": "2026-02-01 08:30:00"}]
        )[0]
    )
    day = int(
        side.call("project.task", "create", vals_list=[{"name": "B", "date_deadline": "2026-02-01"}])[0]
    )
    assert _read(side, "project.task", ok, "date_deadline")["date_deadline"] == "2026-02-01 08:30:00"
    assert _read(side, "project.task", day, "date_deadline")["date_deadline"] == "2026-02-01 00:00:00"
    for bad in ("2026-02-01T08:30:00", "2026-02-01 08:30:00+00:00", "01/02/2026"):
        fault = _fault(side, "project.task", "create", vals_list=[{"name": "C", "date_deadline": bad}])
        assert fault.kind == "value", bad
    partner, product = _partner(side), _product(side)
    order = _order(side, partner, product, validity_date="2026-03-01T00:00:00")  # a date takes the first 10
    assert _read(side, "sale.order", order, "validity_date")["validity_date"] == "2026-03-01"


def test_a_selection_refuses_unknown_keys(side: Side) -> None:
    fault = _fault(side, "res.partner", "create", vals_list=[{"name": "A", "type": "billing"}])
    assert fault.kind == "value"
    assert fault.message == "Wrong value for res.partner.type: 'billing'"
    assert fault.field == "type"


def test_xmlrpc_strips_control_characters_and_create_with_one_dict_returns_an_id(wire17: Wire) -> None:
    bell = wire17.odoo.call("res.partner", "create", {"name": "Bell\x07 Corp"})  # typed in Odoo's UI
    assert wire17.xmlrpc("res.partner", "read", [[bell]], {"fields": ["name"]})[0]["name"] == "Bell Corp"
    partner = wire17.xmlrpc("res.partner", "create", [{"name": "Plain"}])
    assert isinstance(partner, int)
    fault = wire17.fault("res.partner", "create", [], {"vals_list": [{"name": "X"}]})
    assert fault.faultCode == 1 and "IndexError" in fault.faultString  # call_kw reads args[0]


def test_the_integration_user_is_the_writer(side: Side) -> None:
    partner = _partner(side)
    record = _read(side, "res.partner", partner, "write_uid", "create_uid")
    assert record["write_uid"] == [side.odoo.uid, "SyncHub Bot"] == record["create_uid"]
    assert side.rpc.uid == side.odoo.uid
    with pytest.raises(OdooFault):
        side.call("res.users", "write", [side.odoo.uid], vals={"name": "Me"})
    assert isinstance(xmlrpc.client.Fault, type)

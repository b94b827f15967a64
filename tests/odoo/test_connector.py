"""The Odoo connector on both transports (JSON-2 against Odoo 19, XML-RPC against Odoo 17), against
the strict emulator: every entity, the keyset cursor through many records sharing one write_date,
archiving vs deletion, per-record faults with Odoo's message, odd values, many2one pairs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest

from connectors.base import Cursor, PermanentError, WriteRequest, load_connector
from connectors.odoo import OdooConnector
from tests.connectors.conformance.harness import ODD_TEXT
from tests.emulators.odoo import OdooEmulator
from tests.odoo.conftest import Clock
from tests.odoo.connected import (
    TRANSPORT_VERSIONS,
    company,
    connect,
    connection,
    created,
    order,
    product,
    write,
)


@pytest.fixture(params=sorted(TRANSPORT_VERSIONS))
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def odoo(transport: str, make_odoo: Callable[..., OdooEmulator]) -> OdooEmulator:
    return make_odoo(TRANSPORT_VERSIONS[transport])


@pytest.fixture
def conn(odoo: OdooEmulator, transport: str) -> Iterator[OdooConnector]:
    connector = connect(odoo, transport)
    yield connector
    connector.close()


def read_all(
    connector: OdooConnector, entity: str, since: Cursor | None = None, page_size: int = 500
) -> list:
    return [r for page in connector.read_changes(entity, since, page_size=page_size) for r in page.records]


def test_the_entry_point_is_registered() -> None:
    assert load_connector("odoo") is OdooConnector


def test_the_transport_is_the_one_asked_for(conn: OdooConnector, odoo: OdooEmulator, transport: str) -> None:
    created(conn, "customer", company("Probe SA"))
    assert {kind for kind, _, _ in odoo.calls} == {transport}


# -- customers -----------------------------------------------------------------------------------


def test_a_customer_is_a_company_with_contacts_terms_credit_limit_and_vat(
    conn: OdooConnector, odoo: OdooEmulator
) -> None:
    data = company(
        "Brasserie Dupont",
        vat="BE0477472701",
        credit_limit=Decimal("5000"),
        property_payment_term_id="30 Days",
        contacts=[
            {"name": "Anne Dupont", "email": "anne@dupont.be", "phone": "+32 2 1", "function": "Buyer"}
        ],
    )
    record_id = created(conn, "customer", data)
    row = odoo.row("res.partner", int(record_id))
    assert row["is_company"] and row["use_partner_credit_limit"] and row["credit_limit"] == 5000.0
    [child] = [r for r in odoo.rows("res.partner").values() if r["parent_id"] == int(record_id)]
    assert child["vat"] == "BE0477472701", "Odoo copies commercial fields to contacts"
    [record] = conn.read_by_ids("customer", [record_id])
    assert record.data["addresses"] == [
        {"street": "Rue Haute 1", "street2": None, "zip": None, "city": "Bruxelles", "country": "BE"}
    ]
    assert record.data["contacts"] == [
        {"name": "Anne Dupont", "email": "anne@dupont.be", "phone": "+32 2 1", "function": "Buyer"}
    ]
    assert (record.data["credit_limit"], record.data["property_payment_term_id"]) == (
        Decimal("5000"),
        "30 Days",
    )
    assert record.data["currency"] == "EUR"


def test_the_own_company_and_contacts_are_not_customers(conn: OdooConnector) -> None:
    record_id = created(conn, "customer", company("Only One", contacts=[{"name": "A Person"}]))
    assert [r.id for r in read_all(conn, "customer")] == [record_id]


def test_contacts_are_written_through_the_company_and_a_dropped_one_is_archived(
    conn: OdooConnector, odoo: OdooEmulator, clock: Clock
) -> None:
    record_id = created(conn, "customer", company("Contacts NV", contacts=[{"name": "A"}, {"name": "B"}]))
    clock.tick()
    [result] = write(
        conn,
        "customer",
        WriteRequest("update", "u", {"contacts": [{"name": "A", "email": "a@x.be"}]}, record_id),
    )
    assert result.ok, result.error
    assert result.record is not None and result.record.data["contacts"] == [
        {"name": "A", "email": "a@x.be", "phone": None, "function": None}
    ]
    children = {r["name"]: r for r in odoo.rows("res.partner").values() if r["parent_id"] == int(record_id)}
    assert children["B"]["active"] is False, "a contact no longer wanted is archived, not deleted"
    assert result.modified == clock.now.replace(microsecond=0), "the company is re-stamped with its contacts"


def test_an_unknown_country_or_payment_term_is_refused_naming_the_field(conn: OdooConnector) -> None:
    bad_country = company("Nowhere", addresses=[{"city": "Atlantis", "country": "ZZ"}])
    bad_term = company("Slow Payer", property_payment_term_id="999 Days")
    results = write(
        conn, "customer", WriteRequest("create", "a", bad_country), WriteRequest("create", "b", bad_term)
    )
    assert [r.field for r in results] == ["addresses[0].country", "property_payment_term_id"]
    assert "no res.country with code 'ZZ'" in (results[0].error or "")


# -- cursor --------------------------------------------------------------------------------------


def test_the_cursor_pages_through_many_records_sharing_one_write_date(
    conn: OdooConnector, odoo: OdooEmulator, clock: Clock
) -> None:
    # one create call, one transaction, one write_date for all 23
    results = write(
        conn, "product", *(WriteRequest("create", f"p{i}", product(f"TIE-{i:02d}")) for i in range(23))
    )
    assert all(r.ok for r in results)
    stamps = {r["write_date"] for r in odoo.rows("product.product").values()}
    assert len(stamps) == 1
    clock.tick()
    later = created(conn, "product", product("LATER"))
    pages = list(conn.read_changes("product", None, page_size=5))
    ids = [r.id for page in pages for r in page.records]
    assert ids == sorted(ids, key=int) and len(ids) == len(set(ids)) == 24 and ids[-1] == later
    for index, page in enumerate(pages[:-1]):
        rest = [r.id for r in read_all(conn, "product", page.cursor, page_size=5)]
        assert rest == ids[(index + 1) * 5 :], f"resuming after page {index} lost or repeated records"


def test_reads_ask_odoo_for_the_keyset_in_order_with_archived_records(
    conn: OdooConnector, odoo: OdooEmulator
) -> None:
    record_id = created(conn, "product", product("ARCH"))
    write(conn, "product", WriteRequest("update", "u", {"active": False}, record_id))
    [record] = read_all(conn, "product")
    assert record.data["active"] is False, "an archived record is read (active_test=False)"


def test_a_price_changed_on_the_template_alone_is_read_as_a_change(
    conn: OdooConnector, odoo: OdooEmulator, clock: Clock
) -> None:
    first = created(conn, "product", product("TPL-1"))
    second = created(conn, "product", product("TPL-2"), ref="2")
    [last_page] = list(conn.read_changes("product", None))
    clock.tick(5)
    template = odoo.row("product.product", int(first))["product_tmpl_id"]
    odoo.call("product.template", "write", [template], {"list_price": 99.0})  # Odoo's product form
    assert odoo.row("product.product", int(first))["write_date"] < clock.now.replace(tzinfo=None)
    changed = read_all(conn, "product", last_page.cursor)
    assert [(r.id, r.data["list_price"]) for r in changed] == [(first, Decimal("99.0"))]
    assert changed[0].modified == clock.now and second not in [r.id for r in changed]
    assert read_all(conn, "product", Cursor(clock.now, first)) == []


def test_a_contact_changed_alone_is_read_as_a_change_of_its_company(
    conn: OdooConnector, odoo: OdooEmulator, clock: Clock
) -> None:
    record_id = created(conn, "customer", company("Parent SA", contacts=[{"name": "Kid"}]))
    created(conn, "customer", company("Other SA"), ref="o")
    [page] = list(conn.read_changes("customer", None))
    clock.tick(3)
    [kid] = [i for i, r in odoo.rows("res.partner").items() if r["name"] == "Kid"]
    odoo.call("res.partner", "write", [kid], {"email": "kid@parent.be"})
    [changed] = read_all(conn, "customer", page.cursor)
    assert changed.id == record_id and changed.modified == clock.now
    assert changed.data["contacts"][0]["email"] == "kid@parent.be"


def test_the_cursor_pages_by_the_latest_stamp_of_records_and_templates(
    conn: OdooConnector, odoo: OdooEmulator, clock: Clock
) -> None:
    ids = [created(conn, "product", product(f"MIX-{i:02d}"), ref=str(i)) for i in range(12)]
    for index, record_id in enumerate(ids):
        clock.tick()
        if index % 3 == 0:  # every third one's template changes later, in reverse order
            template = odoo.row("product.product", int(ids[-1 - index]))["product_tmpl_id"]
            odoo.call("product.template", "write", [template], {"list_price": float(index)})
        else:
            write(conn, "product", WriteRequest("update", "u", {"name": f"renamed {index}"}, record_id))
    everything = read_all(conn, "product", None, page_size=500)
    keys = [(r.modified, int(r.id)) for r in everything]
    assert keys == sorted(keys) and len(keys) == 12
    pages = list(conn.read_changes("product", None, page_size=4))
    paged = [r.id for page in pages for r in page.records]
    assert paged == [r.id for r in everything]
    for index, page in enumerate(pages[:-1]):
        rest = [r.id for r in read_all(conn, "product", page.cursor, page_size=4)]
        assert rest == paged[(index + 1) * 4 :]


# -- archiving and deletion ----------------------------------------------------------------------


def test_archiving_keeps_the_id_and_deletion_drops_it(conn: OdooConnector, odoo: OdooEmulator) -> None:
    kept = created(conn, "customer", company("Archived BV"))
    gone = created(conn, "customer", company("Deleted BV"), ref="d")
    results = write(
        conn,
        "customer",
        WriteRequest("update", "a", {"active": False}, kept),
        WriteRequest("delete", "d", {}, gone),
        WriteRequest("delete", "d", {}, gone),
    )
    assert [r.ok for r in results] == [True, True, True], [r.error for r in results]
    assert set(conn.list_ids("customer")) == {kept}
    assert odoo.row("res.partner", int(gone)) is None


def test_a_customer_with_orders_cannot_be_deleted_and_says_archive(conn: OdooConnector) -> None:
    customer = created(conn, "customer", company("Busy SA"))
    item = created(conn, "product", product("BUSY"))
    created(conn, "quote", order(customer, item))
    [result] = write(conn, "customer", WriteRequest("delete", "d", {}, customer))
    assert not result.ok and not result.transient
    assert "archive it instead" in (result.error or "")


# -- products and costs --------------------------------------------------------------------------


def test_a_product_writes_its_template_through_the_variant(conn: OdooConnector, odoo: OdooEmulator) -> None:
    record_id = created(conn, "product", product("SKU-1", "Pompe", "12.50"))
    write(
        conn, "product", WriteRequest("update", "u", {"list_price": Decimal("13.75"), "uom": "kg"}, record_id)
    )
    template = odoo.row("product.product", int(record_id))["product_tmpl_id"]
    assert odoo.row("product.template", template)["list_price"] == 13.75
    [record] = conn.read_by_ids("product", [record_id])
    assert (record.data["default_code"], record.data["list_price"], record.data["uom"]) == (
        "SKU-1",
        Decimal("13.75"),
        "kg",
    )


def test_a_cost_is_the_products_standard_price_and_cannot_be_deleted(conn: OdooConnector) -> None:
    item = created(conn, "product", product("COST"))
    cost = created(conn, "product_cost", {"product": item, "standard_price": Decimal("4.25")})
    assert cost == item
    [record] = conn.read_by_ids("product_cost", [item])
    assert record.data["standard_price"] == Decimal("4.25")
    [refused] = write(conn, "product_cost", WriteRequest("delete", "d", {}, item))
    assert not refused.ok and "deletes: archive" in (refused.error or "")


# -- quotes and orders ---------------------------------------------------------------------------


def test_an_order_is_created_with_lines_and_confirmed_once(conn: OdooConnector, odoo: OdooEmulator) -> None:
    customer = created(conn, "customer", company("Buyer SA"))
    item = created(conn, "product", product("ORD"))
    first = created(conn, "sales_order", order(customer, item, "Q-0001"))
    again = created(conn, "sales_order", order(customer, item, "Q-0001"), ref="retry")
    assert first == again, "a retried create finds the order by client_order_ref"
    assert [m for _, _, m in odoo.calls].count("action_confirm") == 1
    [record] = conn.read_by_ids("sales_order", [first])
    assert record.data["state"] == "sale"
    assert record.data["lines"] == [
        {
            "product_id": item,
            "name": "[ORD] Product ORD",
            "product_uom_qty": Decimal(2),
            "price_unit": Decimal("9.5"),
        }
    ]
    assert record.data["amount_total"] == Decimal(19)


def test_an_order_left_unconfirmed_by_a_crash_is_confirmed_by_the_retry(
    conn: OdooConnector, odoo: OdooEmulator
) -> None:
    customer = created(conn, "customer", company("Crash SA"))
    item = created(conn, "product", product("CRASH"))
    draft = created(conn, "quote", order(customer, item, "Q-CRASH"))  # the first call of a create
    confirmed = created(conn, "sales_order", order(customer, item, "Q-CRASH"))
    assert confirmed == draft and odoo.row("sale.order", int(draft))["state"] == "sale"
    assert len(odoo.rows("sale.order")) == 1


def test_quote_states_move_by_actions_and_a_confirmed_one_cannot_go_back(
    conn: OdooConnector, odoo: OdooEmulator
) -> None:
    customer = created(conn, "customer", company("States SA"))
    item = created(conn, "product", product("ST"))
    quote = created(conn, "quote", order(customer, item, "Q-ST"))
    for state in ("sent", "cancel", "draft", "sale"):
        [result] = write(conn, "quote", WriteRequest("update", "u", {"state": state}, quote))
        assert result.ok and odoo.row("sale.order", int(quote))["state"] == state, result.error
    [back] = write(conn, "quote", WriteRequest("update", "u", {"state": "draft"}, quote))
    assert not back.ok and back.field == "state"


def test_order_lines_change_in_place_and_a_confirmed_line_cannot_be_removed(
    conn: OdooConnector, odoo: OdooEmulator
) -> None:
    customer = created(conn, "customer", company("Lines SA"))
    item = created(conn, "product", product("LN"))
    quote = created(conn, "quote", order(customer, item))
    line = {"product_id": item, "product_uom_qty": Decimal(5), "price_unit": Decimal("9.5")}
    [result] = write(conn, "quote", WriteRequest("update", "u", {"lines": [line, line]}, quote))
    assert result.ok, result.error
    quantities = sorted(r["product_uom_qty"] for r in odoo.rows("sale.order.line").values())
    assert quantities == [5.0, 5.0]
    write(conn, "quote", WriteRequest("update", "u", {"state": "sale"}, quote))
    [refused] = write(conn, "quote", WriteRequest("update", "u", {"lines": [line]}, quote))
    assert not refused.ok and "you can't remove one of its lines" in (refused.error or "")


def test_an_order_in_another_currency_is_refused(conn: OdooConnector) -> None:
    customer = created(conn, "customer", company("Dollar Inc"))
    item = created(conn, "product", product("USD"))
    [result] = write(conn, "sales_order", WriteRequest("create", "r", order(customer, item, currency="USD")))
    assert not result.ok and result.field == "currency"


def test_a_many2one_given_as_id_and_name_is_written_as_the_id(
    conn: OdooConnector, odoo: OdooEmulator
) -> None:
    customer = created(conn, "customer", company("Pair SA"))
    item = created(conn, "product", product("PAIR"))
    quote = created(conn, "quote", {**order(customer, item), "partner_id": [int(customer), "Pair SA"]})
    assert odoo.row("sale.order", int(quote))["partner_id"] == int(customer)


# -- complaints ----------------------------------------------------------------------------------


def test_a_complaint_is_a_task_of_the_complaints_project(conn: OdooConnector, odoo: OdooEmulator) -> None:
    customer = created(conn, "customer", company("Complainer SA"))
    data = {
        "name": "Leak",
        "description": "Line 1 <b>not bold</b>\nLine 2",
        "partner_id": customer,
        "stage": "In Progress",
        "priority": "1",
    }
    task = created(conn, "complaint", data)
    row = odoo.row("project.task", int(task))
    assert row["description"] == "<p>Line 1 &lt;b&gt;not bold&lt;/b&gt;<br>Line 2</p>"
    [record] = conn.read_by_ids("complaint", [task])
    assert {k: record.data[k] for k in data} == data
    other = odoo.call("project.task", "create", [{"name": "Not a complaint"}])
    assert set(conn.list_ids("complaint")) == {task} and str(other) != task


def test_an_unknown_stage_is_refused_naming_the_field(conn: OdooConnector) -> None:
    customer = created(conn, "customer", company("Stage SA"))
    [result] = write(
        conn, "complaint", WriteRequest("create", "c", {"name": "X", "partner_id": customer, "stage": "Nope"})
    )
    assert not result.ok and result.field == "stage"


# -- faults per record and odd values -------------------------------------------------------------


def test_a_bad_record_in_a_batch_fails_alone_with_odoos_message(conn: OdooConnector) -> None:
    requests = [
        WriteRequest("create", "good-1", company("Good One")),
        WriteRequest("create", "bad", company("Bad VAT", vat="BE0000000001")),
        WriteRequest("create", "good-2", company("Good Two")),
    ]
    results = write(conn, "customer", *requests)
    assert [r.ok for r in results] == [True, False, True]
    bad = results[1]
    assert bad.field == "vat" and not bad.transient
    assert "The VAT number [BE0000000001] for partner [Bad VAT] does not seem to be valid" in (
        bad.error or ""
    )
    assert "Traceback" not in (bad.error or "")


def test_an_access_refusal_is_per_record_and_names_the_group(conn: OdooConnector, odoo: OdooEmulator) -> None:
    odoo.deny("project.task", "create", "Project/User")
    customer = created(conn, "customer", company("Access SA"))
    [result] = write(conn, "complaint", WriteRequest("create", "c", {"name": "X", "partner_id": customer}))
    assert not result.ok and "Project/User" in (result.error or "") and not result.transient


def test_an_update_of_a_record_deleted_in_odoo_fails_alone(conn: OdooConnector, odoo: OdooEmulator) -> None:
    record_id = created(conn, "product", product("GONE"))
    odoo.call("product.product", "unlink", [int(record_id)])
    [result] = write(conn, "product", WriteRequest("update", "u", {"name": "x"}, record_id))
    assert not result.ok and "deleted" in (result.error or "")


@pytest.mark.parametrize("name", [ODD_TEXT, "50%_off", 'O\'Brien "Ltd"', "株式会社 山田製作所", "a\\b"])
def test_odd_values_round_trip_and_the_order_reference_matches_literally(
    conn: OdooConnector, odoo: OdooEmulator, name: str
) -> None:
    record_id = created(conn, "customer", company(name))
    [record] = conn.read_by_ids("customer", [record_id])
    assert record.data["name"] == name
    item = created(conn, "product", product("ODD"))
    first = created(conn, "sales_order", order(record_id, item, name))
    # a reference that only LIKE-matches (wildcards) is not the same order
    lookalike = name.replace("%", "x").replace("_", "y") + "z"
    other = created(conn, "sales_order", order(record_id, item, lookalike))
    assert first != other
    assert created(conn, "sales_order", order(record_id, item, name)) == first


def test_an_outage_is_transient_and_bad_credentials_are_permanent(odoo: OdooEmulator, transport: str) -> None:
    connector = connect(odoo, transport)
    odoo.fail_next(503, times=5)
    with pytest.raises(Exception) as caught:
        read_all(connector, "customer")
    assert type(caught.value).__name__ == "TransientError"
    odoo.faults.clear()
    record = connector.write_batch("customer", [WriteRequest("create", "r", company("Ok"))])
    assert record[0].ok
    settings = connection(odoo, transport)
    wrong = OdooConnector(type(settings)(**{**settings.__dict__, "password": "wrong"}))
    with pytest.raises(PermanentError, match=r"rotate the API key|check the login"):
        read_all(wrong, "customer")

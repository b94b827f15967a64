"""Create, read and update every entity against the real server; bad records fail alone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from connectors.base import WriteRequest
from connectors.tryton import TrytonConnector

from .helpers import party


def write_one(
    erp: TrytonConnector, entity: str, op: str, data: dict[str, Any], record_id: str | None = None
) -> str:
    (result,) = erp.write_batch(entity, [WriteRequest(op, "ref-1", data, record_id)])
    assert result.ok, result.error
    assert result.id is not None
    return result.id


def read_one(erp: TrytonConnector, entity: str, record_id: str) -> dict[str, Any]:
    (record,) = erp.read_by_ids(entity, [record_id])
    return record.data


def make_product(erp: TrytonConnector, code: str = "W-1", price: str = "20.00") -> str:
    return write_one(
        erp,
        "product",
        "create",
        {"code": code, "name": f"Widget {code}", "default_uom": "u", "list_price": Decimal(price),
         "cost_price": Decimal("7.50"), "type": "service"},
    )  # fmt: skip


def test_customer_create_read_update(erp: TrytonConnector) -> None:
    data = party("Müller GmbH", tax_identifier="DE811907980", credit_limit_amount=Decimal("5000.00"))
    data["customer_payment_term"] = "30 days net"
    record_id = write_one(erp, "customer", "create", data)
    got = read_one(erp, "customer", record_id)
    assert got["name"] == "Müller GmbH"
    assert got["tax_identifier"] == "DE811907980"
    assert got["credit_limit_amount"] == Decimal("5000.00")
    assert got["currency"] == "EUR"
    assert got["customer_payment_term"] == "30 days net"
    assert got["addresses"] == [
        {"street": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin", "country": "DE",
         "subdivision": None,
         "invoice": True, "delivery": False}
    ]  # fmt: skip
    assert got["contacts"] == [
        {"name": "Ann Lee", "email": "ann@example.com", "phone": "+49 30 1234", "comment": "CEO"}
    ]

    write_one(
        erp,
        "customer",
        "update",
        {"credit_limit_amount": Decimal("7500.50"), "tax_identifier": "DE999",
         "addresses": [{"street": "Neue Str. 2\nHof", "city": "Köln", "country": "DE", "invoice": True},
                       {"street": "Lager 1", "city": "Bonn", "country": "DE", "delivery": True}],
         "contacts": [{"name": "Bo Chen", "email": "bo@example.com"}]},
        record_id,
    )  # fmt: skip
    got = read_one(erp, "customer", record_id)
    assert got["name"] == "Müller GmbH"
    assert got["credit_limit_amount"] == Decimal("7500.50")
    assert got["tax_identifier"] == "DE999"
    assert [(a["street"], a["city"], a["delivery"]) for a in got["addresses"]] == [
        ("Neue Str. 2\nHof", "Köln", False),
        ("Lager 1", "Bonn", True),
    ]
    assert got["contacts"] == [{"name": "Bo Chen", "email": "bo@example.com", "phone": None, "comment": None}]


def test_product_create_read_update(erp: TrytonConnector) -> None:
    record_id = make_product(erp)
    got = read_one(erp, "product", record_id)
    assert (got["code"], got["name"], got["default_uom"]) == ("W-1", "Widget W-1", "u")
    assert (got["list_price"], got["cost_price"], got["currency"]) == (
        Decimal("20.00"),
        Decimal("7.50"),
        "EUR",
    )
    before = erp.read_by_ids("product", [record_id])[0].modified
    write_one(erp, "product", "update", {"list_price": Decimal("24.90"), "default_uom": "kg"}, record_id)
    (after,) = erp.read_by_ids("product", [record_id])
    assert after.data["list_price"] == Decimal("24.90") and after.data["default_uom"] == "kg"
    assert before is not None and after.modified is not None and after.modified > before, (
        "a template change moves the variant's change marker"
    )


def test_product_cost_create_read_update(erp: TrytonConnector) -> None:
    product = make_product(erp)
    cost_id = write_one(erp, "product_cost", "create", {"product": product, "cost_price": Decimal("8.25")})
    assert cost_id == product
    got = read_one(erp, "product_cost", cost_id)
    assert got["cost_price"] == Decimal("8.25") and got["currency"] == "EUR"
    assert got["date"] is not None
    assert [h["cost_price"] for h in got["history"]] == [Decimal("8.25")]
    write_one(erp, "product_cost", "update", {"cost_price": Decimal("9.0001")}, cost_id)
    assert read_one(erp, "product_cost", cost_id)["cost_price"] == Decimal("9.0001")


def sale_data(customer: str, product: str, **extra: Any) -> dict[str, Any]:
    return {
        "party": customer,
        "currency": "EUR",
        "reference": "CRM-Q-1",
        "sale_date": date(2026, 3, 1),
        "lines": [{"product": product, "description": "Widget", "quantity": Decimal("3"),
                   "unit_price": Decimal("19.99")}],
        **extra,
    }  # fmt: skip


def test_quote_create_read_update(erp: TrytonConnector) -> None:
    customer = write_one(erp, "customer", "create", party("Quote Co"))
    product = make_product(erp)
    quote = write_one(erp, "quote", "create", sale_data(customer, product))
    got = read_one(erp, "quote", quote)
    assert got["state"] == "draft" and got["party"] == customer and got["reference"] == "CRM-Q-1"
    assert got["lines"] == [
        {"product": product, "description": "Widget", "quantity": Decimal("3"), "unit": "u",
         "unit_price": Decimal("19.99"), "actual_quantity": None}
    ]  # fmt: skip
    assert got["total_amount"] == Decimal("59.97")
    write_one(erp, "quote", "update", {"state": "quotation", "lines": [
        {"product": product, "quantity": Decimal("2"), "unit_price": Decimal("12.5")}]}, quote)  # fmt: skip
    got = read_one(erp, "quote", quote)
    assert got["state"] == "quotation" and got["total_amount"] == Decimal("25.00")
    assert erp.read_by_ids("sales_order", [quote]) == [], "a quotation is not an order yet"


def test_quote_becomes_a_confirmed_sale_despite_a_credit_limit_warning(erp: TrytonConnector) -> None:
    customer = write_one(erp, "customer", "create", party("Tight Credit", credit_limit_amount=Decimal("10")))
    product = make_product(erp)
    quote = write_one(erp, "quote", "create", sale_data(customer, product, state="quotation"))
    write_one(erp, "quote", "update", {"state": "confirmed"}, quote)
    order = read_one(erp, "sales_order", quote)
    assert order["state"] in ("confirmed", "processing")
    assert order["number"]


def test_a_credit_limit_warning_fails_the_record_unless_accepted(tryton: Any) -> None:
    from .helpers import connect

    strict = connect(tryton)  # accept_warnings off
    customer = write_one(strict, "customer", "create", party("Strict", credit_limit_amount=Decimal("1")))
    product = make_product(strict)
    (result,) = strict.write_batch(
        "sales_order", [WriteRequest("create", "o1", sale_data(customer, product))]
    )
    assert not result.ok
    assert "UserWarning" in (result.error or "") and "credit limit" in (result.error or "")
    assert "accept_warnings" in (result.error or "")
    assert list(strict.list_ids("quote")) == [], "the half-made sale is removed, so a retry makes one sale"
    strict.close()


def test_a_bad_record_is_reported_alone_and_the_rest_of_the_batch_is_written(erp: TrytonConnector) -> None:
    good = write_one(erp, "customer", "create", party("Has Address"))
    homeless = write_one(erp, "customer", "create", {"name": "No Address"})
    product = make_product(erp)
    results = erp.write_batch(
        "sales_order",
        [
            WriteRequest("create", "a", sale_data(good, product)),
            WriteRequest("create", "b", sale_data(homeless, product)),
            WriteRequest("create", "c", sale_data(good, product, reference="CRM-Q-3")),
        ],
    )
    assert [r.ok for r in results] == [True, False, True]
    bad = results[1]
    assert bad.ref == "b" and bad.field == "invoice_address"
    assert "has no address" in (bad.error or "") and "add an invoice address" in (bad.error or "")
    states = {read_one(erp, "sales_order", r.id)["state"] for r in results if r.id and r.ok}
    assert states <= {"confirmed", "processing"}


def test_a_batch_create_with_one_invalid_party_writes_the_others(erp: TrytonConnector) -> None:
    results = erp.write_batch(
        "customer",
        [
            WriteRequest("create", "a", party("Fine A")),
            WriteRequest("create", "b", party("Bad Country", addresses=[{"city": "X", "country": "ZZ"}])),
            WriteRequest("create", "c", {"name": ""}),
            WriteRequest("create", "d", party("Fine D")),
        ],
    )
    assert [r.ok for r in results] == [True, False, False, True]
    assert results[1].field == "addresses[0].country" and "'ZZ'" in (results[1].error or "")
    assert results[2].field == "name"
    names = {read_one(erp, "customer", r.id)["name"] for r in results if r.ok and r.id}
    assert names == {"Fine A", "Fine D"}


def test_a_tryton_user_error_is_a_per_record_result(erp: TrytonConnector) -> None:
    customer = write_one(erp, "customer", "create", party("Errs"))
    (result,) = erp.write_batch(
        "quote", [WriteRequest("create", "q", {"party": customer, "currency": "EUR", "state": "quotation"})]
    )  # quoting a sale without lines is refused by Tryton itself
    assert not result.ok and "Tryton refused the create (UserError)" in (result.error or "")


def test_complaint_create_read_update(erp: TrytonConnector) -> None:
    customer = write_one(erp, "customer", "create", party("Complainer"))
    product = make_product(erp)
    order = write_one(erp, "sales_order", "create", sale_data(customer, product))
    complaint = write_one(
        erp,
        "complaint",
        "create",
        {"customer": customer, "reference": "Broken widget", "description": "Arrived broken",
         "origin": {"model": "sale.sale", "id": order}, "date": date(2026, 3, 2)},
    )  # fmt: skip
    got = read_one(erp, "complaint", complaint)
    assert got["type"] == "Sale" and got["state"] == "draft"
    assert got["origin"] == {"model": "sale.sale", "id": order}
    assert (got["reference"], got["customer"], got["date"]) == ("Broken widget", customer, date(2026, 3, 2))
    write_one(
        erp, "complaint", "update", {"state": "waiting", "description": "Arrived broken, 2 of 3"}, complaint
    )
    got = read_one(erp, "complaint", complaint)
    assert got["state"] == "waiting" and got["description"] == "Arrived broken, 2 of 3"


def test_lines_of_a_confirmed_sale_are_refused_as_exactly_that(
    erp: TrytonConnector,
) -> None:
    customer = write_one(erp, "customer", "create", party("Locked Lines"))
    product = make_product(erp)
    order = write_one(erp, "sales_order", "create", sale_data(customer, product))
    lines = [{"product": product, "quantity": Decimal("5"), "unit_price": Decimal("19.99")}]

    (refused,) = erp.write_batch("sales_order", [WriteRequest("update", "o1", {"lines": lines}, order)])

    assert not refused.ok and refused.field == "lines"
    assert "locks lines of a confirmed sale" in (refused.error or "")
    assert "cannot go from" not in (refused.error or ""), "not reported as a state change"
    got = read_one(erp, "sales_order", order)
    assert got["state"] in ("confirmed", "processing") and got["lines"][0]["quantity"] == Decimal("3")


def test_the_reference_of_a_confirmed_sale_changes_as_tryton_allows(erp: TrytonConnector) -> None:
    customer = write_one(erp, "customer", "create", party("Late Reference"))
    product = make_product(erp)
    order = write_one(erp, "sales_order", "create", sale_data(customer, product))
    write_one(erp, "sales_order", "update", {"reference": "PO 4711 «neu»"}, order)
    got = read_one(erp, "sales_order", order)
    assert got["reference"] == "PO 4711 «neu»" and got["state"] in ("confirmed", "processing")


def test_a_cost_method_is_written_through_the_template(erp: TrytonConnector) -> None:
    product = make_product(erp)
    before = erp.read_by_ids("product_cost", [product])[0]
    write_one(erp, "product_cost", "update", {"cost_price_method": "average"}, product)
    (after,) = erp.read_by_ids("product_cost", [product])
    assert after.data["cost_price_method"] == "average"
    assert before.modified is not None and after.modified is not None and after.modified > before.modified


def test_a_refusal_by_tryton_names_the_native_field(erp: TrytonConnector) -> None:
    customer = write_one(erp, "customer", "create", party("Half Units"))
    product = make_product(erp)
    data = sale_data(customer, product)
    data["lines"][0]["quantity"] = Decimal("1.5")  # the unit "u" takes whole numbers
    (result,) = erp.write_batch("quote", [WriteRequest("create", "q-half", data)])
    assert not result.ok and not result.transient
    assert result.field == "lines" and '"Quantity"' in (result.error or "")


def test_costs_and_confirmed_sales_cannot_be_deleted(erp: TrytonConnector) -> None:
    customer = write_one(erp, "customer", "create", party("Keeps Its Order"))
    product = make_product(erp)
    order = write_one(erp, "sales_order", "create", sale_data(customer, product))
    for entity, record_id in (("product_cost", product), ("sales_order", order)):
        (result,) = erp.write_batch(entity, [WriteRequest("delete", "d", {}, record_id)])
        assert not result.ok and "deletes: " in (result.error or "")
        assert erp.read_by_ids(entity, [record_id]), f"the {entity} is still there"

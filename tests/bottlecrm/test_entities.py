"""Every entity against a real BottleCRM: create, read back, update, delete, in Unicode."""

from __future__ import annotations

from typing import Any

import requests

from connectors.base import NativeRecord, WriteRequest, WriteResult
from connectors.bottlecrm import BottleCrmConnector
from synchub_dev.peers.bottlecrm import BottleCrmInstance


def write_ok(conn: BottleCrmConnector, entity: str, *requests_: WriteRequest) -> list[WriteResult]:
    results = conn.write_batch(entity, list(requests_))
    assert all(r.ok for r in results), [r.error for r in results]
    return results


def create(conn: BottleCrmConnector, entity: str, data: dict[str, Any]) -> str:
    result = write_ok(conn, entity, WriteRequest("create", f"ref-{entity}", data))[0]
    assert result.id
    return result.id


def scanned(conn: BottleCrmConnector, entity: str) -> dict[str, NativeRecord]:
    out: dict[str, NativeRecord] = {}
    for page in conn.read_changes(entity, None, page_size=7):
        assert page.cursor is None  # no change tracking: full snapshots only
        for record in page.records:
            assert record.id not in out, f"{record.id} read twice in one scan"
            out[record.id] = record
    return out


def one(conn: BottleCrmConnector, entity: str, record_id: str) -> dict[str, Any]:
    found = conn.read_by_ids(entity, [record_id])
    assert [r.id for r in found] == [record_id]
    return found[0].data


def test_customer_with_contacts_round_trips_in_cjk_and_arabic(
    connector: BottleCrmConnector, unique: str
) -> None:
    data = {
        "name": f"株式会社 山田製作所 {unique}",
        "currency": "JPY",
        "is_active": True,
        "addresses": [
            {
                "address_line": "千代田区1-1",
                "city": "東京",
                "state": None,
                "postcode": "100-0001",
                "country": "JP",
            }
        ],
        "contacts": [
            {
                "first_name": "太郎",
                "last_name": "山田",
                "email": f"taro-{unique}@example.jp",
                "title": "社長",
            },
            {"first_name": "محمد", "last_name": "العلي", "email": f"m-{unique}@example.sa", "title": "مدير"},
        ],
    }
    account_id = create(connector, "customer", data)

    read = one(connector, "customer", account_id)
    assert read["name"] == data["name"]
    assert read["addresses"] == [{**data["addresses"][0]}]
    people = {c["email"]: c for c in read["contacts"]}
    assert people[f"m-{unique}@example.sa"]["first_name"] == "محمد"
    assert people[f"taro-{unique}@example.jp"]["title"] == "社長"
    # The full scan nests the same contacts as the single read.
    assert scanned(connector, "customer")[account_id].data == read


def test_customer_update_changes_fields_and_creates_updates_and_deletes_contacts(
    connector: BottleCrmConnector, unique: str
) -> None:
    keep, drop = f"keep-{unique}@example.com", f"drop-{unique}@example.com"
    account_id = create(
        connector,
        "customer",
        {
            "name": f"Müller GmbH {unique}",
            "contacts": [
                {"first_name": "Jan", "last_name": "Berg", "email": keep, "title": "Buyer"},
                {"first_name": "Eva", "last_name": "Roth", "email": drop, "title": None},
            ],
        },
    )
    new = f"new-{unique}@example.com"
    write_ok(
        connector,
        "customer",
        WriteRequest(
            "update",
            "r",
            {
                "name": f"Müller & Söhne GmbH {unique}",
                "contacts": [
                    {"first_name": "Jan", "last_name": "Berg", "email": keep, "title": "Head of Purchasing"},
                    {"first_name": "Ana", "last_name": "Díaz", "email": new, "title": None},
                ],
            },
            account_id,
        ),
    )
    read = one(connector, "customer", account_id)
    assert read["name"] == f"Müller & Söhne GmbH {unique}"
    by_email = {c["email"]: c for c in read["contacts"]}
    assert set(by_email) == {keep, new}
    assert by_email[keep]["title"] == "Head of Purchasing"
    assert by_email[new]["last_name"] == "Díaz"

    write_ok(connector, "customer", WriteRequest("delete", "r", {}, account_id))
    assert connector.read_by_ids("customer", [account_id]) == []
    # Deleting again (a retried run) is still a success.
    write_ok(connector, "customer", WriteRequest("delete", "r", {}, account_id))


def test_product_crud_in_unicode(connector: BottleCrmConnector, unique: str) -> None:
    product_id = create(
        connector,
        "product",
        {
            "sku": f"SKU-{unique}",
            "name": "مضخة مياه 水泵",
            "price": "12.50",
            "currency": "EUR",
            "is_active": True,
        },
    )
    read = one(connector, "product", product_id)
    assert (read["name"], read["price"], read["currency"]) == ("مضخة مياه 水泵", "12.50", "EUR")
    write_ok(connector, "product", WriteRequest("update", "r", {"price": "13.75"}, product_id))
    assert one(connector, "product", product_id)["price"] == "13.75"
    assert product_id in scanned(connector, "product")
    write_ok(connector, "product", WriteRequest("delete", "r", {}, product_id))
    assert connector.read_by_ids("product", [product_id]) == []


def test_complaint_crud_in_unicode(connector: BottleCrmConnector, unique: str) -> None:
    account_id = create(connector, "customer", {"name": f"Acme {unique}"})
    case_id = create(
        connector,
        "complaint",
        {"name": f"ポンプが壊れた {unique}", "status": "New", "priority": "High", "account": account_id},
    )
    read = one(connector, "complaint", case_id)
    assert (read["name"], read["status"], read["priority"], read["account"]) == (
        f"ポンプが壊れた {unique}",
        "New",
        "High",
        account_id,
    )
    assert read["created_at"]
    write_ok(
        connector,
        "complaint",
        WriteRequest("update", "r", {"status": "Pending", "description": "وصف"}, case_id),
    )
    read = one(connector, "complaint", case_id)
    assert (read["status"], read["description"]) == ("Pending", "وصف")
    assert case_id in scanned(connector, "complaint")
    write_ok(connector, "complaint", WriteRequest("delete", "r", {}, case_id))
    assert connector.read_by_ids("complaint", [case_id]) == []


def make_quote(connector: BottleCrmConnector, unique: str) -> tuple[str, str, str]:
    """An account with a contact, a product, and a draft estimate of two lines: their ids."""
    account_id = create(
        connector,
        "customer",
        {
            "name": f"Société Générale d'Essai {unique}",
            "contacts": [{"first_name": "Zoé", "last_name": "Ça", "email": f"zoe-{unique}@example.fr"}],
        },
    )
    product_id = create(connector, "product", {"sku": f"P-{unique}", "name": "Ventil", "price": "10.00"})
    quote_id = create(
        connector,
        "quote",
        {
            "account": account_id,
            "currency": "EUR",
            "expiry_date": "2099-12-31",
            "line_items": [
                {"product": product_id, "name": "バルブ", "quantity": "2", "unit_price": "10.00"},
                {
                    "product": None,
                    "name": "Montage",
                    "quantity": "1",
                    "unit_price": "5.50",
                    "discount_value": "10",
                },
            ],
        },
    )
    return account_id, product_id, quote_id


def test_quote_crud_with_lines(connector: BottleCrmConnector, unique: str) -> None:
    account_id, product_id, quote_id = make_quote(connector, unique)
    read = one(connector, "quote", quote_id)
    assert (read["account"], read["status"], read["currency"], read["expiry_date"]) == (
        account_id,
        "Draft",
        "EUR",
        "2099-12-31",
    )
    assert [(line["product"], line["name"]) for line in read["line_items"]] == [
        (product_id, "バルブ"),
        (None, "Montage"),
    ]
    assert read["total_amount"] == "24.95"  # 2 x 10.00 + 5.50 less 10 %
    assert read["estimate_number"]

    write_ok(
        connector,
        "quote",
        WriteRequest(
            "update",
            "r",
            {
                "status": "Sent",
                "line_items": [
                    {"product": product_id, "name": "バルブ", "quantity": "3", "unit_price": "10.00"}
                ],
            },
            quote_id,
        ),
    )
    read = one(connector, "quote", quote_id)
    assert (read["status"], read["total_amount"], len(read["line_items"])) == ("Sent", "30.00", 1)
    assert quote_id in scanned(connector, "quote")
    write_ok(connector, "quote", WriteRequest("delete", "r", {}, quote_id))
    assert connector.read_by_ids("quote", [quote_id]) == []


def accept(crm: BottleCrmInstance, quote_id: str) -> None:
    """What the customer does on the estimate's public page."""
    headers = {"Authorization": f"Bearer {crm.token}"}
    body = requests.get(f"{crm.url}/api/invoices/estimates/{quote_id}/", headers=headers, timeout=30).json()
    token = body["estimate"]["public_token"]
    reply = requests.post(
        f"{crm.url}/api/public/estimate/{token}/accept/",
        json={"name": "Zoé Ça", "email": "zoe@example.fr"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text


def test_sales_orders_are_the_accepted_quotes_and_take_the_erp_status_back(
    crm: BottleCrmInstance, connector: BottleCrmConnector, unique: str
) -> None:
    _, _, sent_id = make_quote(connector, unique)
    _, _, accepted_id = make_quote(connector, unique + "b")
    write_ok(
        connector,
        "quote",
        WriteRequest("update", "r", {"status": "Sent"}, sent_id),
        WriteRequest("update", "r", {"status": "Sent"}, accepted_id),
    )
    accept(crm, accepted_id)

    orders = scanned(connector, "sales_order")
    assert accepted_id in orders and sent_id not in orders
    assert connector.read_by_ids("sales_order", [sent_id, accepted_id])[0].id == accepted_id
    assert orders[accepted_id].data["status"] == "Accepted"

    erp = {"erp_order_number": "SO-0042", "erp_order_status": "processing", "erp_delivery_status": "partial"}
    write_ok(connector, "sales_order", WriteRequest("update", "r", {"erp": erp}, accepted_id))
    assert one(connector, "sales_order", accepted_id)["erp"] == {**erp, "erp_invoice_status": None}

    # What BottleCRM cannot hold is refused per record, with the reason.
    refused = connector.write_batch("sales_order", [WriteRequest("create", "new-order", {"currency": "EUR"})])
    assert not refused[0].ok and "accepted estimate" in (refused[0].error or "")

"""Records through V8 on the real SuiteCRM: client-chosen ids, PATCH, deletes, errors, relationships."""

from __future__ import annotations

import uuid

import pytest

from connectors.base import PermanentError, RecordError
from connectors.suitecrm import ApiRefusal, Filter, RecordExists, RecordNotFound, SuiteCrmClient
from synchub_dev.peers.suitecrm import SuiteCrmInstance


def _count(suitecrm: SuiteCrmInstance, table: str, record_id: str) -> list[list[str]]:
    return suitecrm.sql(f"SELECT deleted FROM {table} WHERE id='{record_id}'")


def test_create_keeps_a_client_chosen_id_so_a_repeated_create_cannot_duplicate(
    suitecrm: SuiteCrmInstance, client: SuiteCrmClient
) -> None:
    chosen = str(uuid.uuid4())
    made = client.create("Accounts", {"name": "Chosen id"}, record_id=chosen)
    assert made.id == chosen and made.attributes["name"] == "Chosen id"
    with pytest.raises(RecordExists) as caught:
        client.create("Accounts", {"name": "Chosen id again"}, record_id=chosen)
    assert caught.value.record_id == chosen and caught.value.status == 400
    assert "update that record" in str(caught.value)
    assert _count(suitecrm, "accounts", chosen) == [["0"]]


def test_update_answers_201_with_the_record_and_changes_only_what_it_sends(client: SuiteCrmClient) -> None:
    made = client.create("Accounts", {"name": "Old name", "billing_address_city": "Lyon"})
    updated = client.update("Accounts", made.id, {"name": "New name"})
    assert updated.id == made.id and updated.attributes["name"] == "New name"
    read = client.get("Accounts", made.id, fields=["name", "billing_address_city"])
    assert read.attributes == {"name": "New name", "billing_address_city": "Lyon"}


def test_get_with_fields_returns_only_those_and_id_scans_return_none(client: SuiteCrmClient) -> None:
    made = client.create("Cases", {"name": "Fields", "priority": "P2"})
    assert client.get("Cases", made.id, fields=["priority"]).attributes == {"priority": "P2"}
    assert client.get("Cases", made.id, fields=["id"]).attributes == {}
    assert client.get("Cases", made.id, fields=["id"]).module == "Cases"


def test_a_deleted_record_is_not_found_by_get_update_or_delete_and_keeps_its_id(
    suitecrm: SuiteCrmInstance, client: SuiteCrmClient
) -> None:
    made = client.create("AOS_Products", {"name": "Gone", "price": "1"})
    client.delete("AOS_Products", made.id)
    assert _count(suitecrm, "aos_products", made.id) == [["1"]]  # soft delete
    for attempt in (
        lambda: client.get("AOS_Products", made.id),
        lambda: client.update("AOS_Products", made.id, {"name": "x"}),
        lambda: client.delete("AOS_Products", made.id),
    ):
        with pytest.raises(RecordNotFound) as caught:
            attempt()
        assert caught.value.status == 400 and caught.value.record_id == made.id
        assert "deleted in SuiteCRM" in str(caught.value)
    with pytest.raises(RecordExists):
        client.create("AOS_Products", {"name": "Back?", "price": "1"}, record_id=made.id)


def test_never_existing_id_is_not_found(client: SuiteCrmClient) -> None:
    with pytest.raises(RecordNotFound):
        client.get("Accounts", str(uuid.uuid4()))


def test_unknown_attribute_names_the_field_and_the_fix(client: SuiteCrmClient) -> None:
    made = client.create("Accounts", {"name": "x"})
    with pytest.raises(ApiRefusal) as caught:
        client.update("Accounts", made.id, {"credit_limit_c": "5"})
    assert caught.value.field == "credit_limit_c"
    assert "SyncHub fields package" in str(caught.value)
    assert "PATCH module" in str(caught.value)


def test_unknown_module_and_bad_parameters_are_refused_with_the_fix(client: SuiteCrmClient) -> None:
    with pytest.raises(ApiRefusal, match="no module Orders is enabled"):
        client.page("Orders")
    with pytest.raises(ApiRefusal, match="no module Orders is enabled"):
        client.get("Orders", str(uuid.uuid4()))
    with pytest.raises(ApiRefusal) as caught:  # the client would not send this: prove the server's answer
        client.call("GET", "module/Accounts", params=[("sort", "name,id"), ("page[number]", "1")])
    assert caught.value.field == "sort" and "one field" in str(caught.value)
    with pytest.raises(ValueError, match="one field"):
        client.page("Accounts", sort="name,id")
    with pytest.raises(ApiRefusal) as caught:
        client.page("Accounts", filters=[Filter("no_such_field", "eq", "x")])
    assert caught.value.field == "no_such_field"


def test_database_failure_with_text_after_the_json_is_a_refusal(client: SuiteCrmClient) -> None:
    # account_id is not a column of contacts: SuiteCRM answers 400 JSON followed by plain text.
    reply = client.session.get(
        f"{client.settings.api_url}/module/Contacts",
        params={"filter[account_id][eq]": str(uuid.uuid4()), "page[number]": "1"},
        headers={"Authorization": f"Bearer {client.tokens.access_token()}"},
    )
    assert reply.status_code == 400 and reply.text.rstrip().endswith("details.")
    with pytest.raises(ApiRefusal, match="Database failure"):
        client.page("Contacts", filters=[Filter("account_id", "eq", str(uuid.uuid4()))])


def test_ids_that_are_not_guids_never_leave_the_client(client: SuiteCrmClient) -> None:
    with pytest.raises(ValueError, match="GUID"):
        client.create("Accounts", {"name": "x"}, record_id="not-a-guid")
    with pytest.raises(ValueError):
        client.get("Accounts", "../../meta/modules")


def test_a_missing_route_is_permanent(client: SuiteCrmClient) -> None:
    with pytest.raises(PermanentError, match="no API route"):
        client.call("GET", "no/such/route")


def test_contacts_relate_to_accounts_both_ways(client: SuiteCrmClient) -> None:
    account = client.create("Accounts", {"name": "Parent"})
    ann = client.create("Contacts", {"first_name": "Ann", "last_name": "Lee", "email1": "ann@example.com"})
    bob = client.create("Contacts", {"last_name": "Bo", "account_id": account.id})  # relate on create
    client.relate("Accounts", account.id, "Contacts", ann.id)
    related = client.related("Accounts", account.id, "contacts")
    assert {r.id for r in related.records} == {ann.id, bob.id}
    assert client.get("Contacts", ann.id, fields=["email1", "account_id"]).attributes == {
        "email1": "ann@example.com",
        "account_id": account.id,
    }
    client.unrelate("Accounts", account.id, "contacts", ann.id)
    assert {r.id for r in client.related("Accounts", account.id, "contacts").records} == {bob.id}
    with pytest.raises(ApiRefusal, match="not related"):
        client.unrelate("Accounts", account.id, "contacts", ann.id)


def test_quote_lines_belong_to_the_quote_through_parent_and_group(client: SuiteCrmClient) -> None:
    account = client.create("Accounts", {"name": "Buyer"})
    product = client.create(
        "AOS_Products", {"name": "Widget", "part_number": "W-1", "price": "10", "cost": "4"}
    )
    quote = client.create(
        "AOS_Quotes",
        {"name": "Q-1", "billing_account_id": account.id, "stage": "Draft", "currency_id": "-99"},
    )
    assert quote.attributes["number"] == "1"  # numbered by SuiteCRM
    group = client.create(
        "AOS_Line_Item_Groups",
        {
            "name": "Lines",
            "parent_type": "AOS_Quotes",
            "parent_id": quote.id,
            "number": "1",
            "currency_id": "-99",
        },
    )
    line = client.create(
        "AOS_Products_Quotes",
        {
            "name": "Widget",
            "parent_type": "AOS_Quotes",
            "parent_id": quote.id,
            "group_id": group.id,
            "product_id": product.id,
            "product_qty": "2.5",
            "product_unit_price": "10",
            "product_total_price": "25",
            "number": "1",
            "currency_id": "-99",
        },
    )
    via_link = client.related("AOS_Quotes", quote.id, "aos_products_quotes")
    assert [r.id for r in via_link.records] == [line.id]
    by_filter = client.page(
        "AOS_Products_Quotes",
        fields=["product_id", "product_qty", "group_id", "parent_type"],
        filters=[Filter("parent_id", "eq", quote.id), Filter("parent_type", "eq", "AOS_Quotes")],
    )
    assert [r.attributes for r in by_filter.records] == [
        {"product_id": product.id, "product_qty": "2.5000", "group_id": group.id, "parent_type": "AOS_Quotes"}
    ]
    accepted = client.update("AOS_Quotes", quote.id, {"stage": "Closed Accepted"})
    assert accepted.attributes["stage"] == "Closed Accepted"


def test_a_case_has_a_number_status_priority_resolution_and_account(client: SuiteCrmClient) -> None:
    account = client.create("Accounts", {"name": "Complainer"})
    case = client.create(
        "Cases",
        {"name": "Broken", "account_id": account.id, "status": "Open_New", "priority": "P1", "state": "Open"},
    )
    assert case.attributes["case_number"].isdigit()
    client.update("Cases", case.id, {"status": "Closed_Closed", "state": "Closed", "resolution": "Replaced"})
    read = client.get("Cases", case.id, fields=["status", "state", "priority", "resolution", "account_id"])
    assert read.attributes == {
        "status": "Closed_Closed",
        "state": "Closed",
        "priority": "P1",
        "resolution": "Replaced",
        "account_id": account.id,
    }


def test_create_and_update_answer_with_what_suitecrm_saved(client: SuiteCrmClient) -> None:
    made = client.create("AOS_Products", {"name": "<B>x</B> a<b", "price": "1234567890.12345"})
    read = client.get("AOS_Products", made.id, fields=["name", "price"]).attributes
    assert (
        {k: made.attributes[k] for k in ("name", "price")}
        == read
        == {
            "name": "<b>x</b> a",
            "price": "1234567890.123500",
        }
    )
    patched = client.update("AOS_Products", made.id, {"price": "0.1234567"})
    assert (
        patched.attributes["price"] == "0.123457" == client.get("AOS_Products", made.id).attributes["price"]
    )


def test_suitecrm_validates_neither_required_fields_nor_dropdown_keys(client: SuiteCrmClient) -> None:
    made = client.create("AOS_Products", {"name": "", "synchub_cost_method_c": "no-such-key"})
    read = client.get("AOS_Products", made.id, fields=["name", "price", "synchub_cost_method_c"]).attributes
    assert read == {
        "name": "",
        "price": "0.000000",
        "synchub_cost_method_c": "no-such-key",
    }  # price: required


def test_deleting_a_quote_deletes_its_lines_and_deleted_records_cannot_be_listed(
    suitecrm: SuiteCrmInstance, client: SuiteCrmClient
) -> None:
    quote = client.create("AOS_Quotes", {"name": "Q"})
    line = client.create(
        "AOS_Products_Quotes",
        {"name": "l", "parent_type": "AOS_Quotes", "parent_id": quote.id, "product_unit_price": "1"},
    )
    client.delete("AOS_Quotes", quote.id)
    assert _count(suitecrm, "aos_products_quotes", line.id) == [["1"]]
    with pytest.raises(RecordNotFound):
        client.get("AOS_Products_Quotes", line.id)
    with pytest.raises(ApiRefusal):
        client.page("AOS_Quotes", filters=[Filter("deleted", "eq", "1")])


def test_a_refused_field_is_a_record_error_naming_the_field(client: SuiteCrmClient) -> None:
    made = client.create("Accounts", {"name": "x"})
    with pytest.raises(RecordError) as caught:
        client.update("Accounts", made.id, {"no_such_c": "5"})
    assert caught.value.field == "no_such_c" and not caught.value.transient

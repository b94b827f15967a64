"""The emulator refuses what a real org refuses (RULES.md), with the org's own error codes.

Every write goes through simple-salesforce, as the connector's do.
"""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce

from tests.emulators.salesforce import OrgShape, SalesforceEmulator

from .conftest import require_contract
from .org_setup import Setup, client, refusal


def world(shape: OrgShape | None = None) -> tuple[Salesforce, Setup, SalesforceEmulator]:
    require_contract()
    emulator = SalesforceEmulator(shape or OrgShape())
    sf = client(emulator)
    return sf, Setup(sf, emulator), emulator


def test_a_quote_without_an_opportunity_is_refused_as_a_missing_required_field() -> None:
    sf, _, _ = world()
    assert refusal(lambda: sf.Quote.create({"Name": "Q"})) == (
        "REQUIRED_FIELD_MISSING",
        ["OpportunityId"],
    )  # Q1


def test_a_quote_with_an_account_is_refused_and_takes_its_opportunitys_account_and_currency() -> None:
    sf, setup, _emulator = world()
    opportunity = setup.create(
        "Opportunity",
        {
            "Name": "D",
            "StageName": "Prospecting",
            "CloseDate": "2026-12-31",
            "AccountId": setup.account,
            "CurrencyIsoCode": "USD",
        },
    )
    code, fields = refusal(
        lambda: sf.Quote.create({"Name": "Q", "OpportunityId": opportunity, "AccountId": setup.account})
    )
    assert (code, fields) == ("INVALID_FIELD_FOR_INSERT_UPDATE", ["AccountId"])  # Q2
    quote = setup.create("Quote", {"Name": "Q", "OpportunityId": opportunity})
    saved = sf.Quote.get(quote)
    assert (saved["AccountId"], saved["CurrencyIsoCode"], saved["Status"]) == (setup.account, "USD", "Draft")
    code, fields = refusal(lambda: sf.Quote.update(quote, {"OpportunityId": setup.opportunity()}))
    assert (code, fields) == ("INVALID_FIELD_FOR_INSERT_UPDATE", ["OpportunityId"])  # create-only


def test_an_order_product_cannot_be_added_to_an_activated_order_nor_the_order_deleted() -> None:
    sf, setup, _ = world()
    order = setup.order()
    code, _ = refusal(lambda: sf.Order.update(order, {"Status": "Activated"}))
    assert code == "FIELD_INTEGRITY_EXCEPTION"  # R3: no products yet
    entry = setup.entry()
    setup.create("OrderItem", {"OrderId": order, "PricebookEntryId": entry, "Quantity": 2, "UnitPrice": 5})
    code, _ = refusal(lambda: sf.Order.update(order, {"Status": "Activated", "Description": "now"}))
    assert code == "FIELD_INTEGRITY_EXCEPTION"  # R3: Status alone
    sf.Order.update(order, {"Status": "Activated"})
    assert sf.Order.get(order)["StatusCode"] == "Activated"
    code, _ = refusal(
        lambda: sf.OrderItem.create(
            {"OrderId": order, "PricebookEntryId": entry, "Quantity": 1, "UnitPrice": 5}
        )
    )
    assert code == "ENTITY_IS_LOCKED"  # R4
    assert refusal(lambda: sf.Order.delete(order))[0] == "ENTITY_IS_LOCKED"
    code, _ = refusal(lambda: sf.Order.update(order, {"AccountId": setup.create("Account", {"Name": "B"})}))
    assert code == "FIELD_INTEGRITY_EXCEPTION"  # R2


def test_an_order_is_created_draft_only() -> None:
    sf, setup, _ = world()
    body = {**setup.base("Order"), "Status": "Activated"}
    assert refusal(lambda: sf.Order.create(body))[0] == "FIELD_INTEGRITY_EXCEPTION"  # R1
    body["Status"] = "Shipped"
    assert refusal(lambda: sf.Order.create(body))[0] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"  # M6


def test_a_custom_price_book_entry_needs_a_standard_one_first_and_prices_are_unique() -> None:
    sf, setup, _ = world()
    product = setup.product()
    book = setup.create("Pricebook2", {"Name": "Wholesale", "IsActive": True})
    body = {"Pricebook2Id": book, "Product2Id": product, "UnitPrice": 8, "CurrencyIsoCode": "EUR"}
    assert refusal(lambda: sf.PricebookEntry.create(body)) == ("STANDARD_PRICE_NOT_DEFINED", [])  # P5
    setup.entry(product)
    setup.create("PricebookEntry", body)
    assert refusal(lambda: sf.PricebookEntry.create(body))[0] == "DUPLICATE_VALUE"  # P6


def test_a_line_needs_an_entry_of_its_parents_price_book_and_currency() -> None:
    sf, setup, _ = world()
    quote = setup.quote()
    product = setup.product()
    eur = setup.entry(product)
    usd = setup.create(
        "PricebookEntry",
        {
            "Pricebook2Id": setup.book,
            "Product2Id": product,
            "UnitPrice": 11,
            "CurrencyIsoCode": "USD",
            "IsActive": True,
        },
    )
    line = {"QuoteId": quote, "Quantity": 1, "UnitPrice": 10}
    assert (
        refusal(lambda: sf.QuoteLineItem.create({**line, "PricebookEntryId": usd}))[0]
        == "FIELD_INTEGRITY_EXCEPTION"
    )
    setup.create("QuoteLineItem", {**line, "PricebookEntryId": eur, "Discount": 10})
    assert sf.Quote.get(quote)["GrandTotal"] == 9.0  # the line's discount, rolled up (Q6)


def test_collections_take_at_most_200_records_and_answer_per_record() -> None:
    sf, _, _ = world()
    records = [{"attributes": {"type": "Account"}, "Name": f"A{i}"} for i in range(201)]
    code, _ = refusal(lambda: sf.restful("composite/sobjects", method="POST", json={"records": records}))
    assert code == "EXCEEDED_ID_LIMIT"  # C1
    answer = sf.restful(
        "composite/sobjects",
        method="POST",
        json={"allOrNone": False, "records": [records[0], {"attributes": {"type": "Account"}}, records[2]]},
    )
    assert [r["success"] for r in answer] == [True, False, True]  # C3
    assert answer[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    rolled = sf.restful(
        "composite/sobjects",
        method="POST",
        json={"allOrNone": True, "records": [records[3], {"attributes": {"type": "Account"}}]},
    )
    assert rolled[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"  # C4
    names = {r["Name"] for r in sf.query_all("SELECT Name FROM Account")["records"]}
    assert "A3" not in names and {"A0", "A2"} <= names


def test_a_read_only_field_is_refused_on_every_write_path() -> None:
    sf, setup, _ = world()
    code, fields = refusal(lambda: sf.Account.update(setup.account, {"CreatedDate": "2026-01-01T00:00:00Z"}))
    assert (code, fields) == ("INVALID_FIELD_FOR_INSERT_UPDATE", ["CreatedDate"])  # M2
    answer = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={"records": [{"attributes": {"type": "Account"}, "id": setup.account, "IsDeleted": True}]},
    )
    assert answer[0]["errors"][0]["statusCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"  # D3


def test_upsert_answers_201_then_200_and_300_for_several_matches() -> None:
    sf, _, emulator = world()
    created = sf.Account.upsert("SyncHub_Id__c/c-1", {"Name": "A"})
    updated = sf.Account.upsert("SyncHub_Id__c/c-1", {"Name": "B"})
    assert (created, updated) == (201, 200)  # U1
    code, _ = refusal(lambda: sf.Account.upsert("Name/B", {"Phone": "1"}))  # Name is no external id (U2)
    assert code == "NOT_FOUND"
    assert (
        refusal(lambda: sf.Account.create({"Name": "C", "SyncHub_Id__c": "c-1"}))[0] == "DUPLICATE_VALUE"
    )  # M9
    # Product2.Name is an idLookup field but not unique: two matches answer 300, nothing is written (G7).
    sf.Product2.create({"Name": "Bolt"})
    sf.Product2.create({"Name": "Bolt"})
    url = f"{emulator.instance_url}/services/data/v59.0/sobjects/Product2/Name/Bolt"
    answer = sf.session.patch(url, json={"Description": "x"}, headers=sf.headers)
    assert answer.status_code == 300 and len(answer.json()) == 2
    assert {r["Description"] for r in sf.query_all("SELECT Description FROM Product2")["records"]} == {None}


def test_a_single_currency_org_has_no_currency_field() -> None:
    sf, _setup, _ = world(OrgShape(multi_currency=False))
    code, fields = refusal(lambda: sf.Account.create({"Name": "A", "CurrencyIsoCode": "EUR"}))
    assert (code, fields) == ("INVALID_FIELD", ["CurrencyIsoCode"])
    assert "CurrencyIsoCode" not in {f["name"] for f in sf.Account.describe()["fields"]}
    sf2, _, _ = world(OrgShape(multi_currency=True))
    assert refusal(lambda: sf2.Account.create({"Name": "A", "CurrencyIsoCode": "XXX"}))[0] == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    )


@pytest.mark.parametrize("picklists", [False, True])
def test_state_and_country_picklists_take_iso_codes_and_refuse_unknown_countries(picklists: bool) -> None:
    sf, _, _ = world(OrgShape(state_country_picklists=picklists))
    has_codes = "BillingCountryCode" in {f["name"] for f in sf.Account.describe()["fields"]}
    assert has_codes is picklists
    if not picklists:
        sf.Account.create({"Name": "Free text", "BillingCountry": "Deutschland"})
        return
    account = sf.Account.create({"Name": "A", "BillingCountryCode": "US", "BillingStateCode": "CA"})["id"]
    saved = sf.Account.get(account)
    assert (saved["BillingCountry"], saved["BillingState"]) == ("United States", "California")
    assert (
        refusal(lambda: sf.Account.create({"Name": "B", "BillingCountry": "DE"}))[0]
        == "FIELD_INTEGRITY_EXCEPTION"
    )
    code, _ = refusal(
        lambda: sf.Account.create({"Name": "B", "BillingCountryCode": "DE", "BillingStateCode": "CA"})
    )
    assert code == "FIELD_INTEGRITY_EXCEPTION"
    assert refusal(lambda: sf.Account.create({"Name": "B", "BillingCountryCode": "XX"}))[0] == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    )


def test_person_accounts_take_person_names_and_business_accounts_refuse_them() -> None:
    sf, _, emulator = world(OrgShape(person_accounts=True))
    person_type = next(
        r for r, i in emulator.org.record_types.items() if i["developerName"] == "PersonAccount"
    )
    person = sf.Account.create({"RecordTypeId": person_type, "FirstName": "Ann", "LastName": "Lee"})["id"]
    saved = sf.Account.get(person)
    assert (saved["IsPersonAccount"], saved["Name"]) == (True, "Ann Lee")
    assert refusal(lambda: sf.Account.create({"RecordTypeId": person_type, "Name": "X", "LastName": "Y"}))[
        0
    ] == ("INVALID_FIELD_FOR_INSERT_UPDATE")
    assert refusal(lambda: sf.Account.create({"Name": "Acme", "PersonEmail": "a@b.c"}))[0] == (
        "INVALID_FIELD_FOR_INSERT_UPDATE"
    )
    assert (
        refusal(lambda: sf.Contact.create({"LastName": "Z", "AccountId": person}))[0]
        == "FIELD_INTEGRITY_EXCEPTION"
    )


def test_deleted_records_stay_in_the_recycle_bin_and_order_products_skip_it() -> None:
    sf, setup, _emulator = world()
    order = setup.order()
    item = setup.create(
        "OrderItem", {"OrderId": order, "PricebookEntryId": setup.entry(), "Quantity": 1, "UnitPrice": 1}
    )
    sf.OrderItem.delete(item)
    sf.Account.delete(setup.create("Account", {"Name": "Gone"}))
    all_items = sf.query_all("SELECT Id FROM OrderItem", include_deleted=True)["records"]
    gone = sf.query_all("SELECT Id, IsDeleted FROM Account WHERE IsDeleted = true", include_deleted=True)
    assert all_items == [] and gone["totalSize"] == 1  # D1, R8
    assert refusal(lambda: sf.OrderItem.get(item))[0] == "ENTITY_IS_DELETED"  # D2

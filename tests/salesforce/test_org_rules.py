"""The connector on orgs as they really are: quotes need opportunities, orders are activated after
their products, single-currency orgs, Person Accounts, State/Country picklists, and the ways a real
org says no (a collection refused whole, the daily limit, a failed Bulk job, a purged delete log)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ConnectionSettings, Cursor, StopRun, WriteRequest
from connectors.memory import MemoryConnector, MemoryDatabase
from connectors.salesforce import SalesforceConnector
from connectors.salesforce.errors import DailyLimitReached
from sync_engine.flows import run_flow
from tests.emulators.salesforce import OrgShape, SalesforceEmulator
from tests.memory_samples import native_customer

from .conftest import Clock
from .e2e_helpers import FAST_RETRY, open_store, write_config

SALESPERSON = "005000000000042AAA"


def _all(sf: SalesforceConnector, entity: str, since: Cursor | None = None) -> list[Any]:
    return [r for page in sf.read_changes(entity, since) for r in page.records]


def _product(sf: SalesforceConnector, ref: str, price: float = 10.0, currency: str = "EUR") -> str:
    [result] = sf.write_batch(
        "product",
        [
            WriteRequest(
                "create",
                ref,
                {
                    "Name": ref,
                    "ProductCode": ref,
                    "IsActive": True,
                    "PricebookEntry": {"UnitPrice": price, "CurrencyIsoCode": currency, "IsActive": True},
                },
            )
        ],
    )
    assert result.ok, result.error
    return str(result.id)


def _account(sf: SalesforceConnector, ref: str = "acme") -> str:
    [result] = sf.write_batch("customer", [WriteRequest("create", ref, {"Name": ref.title()})])
    assert result.ok, result.error
    return str(result.id)


def test_a_new_quote_gets_its_own_opportunity_once_even_when_the_create_is_retried(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    account, product = _account(sf), _product(sf, "bolt")
    quote = {
        "Name": "Q-1",
        "Status": "Presented",
        "AccountId": account,
        "CurrencyIsoCode": "EUR",
        "QuoteLineItems": [{"Product2Id": product, "Quantity": 3.0, "UnitPrice": 9.5, "Discount": 0.0}],
    }
    first = sf.write_batch("quote", [WriteRequest("create", "q1", quote)])
    again = sf.write_batch("quote", [WriteRequest("create", "q1", quote)])  # a crash before the commit
    assert first[0].ok and again[0].id == first[0].id, (first, again)
    [opportunity] = emulator.org.records["Opportunity"].values()
    assert (opportunity["AccountId"], opportunity["SyncHub_Id__c"]) == (account, "q1")
    saved = emulator.org.records["Quote"][first[0].id]
    assert (saved["OpportunityId"], saved["AccountId"], saved["GrandTotal"]) == (
        opportunity["Id"],
        account,
        28.5,
    )
    moved = sf.write_batch(
        "quote", [WriteRequest("update", "q1", {"AccountId": _account(sf, "other")}, first[0].id)]
    )
    assert not moved[0].ok and not moved[0].transient and "Q2" in (moved[0].error or "")


def test_quote_lines_use_the_entry_of_the_quotes_currency_or_wait_for_the_product(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    account, product = _account(sf), _product(sf, "bolt", currency="EUR")
    quote = {
        "Name": "Q",
        "Status": "Draft",
        "AccountId": account,
        "CurrencyIsoCode": "USD",
        "QuoteLineItems": [{"Product2Id": product, "Quantity": 1.0, "UnitPrice": 11.0}],
    }
    [result] = sf.write_batch("quote", [WriteRequest("create", "q-usd", quote)])
    # No USD price for the product: the quote waits (transient) instead of breaking P9.
    assert not result.ok and result.transient and "USD" in (result.error or "")
    assert emulator.org.records["QuoteLineItem"] == {}


def _accepted_quote(sf: SalesforceConnector, emulator: SalesforceEmulator) -> tuple[str, str]:
    account, bolt = _account(sf), _product(sf, "bolt")
    nut = _product(sf, "nut", price=1.0)
    org = emulator.org
    opportunity = org.insert(
        "Opportunity",
        {
            "Name": "D",
            "StageName": "Prospecting",
            "CloseDate": "2026-12-31",
            "AccountId": account,
            "Pricebook2Id": org.standard_pricebook,
            "CurrencyIsoCode": "EUR",
        },
        user=SALESPERSON,
    )
    quote = org.insert(
        "Quote",
        {"Name": "Q", "OpportunityId": opportunity, "Pricebook2Id": org.standard_pricebook},
        user=SALESPERSON,
    )
    for product, quantity, discount in ((bolt, 4, 25), (nut, 10, 0)):
        entry = next(e for e in org.records["PricebookEntry"].values() if e["Product2Id"] == product)
        org.insert(
            "QuoteLineItem",
            {
                "QuoteId": quote,
                "PricebookEntryId": entry["Id"],
                "Quantity": quantity,
                "UnitPrice": entry["UnitPrice"],
                "Discount": discount,
            },
            user=SALESPERSON,
        )
    org.update("Quote", quote, {"Status": "Accepted"}, user=SALESPERSON)
    return quote, nut


def test_the_erp_status_makes_a_draft_order_with_the_quotes_products_then_activates_it(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    quote, _ = _accepted_quote(sf, emulator)
    [record] = _all(sf, "sales_order")
    assert record.id == quote and record.data["Order"] is None
    assert sorted(i["UnitPrice"] for i in record.data["OrderItems"]) == [1.0, 7.5]  # net of the 25% discount
    erp = {
        "Order": {
            "SyncHub_ERP_Number__c": "SO-7",
            "SyncHub_ERP_Status__c": "Processing",
            "EffectiveDate": "2026-02-01",
        }
    }
    [result] = sf.write_batch("sales_order", [WriteRequest("update", "o1", erp, quote)])
    assert result.ok, result.error
    [order] = emulator.org.records["Order"].values()
    assert (order["StatusCode"], order["QuoteId"], order["SyncHub_ERP_Number__c"]) == (
        "Activated",
        quote,
        "SO-7",
    )
    assert order["TotalAmount"] == 40.0 and order["CurrencyIsoCode"] == "EUR"
    [record] = _all(sf, "sales_order")
    assert record.data["Order"]["SyncHub_ERP_Status__c"] == "Processing" and record.ref == "o1"
    assert sorted(i["UnitPrice"] for i in record.data["OrderItems"]) == [1.0, 7.5]  # same lines as before


def test_adding_or_removing_lines_of_an_activated_order_fails_that_record_naming_the_rule(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    quote, nut = _accepted_quote(sf, emulator)
    erp = {"Order": {"SyncHub_ERP_Status__c": "Confirmed"}}
    assert sf.write_batch("sales_order", [WriteRequest("update", "o1", erp, quote)])[0].ok
    [record] = _all(sf, "sales_order")
    fewer = [i for i in record.data["OrderItems"] if i["Product2Id"] != nut]
    [refused] = sf.write_batch("sales_order", [WriteRequest("update", "o1", {"OrderItems": fewer}, quote)])
    assert not refused.ok and not refused.transient  # a dead letter, not retried forever
    assert "R4" in (refused.error or "") and "ENTITY_IS_LOCKED" in (refused.error or "")
    assert refused.field == "OrderItems"
    more = [{**i, "Quantity": 5.0} if i["Product2Id"] == nut else i for i in record.data["OrderItems"]]
    [changed] = sf.write_batch("sales_order", [WriteRequest("update", "o1", {"OrderItems": more}, quote)])
    assert changed.ok, changed.error  # quantities of existing products may change (R4)


def test_an_erp_order_without_a_quote_gets_an_opportunity_an_accepted_quote_and_an_order(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    account, product = _account(sf), _product(sf, "bolt")
    data = {
        "AccountId": account,
        "CurrencyIsoCode": "EUR",
        "Order": {"SyncHub_ERP_Number__c": "SO-9", "SyncHub_ERP_Status__c": "Confirmed"},
        "OrderItems": [{"Product2Id": product, "Quantity": 2.0, "UnitPrice": 10.0}],
    }
    [result] = sf.write_batch("sales_order", [WriteRequest("create", "erp-9", data)])
    assert result.ok, result.error
    quote = emulator.org.records["Quote"][result.id]
    assert quote["Status"] == "Accepted" and quote["OpportunityId"] in emulator.org.records["Opportunity"]
    [order] = emulator.org.records["Order"].values()
    assert (order["QuoteId"], order["StatusCode"], order["TotalAmount"]) == (result.id, "Activated", 20.0)


@pytest.mark.parametrize("shape", [OrgShape(multi_currency=False)], ids=["single-currency"])
def test_a_single_currency_org_reads_its_currency_from_the_connection_and_refuses_others(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    results = sf.write_batch(
        "customer",
        [
            WriteRequest("create", "a", {"Name": "A", "CurrencyIsoCode": "EUR"}),
            WriteRequest("create", "b", {"Name": "B", "CurrencyIsoCode": "USD"}),
        ],
    )
    assert [r.ok for r in results] == [True, False]
    assert results[1].field == "CurrencyIsoCode" and "only EUR" in (results[1].error or "")
    [record] = _all(sf, "customer")
    assert record.data["CurrencyIsoCode"] == "EUR"
    _product(sf, "bolt")
    [product] = _all(sf, "product")
    assert product.data["PricebookEntry"]["CurrencyIsoCode"] == "EUR"


@pytest.mark.parametrize("shape", [OrgShape(multi_currency=False)], ids=["single-currency"])
def test_a_single_currency_org_without_the_currency_setting_says_how_to_fix_it(
    connect: Callable[..., SalesforceConnector], emulator: SalesforceEmulator
) -> None:
    emulator.org.insert("Account", {"Name": "A"}, user=SALESPERSON)
    sf = connect(currency="")
    with pytest.raises(Exception, match="set the connection extra 'currency'"):
        _all(sf, "customer")


@pytest.mark.parametrize("shape", [OrgShape(person_accounts=True, state_country_picklists=True)], ids=["pa"])
def test_person_accounts_are_left_out_and_new_accounts_are_business_ones_with_iso_codes(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    org = emulator.org
    person = next(r for r, i in org.record_types.items() if i["developerName"] == "PersonAccount")
    org.insert(
        "Account", {"RecordTypeId": person, "FirstName": "Eva", "LastName": "Privat"}, user=SALESPERSON
    )
    address = {
        "Kind": "Billing",
        "Street": "1 Main St",
        "City": "Boston",
        "PostalCode": "02101",
        "State": "MA",
        "Country": "US",
    }
    [result] = sf.write_batch(
        "customer", [WriteRequest("create", "c", {"Name": "Acme", "Addresses": [address]})]
    )
    assert result.ok, result.error
    saved = org.records["Account"][result.id]
    assert (saved["IsPersonAccount"], saved["BillingCountryCode"], saved["BillingState"]) == (
        False,
        "US",
        "Massachusetts",
    )
    assert [r.data["Name"] for r in _all(sf, "customer")] == ["Acme"]
    assert [r.data["Addresses"] for r in _all(sf, "customer")] == [[address]]
    assert list(sf.list_ids("customer")) == [result.id]


def test_a_collection_refused_as_a_whole_fails_only_its_own_records(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    requests_ = [WriteRequest("create", f"c{i}", {"Name": f"N{i}"}) for i in range(450)]
    emulator.inject(400, path_contains="composite/sobjects/Account", times=1, skip=1)
    results = sf.write_batch("customer", requests_)
    assert [r.ok for r in results] == [True] * 200 + [False] * 200 + [True] * 50
    assert "refused as a whole" in (results[250].error or "") and not results[250].transient
    assert len(emulator.org.records["Account"]) == 250


def test_the_daily_limit_stops_the_run_without_retries(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    _all(sf, "customer")
    emulator.org.api_used = emulator.org.api_limit
    calls = len(emulator.requests)
    with pytest.raises(DailyLimitReached, match="daily API request limit is reached"):
        _all(sf, "customer")
    assert len(emulator.requests) == calls + 1  # one refused call, no retry
    # The engine ends the run at once on StopRun; later calls send nothing.
    with pytest.raises(StopRun, match="daily API request limit is reached"):
        sf.write_batch("customer", [WriteRequest("create", "c", {"Name": "A"})])
    assert len(emulator.requests) == calls + 1


def test_the_daily_limit_ends_the_engines_run_at_once_and_the_next_run_resends_safely(
    sf: SalesforceConnector, emulator: SalesforceEmulator, tmp_path: Path
) -> None:
    erp = MemoryConnector(ConnectionSettings("memory", host=f"erp-limit-{tmp_path.name}"))
    for start in (0, 125):
        requests = [
            WriteRequest("create", f"c{i}", native_customer(f"Kunde {i}")) for i in range(start, start + 125)
        ]
        assert all(r.ok for r in erp.write_batch("customer", requests))
    flow = {"entity": "customer", "erp": "erp", "crm": "salesforce", "direction": "erp_to_crm"}
    flow |= {"match_keys": [["name"]]}
    systems = {"erp": {"connector": "memory"}, "salesforce": {"connector": "salesforce"}}
    config = write_config(tmp_path, systems, {"customers": flow})
    store = open_store(config)
    connectors = {"erp": erp, "crm": sf}
    # The allowance runs out at the second collection of accounts: the first 200 stay written.
    emulator.inject("daily_limit", path_contains="composite/sobjects/Account/", skip=1)
    with pytest.raises(StopRun, match="daily API request limit is reached"):
        run_flow(config, "customers", store, connectors=connectors, retry=FAST_RETRY)
    refused = max(i for i, (_, path) in enumerate(emulator.requests) if "sobjects/Account/" in path)
    assert refused == len(emulator.requests) - 1  # the run ended there: no retry, no further call
    [run] = store.list_runs(flow="customers")
    assert run.status == "failed" and "daily API request limit" in (run.error or "")
    assert len(emulator.org.records["Account"]) == 200

    emulator.org.api_used = 0  # the rolling 24 hours have passed
    fresh = SalesforceConnector(sf.settings, {"session": sf.client.session})
    report = run_flow(config, "customers", store, connectors={"erp": erp, "crm": fresh}, retry=FAST_RETRY)
    assert report.status == "success", report.error
    accounts = emulator.org.records["Account"].values()
    assert sorted(a["Name"] for a in accounts) == sorted(f"Kunde {i}" for i in range(250))  # none twice
    store.close()
    MemoryDatabase.forget(f"erp-limit-{tmp_path.name}")


@pytest.mark.parametrize("outcome", ["failed", "timeout"])
def test_a_bulk_job_that_fails_or_outlasts_its_wait_becomes_per_record_failures(
    connect: Callable[..., SalesforceConnector], emulator: SalesforceEmulator, outcome: str
) -> None:
    sf = connect(bulk_threshold=3, bulk_timeout_seconds=0 if outcome == "timeout" else 30)
    if outcome == "failed":
        emulator.fail_next_job = True
    else:
        emulator.hold_jobs = True
    results = sf.write_batch(
        "customer", [WriteRequest("create", f"c{i}", {"Name": f"N{i}"}) for i in range(4)]
    )
    assert [r.ok for r in results] == [False] * 4
    assert all("Bulk API 2.0 job" in (r.error or "") for r in results)
    assert {r.transient for r in results} == {outcome == "timeout"}


def test_a_cursor_older_than_the_delete_log_asks_for_id_reconciliation(
    sf: SalesforceConnector, emulator: SalesforceEmulator, clock: Clock
) -> None:
    start = Cursor(clock.now)
    clock.tick(3600)
    gone = emulator.org.insert("Account", {"Name": "Gone"}, user=SALESPERSON)
    emulator.org.delete("Account", gone, user=SALESPERSON)
    clock.tick(3600)
    _all(sf, "customer", since=start)
    assert not sf.needs_id_reconciliation("customer")  # the log reaches back past the cursor
    emulator.org.purge_deleted(timedelta(minutes=30))  # purged well before 15 days
    assert [r.deleted for r in _all(sf, "customer", since=start)] == []
    assert sf.needs_id_reconciliation("customer")


def test_a_contact_deleted_in_salesforce_brings_its_account_into_the_next_read(
    sf: SalesforceConnector, emulator: SalesforceEmulator, clock: Clock
) -> None:
    [created] = sf.write_batch(
        "customer",
        [
            WriteRequest(
                "create",
                "c",
                {
                    "Name": "Acme",
                    "Contacts": [
                        {"LastName": "Lee", "Email": "l@a.de"},
                        {"LastName": "Ng", "Email": "n@a.de"},
                    ],
                },
            )
        ],
    )
    clock.tick()
    start = Cursor(clock.now)
    clock.tick()
    contact = next(c["Id"] for c in emulator.org.records["Contact"].values() if c["LastName"] == "Ng")
    emulator.org.delete("Contact", contact, user=SALESPERSON)
    [record] = _all(sf, "customer", since=start)
    assert record.id == created.id and [c["LastName"] for c in record.data["Contacts"]] == ["Lee"]


def test_server_time_follows_the_orgs_clock_not_ours(sf: SalesforceConnector, clock: Clock) -> None:
    assert sf.server_time() is None  # nothing heard from the org yet: the engine uses its own clock
    _all(sf, "customer")
    now = sf.server_time()
    assert now is not None and abs((now - clock.now).total_seconds()) < 5  # the org runs a day behind us


def test_deleting_a_product_cost_clears_the_cost_and_keeps_the_product(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    product = _product(sf, "bolt")
    cost = {
        "Id": product,
        "SyncHub_Cost__c": 4.5,
        "SyncHub_Cost_Method__c": "FIFO",
        "SyncHub_Cost_Date__c": "2026-01-31",
    }
    [created] = sf.write_batch("product_cost", [WriteRequest("create", "cost-1", cost)])
    assert created.ok and created.id == product, created.error
    [deleted] = sf.write_batch("product_cost", [WriteRequest("delete", "cost-1", {}, product)])
    assert deleted.ok, deleted.error
    saved = emulator.org.records["Product2"][product]  # the product stays, without its cost
    assert (saved["Name"], saved["SyncHub_Cost__c"], saved["SyncHub_Cost_Id__c"]) == ("bolt", None, None)
    assert sf.read_by_ids("product_cost", [product]) == [] and list(sf.list_ids("product_cost")) == []
    assert [r.id for r in _all(sf, "product")] == [product]

"""The Salesforce connector through simple-salesforce against the emulated org."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from simple_salesforce.exceptions import (
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from connectors.base import Cursor, PermanentError, StopRun, TransientError, WriteRequest
from connectors.salesforce import SalesforceConnector
from connectors.salesforce.errors import ApiBudgetExceeded, DailyLimitReached
from tests.emulators.salesforce import SalesforceEmulator

from .conftest import Clock


def _all(
    sf: SalesforceConnector, entity: str, since: Cursor | None = None, page_size: int = 500
) -> list[Any]:
    return [r for page in sf.read_changes(entity, since, page_size=page_size) for r in page.records]


ACME = {
    "Name": "ACME GmbH",
    "CurrencyIsoCode": "EUR",
    "SyncHub_Tax_Id__c": "DE811907980",
    "SyncHub_Credit_Limit__c": 5000.0,
    "Addresses": [
        {
            "Kind": "Billing",
            "Street": "Hauptstr. 1",
            "City": "Berlin",
            "PostalCode": "10115",
            "State": None,
            "Country": "DE",
        }
    ],
    "Contacts": [
        {"FirstName": "Ann", "LastName": "Lee", "Email": "ann@acme.de", "Phone": None, "Title": "CEO"}
    ],
}


def test_customer_create_upserts_by_synchub_id_and_reads_back_with_contacts_and_addresses(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    [result] = sf.write_batch("customer", [WriteRequest("create", "cust-1", ACME)])
    assert result.ok, result.error
    again = sf.write_batch("customer", [WriteRequest("create", "cust-1", ACME)])  # a retried create
    assert again[0].id == result.id
    assert len(emulator.org.records["Account"]) == 1
    [record] = _all(sf, "customer")
    assert record.ref == "cust-1" and record.id == result.id
    assert record.data["Contacts"][0]["Email"] == "ann@acme.de"
    assert record.data["Addresses"] == ACME["Addresses"]
    assert "BillingCity" not in record.data  # folded into Addresses


def test_contacts_are_matched_updated_added_and_removed_like_a_list(sf: SalesforceConnector) -> None:
    [created] = sf.write_batch("customer", [WriteRequest("create", "cust-1", ACME)])
    contacts = [
        {"FirstName": "Ann", "LastName": "Lee", "Email": "ann@acme.de", "Phone": "+49 1", "Title": "CEO"},
        {"FirstName": "Bo", "LastName": "Ng", "Email": "bo@acme.de", "Phone": None, "Title": None},
    ]
    [updated] = sf.write_batch(
        "customer", [WriteRequest("update", "cust-1", {"Contacts": contacts}, id=created.id)]
    )
    assert updated.ok, updated.error
    [record] = sf.read_by_ids("customer", [created.id or ""])
    assert sorted((c["Email"], c["Phone"]) for c in record.data["Contacts"]) == [
        ("ann@acme.de", "+49 1"),
        ("bo@acme.de", None),
    ]
    sf.write_batch("customer", [WriteRequest("update", "cust-1", {"Contacts": contacts[1:]}, id=created.id)])
    [record] = sf.read_by_ids("customer", [created.id or ""])
    assert [c["Email"] for c in record.data["Contacts"]] == ["bo@acme.de"]


def test_every_entity_writes_and_reads_back(sf: SalesforceConnector) -> None:
    [acct] = sf.write_batch("customer", [WriteRequest("create", "c1", {"Name": "Acme"})])
    [prod] = sf.write_batch(
        "product",
        [
            WriteRequest(
                "create",
                "p1",
                {
                    "Name": "Bolt",
                    "ProductCode": "B-1",
                    "IsActive": True,
                    "PricebookEntry": {"UnitPrice": 2.5, "CurrencyIsoCode": "EUR", "IsActive": True},
                },
            )
        ],
    )
    assert prod.ok, prod.error
    [product] = _all(sf, "product")
    assert product.data["PricebookEntry"]["UnitPrice"] == 2.5
    line = {"Product2Id": prod.id, "Description": "bolts", "Quantity": 3.0, "UnitPrice": 2.5}
    results = {
        "quote": sf.write_batch(
            "quote",
            [
                WriteRequest(
                    "create",
                    "q1",
                    {
                        "Name": "Q",
                        "Status": "Accepted",
                        "AccountId": acct.id,
                        "QuoteLineItems": [{**line, "Discount": 0.0}],
                    },
                )
            ],
        ),
        "complaint": sf.write_batch(
            "complaint",
            [WriteRequest("create", "k1", {"Subject": "Broken", "Status": "New", "AccountId": acct.id})],
        ),
        "product_cost": sf.write_batch(
            "product_cost",
            [
                WriteRequest(
                    "create",
                    "pc1",
                    {
                        "Id": prod.id,
                        "SyncHub_Cost__c": 1.25,
                        "SyncHub_Cost_Method__c": "Standard",
                        "SyncHub_Cost_Date__c": "2026-01-01",
                    },
                )
            ],
        ),
    }
    for entity, [res] in results.items():
        assert res.ok, f"{entity}: {res.error}"
        [record] = _all(sf, entity)
        assert record.ref == {"quote": "q1", "complaint": "k1", "product_cost": "pc1"}[entity]
    assert _all(sf, "quote")[0].data["QuoteLineItems"][0]["Quantity"] == 3.0
    [quote] = _all(sf, "quote")
    assert quote.data["AccountId"] == acct.id  # taken from the opportunity SyncHub made for it
    assert results["product_cost"][0].id == prod.id  # the cost lives on the product's Product2


def test_reads_follow_next_records_url_across_2000_record_pages(
    sf: SalesforceConnector, emulator: SalesforceEmulator, clock: Clock
) -> None:
    for i in range(4500):
        emulator.org.insert("Account", {"Name": f"A{i}"})
        if i % 1000 == 0:
            clock.tick()
    records = _all(sf, "customer", page_size=1000)
    assert len(records) == 4500 and len({r.id for r in records}) == 4500
    assert sum("query/01g" in path for _, path in emulator.requests) == 2  # pages 2 and 3 of the query


def test_compound_cursor_resumes_inside_a_second_shared_by_many_records(
    sf: SalesforceConnector, emulator: SalesforceEmulator, clock: Clock
) -> None:
    ids = [emulator.org.insert("Account", {"Name": f"A{i}"}, user="005000000000000099") for i in range(30)]
    pages = list(sf.read_changes("customer", None, page_size=10))
    mark = pages[0].cursor
    assert mark is not None and mark.id == ids[9]
    rest = _all(sf, "customer", since=mark)
    # Everything strictly after the mark (the SDK's keyset contract), inside its second too.
    assert [r.id for r in rest] == ids[10:]


def test_own_writes_are_not_read_back_as_changes(
    connect: Callable[..., SalesforceConnector], emulator: SalesforceEmulator, clock: Clock
) -> None:
    sf = connect(skip_own_changes=True)
    start = Cursor(clock.now)
    sf.write_batch("customer", [WriteRequest("create", "c1", {"Name": "Ours"})])
    theirs = emulator.org.insert("Account", {"Name": "Theirs"}, user="005000000000000099")
    assert [r.id for r in _all(sf, "customer", since=start)] == [theirs]
    assert len(_all(sf, "customer")) == 2  # a full read hides nothing


def test_by_default_records_the_integration_user_changed_come_back_too(
    sf: SalesforceConnector, emulator: SalesforceEmulator, clock: Clock
) -> None:
    [ours] = sf.write_batch("customer", [WriteRequest("create", "c1", {"Name": "Ours"})])
    start = Cursor(clock.now)
    clock.tick()
    # Salesforce automation running later as the integration user (an asynchronous flow path).
    emulator.org.update("Account", ours.id or "", {"SyncHub_Legal_Form__c": "GmbH"})
    [record] = _all(sf, "customer", since=start)
    assert record.id == ours.id and record.data["SyncHub_Legal_Form__c"] == "GmbH"


def test_deletions_come_back_as_tombstones(
    sf: SalesforceConnector, emulator: SalesforceEmulator, clock: Clock
) -> None:
    start = Cursor(clock.now)
    gone = emulator.org.insert("Account", {"Name": "Gone"}, user="005000000000000099")
    clock.tick()
    emulator.org.delete("Account", gone)
    [tomb] = _all(sf, "customer", since=start)
    assert tomb.deleted and tomb.id == gone
    assert list(sf.list_ids("customer")) == []


def test_quotes_and_backslashes_in_values_cannot_break_or_inject_a_query(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    nasty = "O'Brien \\ Sons') OR Name != ('"
    record_id = emulator.org.insert("Account", {"Name": nasty}, user="005000000000000099")
    emulator.org.insert("Account", {"Name": "Other"}, user="005000000000000099")
    assert [r.data["Name"] for r in sf.read_by_ids("customer", [nasty, record_id])] == [nasty]
    assert sf.read_by_ids("customer", ["x' OR Id != 'y"]) == []


def test_one_bad_record_fails_alone_with_the_field_and_the_fix(sf: SalesforceConnector) -> None:
    results = sf.write_batch(
        "customer",
        [
            WriteRequest("create", "good", {"Name": "Good"}),
            WriteRequest("create", "bad", {"Name": None}),
            WriteRequest("create", "good2", {"Name": "Good 2"}),
        ],
    )
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].field == "Name" and not results[1].transient
    assert "REQUIRED_FIELD_MISSING" in (results[1].error or "") and "bad" in (results[1].error or "")
    assert "fix:" in (results[1].error or "")


def test_collections_send_at_most_200_records_per_request(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    results = sf.write_batch(
        "customer", [WriteRequest("create", f"c{i}", {"Name": f"N{i}"}) for i in range(450)]
    )
    assert all(r.ok for r in results)
    assert sum("composite/sobjects/Account/SyncHub_Id__c" in p for _, p in emulator.requests) == 3


def test_large_batches_go_through_bulk_ingest_with_per_record_results(
    connect: Callable[..., SalesforceConnector], emulator: SalesforceEmulator
) -> None:
    sf = connect(bulk_threshold=5)
    requests = [WriteRequest("create", f"c{i}", {"Name": f"N{i}" if i != 3 else None}) for i in range(8)]
    results = sf.write_batch("customer", requests)
    assert [r.ok for r in results] == [True, True, True, False, True, True, True, True]
    assert "REQUIRED_FIELD_MISSING" in (results[3].error or "")
    assert any(p.endswith("/jobs/ingest") for m, p in emulator.requests if m == "POST")
    assert not any("composite/sobjects/Account" in p for _, p in emulator.requests)
    assert {r["SyncHub_Id__c"] for r in emulator.org.records["Account"].values()} == {
        f"c{i}" for i in range(8) if i != 3
    }


def test_an_expired_session_is_refreshed_once_and_the_call_repeated(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    sf.write_batch("customer", [WriteRequest("create", "c1", {"Name": "A"})])
    logins = emulator.token_requests
    emulator.expire_sessions()
    assert len(_all(sf, "customer")) == 1
    assert emulator.token_requests == logins + 1


def test_a_given_session_id_that_expires_says_how_to_fix_it(
    connect: Callable[..., SalesforceConnector], emulator: SalesforceEmulator
) -> None:
    sf = connect(login=None, password=emulator.session_token(), auth="session")
    assert _all(sf, "customer") == []
    emulator.expire_sessions()
    with pytest.raises(PermanentError, match="session id has expired"):
        _all(sf, "customer")


def test_rate_limits_are_retried_with_backoff_then_reported_transient(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    emulator.inject(429, times=2, path_contains="/query")
    assert _all(sf, "customer") == []
    emulator.inject(429, times=10, path_contains="/query", retry_after=0)
    with pytest.raises(TransientError, match="rate limited"):
        _all(sf, "customer")


def test_server_errors_and_timeouts_are_transient(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    for kind in (500, "timeout"):
        emulator.inject(kind, path_contains="/query")
        with pytest.raises(TransientError):
            _all(sf, "customer")


def test_no_new_work_starts_above_the_allowed_share_of_the_daily_api_limit(
    connect: Callable[..., SalesforceConnector], emulator: SalesforceEmulator
) -> None:
    sf = connect(limit_share=0.5)
    emulator.org.api_limit = 100
    emulator.org.api_used = 49
    _all(sf, "customer")  # 50 of 100 after this call
    calls = len(emulator.requests)
    # No further call of the run can start: the write stops the run (StopRun), naming the usage.
    with pytest.raises(StopRun, match="of its 100 daily API requests") as stopped:
        sf.write_batch("customer", [WriteRequest("create", "c1", {"Name": "A"})])
    assert "50%" in str(stopped.value) and isinstance(stopped.value, ApiBudgetExceeded)
    assert len(emulator.requests) == calls  # refused before any request
    with pytest.raises(StopRun, match="of its 100 daily API requests"):
        _all(sf, "customer")  # a read stops the run too


def test_wrong_client_secret_fails_with_a_clear_message(connect: Callable[..., SalesforceConnector]) -> None:
    sf = connect(password="wrong")
    with pytest.raises(PermanentError, match="login with auth=client_credentials") as info:
        _all(sf, "customer")
    assert "wrong" not in str(info.value)


def test_jwt_bearer_login_signs_an_assertion_the_org_verifies(
    connect: Callable[..., SalesforceConnector], emulator: SalesforceEmulator, tmp_path: Any
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "key.pem").write_bytes(pem)
    emulator.jwt_keys["jwt-app"] = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    sf = connect(
        login="jwt-app",
        password=None,
        auth="jwt",
        username="sync@acme.de",
        private_key_path=str(tmp_path / "key.pem"),
    )
    assert _all(sf, "customer") == []
    emulator.jwt_keys["jwt-app"] = emulator.jwt_keys["jwt-app"].replace("A", "B", 1)
    emulator.expire_sessions()
    with pytest.raises(PermanentError, match="invalid assertion"):
        _all(sf, "customer")


def test_record_urls_open_the_lightning_record_page_without_a_call(
    sf: SalesforceConnector, emulator: SalesforceEmulator
) -> None:
    assert sf.record_url("customer", "001000000000001AAA") == (
        "https://emulated.lightning.force.com/lightning/r/Account/001000000000001AAA/view"
    )
    # A sales order's id is its accepted quote's; a cost's is its product's.
    assert sf.record_url("sales_order", "0Q0000000000001AAA") == (
        "https://emulated.lightning.force.com/lightning/r/Quote/0Q0000000000001AAA/view"
    )
    assert (sf.record_url("product_cost", "01t000000000001AAA") or "").endswith(
        "/r/Product2/01t000000000001AAA/view"
    )
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (
            SalesforceGeneralError("u", 503, "r", [{"errorCode": "SERVER_UNAVAILABLE", "message": "m"}]),
            TransientError,
        ),
        (SalesforceGeneralError("u", 429, "r", [{"errorCode": "REQUEST_LIMIT_EXCEEDED"}]), TransientError),
        (
            SalesforceRefusedRequest("u", 403, "r", [{"errorCode": "REQUEST_LIMIT_EXCEEDED"}]),
            DailyLimitReached,
        ),
        (SalesforceRefusedRequest("u", 403, "r", [{"errorCode": "INSUFFICIENT_ACCESS"}]), PermanentError),
        (SalesforceMalformedRequest("u", 400, "r", [{"errorCode": "MALFORMED_QUERY"}]), PermanentError),
        (requests.ReadTimeout("read timed out"), TransientError),
        (requests.ConnectionError("refused"), TransientError),
        (ValueError("Expecting value: line 1 column 1"), TransientError),
        (KeyError("records"), PermanentError),
    ],
    ids=["503", "429", "daily-limit", "403", "400", "timeout", "connection", "not-json", "other"],
)
def test_client_library_exceptions_are_classified(
    sf: SalesforceConnector, raised: Exception, expected: type[Exception]
) -> None:
    got = sf.classify(raised)
    assert type(got) is expected, (type(got), got)
    assert isinstance(got, StopRun) == (expected is DailyLimitReached)

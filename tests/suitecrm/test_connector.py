"""The SuiteCRM connector (entities on the SDK) against the real SuiteCRM: every entity, the change
feed at minute and second precision, deletes by reconciliation, token expiry, odd text, concurrency."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import Cursor, NativeRecord, WriteRequest, WriteResult, load_connector
from connectors.suitecrm import SuiteCrmClient, SuiteCrmConnector
from connectors.suitecrm.values import format_datetime
from synchub_dev.peers.suitecrm import SuiteCrmInstance

ODD = '株式会社 "O\'Brien" \\ 100% _x_ مرحبا שלום 😀'
T0 = datetime(2026, 1, 5, 10, 20, tzinfo=UTC)


@pytest.fixture
def connect() -> Iterator[Callable[..., SuiteCrmConnector]]:
    made: list[SuiteCrmConnector] = []

    def build(instance: SuiteCrmInstance, grant: str = "password", **options: str) -> SuiteCrmConnector:
        connector = SuiteCrmConnector(instance.connection(grant), options)
        made.append(connector)
        return connector

    yield build
    for connector in made:
        connector.close()


@pytest.fixture
def crm(suitecrm: SuiteCrmInstance, connect: Callable[..., SuiteCrmConnector]) -> SuiteCrmConnector:
    return connect(suitecrm)


def write(crm: SuiteCrmConnector, entity: str, *requests: WriteRequest) -> list[WriteResult]:
    return crm.write_batch(entity, list(requests))


def create(crm: SuiteCrmConnector, entity: str, data: dict, ref: str = "") -> WriteResult:
    [result] = write(crm, entity, WriteRequest("create", ref or f"ref-{entity}-{id(data)}", data))
    assert result.ok, result.error
    return result


def read(
    crm: SuiteCrmConnector, entity: str, since: Cursor | None = None, size: int = 500
) -> list[NativeRecord]:
    return [r for page in crm.read_changes(entity, since, page_size=size) for r in page.records]


def test_the_entry_point_loads_the_connector() -> None:
    assert load_connector("suitecrm") is SuiteCrmConnector


def test_customer_with_contacts_round_trips_and_contacts_follow_the_list(
    suitecrm: SuiteCrmInstance, crm: SuiteCrmConnector
) -> None:
    contacts = [
        {"first_name": "Zoë", "last_name": ODD, "email1": "z@example.com", "phone_work": None, "title": None},
        {"first_name": "Amir", "last_name": "حداد", "email1": None, "phone_work": "+49 1", "title": "Buyer"},
    ]
    data = {
        "name": f"Acme {ODD}",
        "billing_address_city": "München",
        "synchub_credit_limit_c": "1234567.89",
        "synchub_payment_terms_c": "30 days net",
        "contacts": contacts,
    }
    made = create(crm, "customer", data)
    [got] = crm.read_by_ids("customer", [made.id])
    assert got.data["name"] == data["name"] and got.data["synchub_credit_limit_c"] == "1234567.89"
    assert [(c["first_name"], c["last_name"], c["email1"]) for c in got.data["contacts"]] == [
        ("Zoë", ODD, "z@example.com"),
        ("Amir", "حداد", None),
    ]
    assert made.record is not None and made.record.data == got.data  # the write's answer is what was saved

    edited = [{**contacts[1], "title": "Head buyer"}]  # the first one goes, the second moves up
    [updated] = write(crm, "customer", WriteRequest("update", "u", {"contacts": edited}, made.id))
    assert updated.ok, updated.error
    [again] = crm.read_by_ids("customer", [made.id])
    assert [(c["first_name"], c["title"]) for c in again.data["contacts"]] == [("Amir", "Head buyer")]
    # the contact left behind is unlinked, not deleted
    assert suitecrm.sql("SELECT COUNT(*) FROM contacts WHERE deleted=0") == [["2"]]


def test_a_create_repeated_with_its_ref_finds_its_record(
    suitecrm: SuiteCrmInstance, crm: SuiteCrmConnector
) -> None:
    ref = "0b7a6c52-4f0e-4d9a-9a1e-2f4c8d6e1a01"  # SyncHub's canonical ids are GUIDs: used as the id
    first = create(crm, "customer", {"name": "Once"}, ref)
    again = create(crm, "customer", {"name": "Once, again"}, ref)
    assert first.id == again.id == ref
    other = create(crm, "customer", {"name": "Not a GUID ref"}, "conf-7")
    assert create(crm, "customer", {"name": "Not a GUID ref"}, "conf-7").id == other.id
    assert suitecrm.sql("SELECT COUNT(*) FROM accounts WHERE deleted=0") == [["2"]]
    [record] = crm.read_by_ids("customer", [ref])
    assert record.data["name"] == "Once, again" and record.ref == ref


def test_bad_values_fail_alone_naming_record_and_field(crm: SuiteCrmConnector) -> None:
    requests = [
        WriteRequest("create", "good-1", {"name": "Good one"}),
        WriteRequest("create", "bad-float", {"name": "Float", "synchub_credit_limit_c": 10.5}),
        WriteRequest("create", "bad-digits", {"name": "Digits", "synchub_credit_limit_c": "1.1234567"}),
        WriteRequest("create", "bad-field", {"name": "Unknown", "industry_c": "x"}),
        WriteRequest("create", "bad-markup", {"name": "<b>bold</b>"}),
        WriteRequest("create", "good-2", {"name": "Good two"}),
    ]
    results = write(crm, "customer", *requests)
    assert [r.ok for r in results] == [True, False, False, False, False, True]
    fields = [r.field for r in results[1:5]]
    assert fields == ["synchub_credit_limit_c", "synchub_credit_limit_c", "industry_c", "name"]
    assert all(r.error and r.ref in r.error and not r.transient for r in results[1:5])
    assert "float" in (results[1].error or "") and "6" in (results[2].error or "")


def test_product_and_its_cost_share_the_product_record(crm: SuiteCrmConnector) -> None:
    made = create(
        crm, "product", {"part_number": "SKU-1", "name": "Bolt", "price": "12.5", "currency": "USD"}
    )
    assert read(crm, "product_cost") == []  # no cost of the ERP's yet
    cost = create(
        crm,
        "product_cost",
        {
            "product": made.id,
            "cost": "7.125",
            "synchub_cost_method_c": "average",
            "synchub_cost_date_c": "2026-01-31",
        },
    )
    assert cost.id == made.id
    [got] = read(crm, "product_cost")
    assert got.data == {
        "product": made.id,
        "cost": "7.125",
        "synchub_cost_date_c": "2026-01-31",
        "synchub_cost_method_c": "average",
        "currency": "USD",
    }
    [product] = crm.read_by_ids("product", [made.id])
    assert product.data["price"] == "12.5" and product.data["part_number"] == "SKU-1"
    [euro] = write(
        crm, "product", WriteRequest("create", "eur", {"name": "Nut", "price": "1", "currency": "EUR"})
    )
    assert not euro.ok and euro.field == "currency"
    [orphan] = write(
        crm, "product_cost", WriteRequest("create", "c", {"cost": "1", "synchub_cost_method_c": "fifo"})
    )
    assert not orphan.ok and orphan.field == "product"
    write(crm, "product_cost", WriteRequest("delete", "d", {}, made.id))
    assert list(crm.list_ids("product_cost")) == [] and list(crm.list_ids("product")) == [made.id]


def _quote(account: str, product: str, stage: str = "Draft") -> dict:
    lines = [
        {"product_id": product, "name": "Bolt", "product_qty": "3", "product_unit_price": "12.5"},
        {"product_id": None, "name": f"Fitting {ODD}", "product_qty": "1.25", "product_unit_price": "80"},
    ]
    return {
        "name": "Q-1",
        "stage": stage,
        "billing_account_id": account,
        "expiration": "2026-12-31",
        "lines": lines,
    }


def test_quote_lines_and_totals_are_written_as_suitecrm_keeps_them(
    suitecrm: SuiteCrmInstance, crm: SuiteCrmConnector
) -> None:
    account = create(crm, "customer", {"name": "Buyer"}).id
    product = create(crm, "product", {"name": "Bolt", "price": "12.5"}).id
    made = create(crm, "quote", _quote(account, product))
    [got] = crm.read_by_ids("quote", [made.id])
    assert got.data["total_amount"] == "137.5" and got.data["number"] == "1"
    assert [(line["name"], line["product_qty"]) for line in got.data["lines"]] == [
        ("Bolt", "3"),
        (f"Fitting {ODD}", "1.25"),
    ]
    assert suitecrm.sql(f"SELECT COUNT(*) FROM aos_line_item_groups WHERE parent_id='{made.id}'") == [["1"]]

    lines = [{**got.data["lines"][1], "product_qty": "2"}]
    [updated] = write(crm, "quote", WriteRequest("update", "u", {"lines": lines}, made.id))
    assert updated.ok, updated.error
    [again] = crm.read_by_ids("quote", [made.id])
    assert again.data["total_amount"] == "160" and [line["product_qty"] for line in again.data["lines"]] == [
        "2"
    ]
    assert crm.read_by_ids("sales_order", [made.id]) == []  # not accepted


def test_an_accepted_quote_is_a_sales_order_that_takes_only_the_erp_fields(crm: SuiteCrmConnector) -> None:
    account = create(crm, "customer", {"name": "Buyer"}).id
    product = create(crm, "product", {"name": "Bolt", "price": "12.5"}).id
    draft = create(crm, "quote", _quote(account, product)).id
    accepted = create(crm, "quote", _quote(account, product, "Closed Accepted")).id
    assert [r.id for r in read(crm, "sales_order")] == [accepted] and list(crm.list_ids("sales_order")) == [
        accepted
    ]
    back = {"synchub_order_number_c": "SO/0007", "synchub_order_status_c": "confirmed"}
    [ok] = write(crm, "sales_order", WriteRequest("update", "erp", back, accepted))
    assert ok.ok and ok.record is not None and ok.record.data["synchub_order_number_c"] == "SO/0007"
    refused = write(
        crm,
        "sales_order",
        WriteRequest("update", "name", {"name": "Changed"}, accepted),
        WriteRequest("update", "status", {"synchub_order_status_c": "shipped"}, accepted),
        WriteRequest("create", "new", {"name": "New order"}),
        WriteRequest("delete", "gone", {}, accepted),
    )
    assert [r.ok for r in refused] == [False] * 4
    assert [r.field for r in refused[:2]] == ["name", "synchub_order_status_c"]
    assert "deletes: " in (refused[3].error or "")
    assert crm.read_by_ids("sales_order", [draft]) == []


def test_complaint_status_sets_state_and_unknown_keys_are_refused(
    suitecrm: SuiteCrmInstance, crm: SuiteCrmConnector
) -> None:
    account = create(crm, "customer", {"name": "Buyer"}).id
    case = {"name": ODD, "status": "Closed_Closed", "priority": "P1", "account_id": account}
    made = create(crm, "complaint", {**case, "resolution": "Replaced \\ refunded"})
    [got] = crm.read_by_ids("complaint", [made.id])
    assert got.data["state"] == "Closed" and got.data["name"] == ODD and got.data["case_number"]
    assert got.data["resolution"] == "Replaced \\ refunded"
    [bad] = write(crm, "complaint", WriteRequest("create", "bad", {"name": "x", "status": "Closed"}))
    assert not bad.ok and bad.field == "status" and "Closed_Closed" in (bad.error or "")


def _stamped(client: SuiteCrmClient, stamps: list[datetime]) -> list[str]:
    """Cases whose date_modified is set to the given moments (V8 lets a client set it)."""
    return [
        client.create("Cases", {"name": f"case {n}", "date_modified": format_datetime(stamp)}).id
        for n, stamp in enumerate(stamps)
    ]


def _check_feed(crm: SuiteCrmConnector, ids: list[str], page_size: int) -> None:
    pages = list(crm.read_changes("complaint", None, page_size=page_size))
    records = [r for page in pages for r in page.records]
    assert sorted(r.id for r in records) == sorted(ids)  # each once
    keys = [(r.modified, r.id) for r in records]
    assert keys == sorted(keys)
    for n, page in enumerate(pages[:-1]):
        assert page.cursor is not None
        rest = [
            r.id for p in crm.read_changes("complaint", page.cursor, page_size=page_size) for r in p.records
        ]
        done = sum(len(p.records) for p in pages[: n + 1])
        assert rest == [r.id for r in records[done:]]


def test_many_records_in_one_minute_are_read_once_each_and_cursors_resume_exactly(
    client: SuiteCrmClient, crm: SuiteCrmConnector
) -> None:
    stamps = [T0 + timedelta(seconds=n % 60) for n in range(130)]  # 130 in one minute
    stamps += [T0 + timedelta(minutes=1, seconds=5), T0 + timedelta(minutes=3)]
    ids = _stamped(client, stamps)
    assert crm.precision == timedelta(minutes=1)
    _check_feed(crm, ids, 50)
    since = Cursor(T0 + timedelta(minutes=1), "")
    assert [r.id for r in read(crm, "complaint", since)] == ids[130:]


def test_second_precision_reads_seconds(
    suitecrm_seconds: SuiteCrmInstance,
    make_client: Callable[..., SuiteCrmClient],
    connect: Callable[..., SuiteCrmConnector],
) -> None:
    client = make_client(suitecrm_seconds)
    crm = connect(suitecrm_seconds)
    ids = _stamped(client, [T0 + timedelta(seconds=n // 7) for n in range(40)])
    assert crm.precision == timedelta(seconds=1)
    _check_feed(crm, ids, 15)
    assert {r.modified for r in read(crm, "complaint")} == {T0 + timedelta(seconds=n) for n in range(6)}


def test_deletes_are_found_by_id_reconciliation_and_deleted_records_fail_alone(
    crm: SuiteCrmConnector,
) -> None:
    ids = [create(crm, "customer", {"name": f"c{n}"}, f"del-{n}").id for n in range(5)]
    assert all(
        r.ok for r in write(crm, "customer", *(WriteRequest("delete", f"d{n}", {}, ids[n]) for n in (1, 3)))
    )
    assert sorted(crm.list_ids("customer")) == sorted([ids[0], ids[2], ids[4]])
    assert {r.id for r in crm.read_by_ids("customer", ids)} == {ids[0], ids[2], ids[4]}
    [again] = write(crm, "customer", WriteRequest("delete", "again", {}, ids[1]))
    assert again.ok
    [gone] = write(crm, "customer", WriteRequest("update", "u", {"name": "back?"}, ids[1]))
    assert not gone.ok and "deleted in SuiteCRM" in (gone.error or "")
    [recreate] = write(crm, "customer", WriteRequest("create", "del-1", {"name": "c1"}))
    assert not recreate.ok and "restore it" in (recreate.error or "")


def test_expired_or_revoked_tokens_are_renewed(
    suitecrm: SuiteCrmInstance, connect: Callable[..., SuiteCrmConnector]
) -> None:
    for grant in ("password", "client_credentials"):
        crm = connect(suitecrm, grant)
        made = create(crm, "customer", {"name": f"Before {grant}"}, f"tok-{grant}")
        suitecrm.sql("DELETE FROM oauth2tokens")  # every token gone: the next call meets a 401
        assert [r.id for r in crm.read_by_ids("customer", [made.id])] == [made.id]
        token = crm.client.tokens.current()
        assert token is not None
        crm.client.tokens._token = type(token)(
            token.access_token, 0.0, token.refresh_token
        )  # expired by the clock
        assert create(crm, "customer", {"name": f"After {grant}"}, f"tok2-{grant}").ok
        assert crm.client.tokens.grants >= 3


def test_concurrent_writes_from_several_threads(suitecrm: SuiteCrmInstance, crm: SuiteCrmConnector) -> None:
    assert crm.capabilities_for("customer").concurrent_writes

    def batch(n: int) -> list[WriteResult]:
        return write(
            crm, "customer", *(WriteRequest("create", f"t{n}-{k}", {"name": f"T{n}-{k}"}) for k in range(5))
        )

    with ThreadPoolExecutor(4) as pool:
        results = [r for rs in pool.map(batch, range(4)) for r in rs]
    assert all(r.ok for r in results) and len({r.id for r in results}) == 20
    assert suitecrm.sql("SELECT COUNT(*) FROM accounts WHERE deleted=0") == [["20"]]

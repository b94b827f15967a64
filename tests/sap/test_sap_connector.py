"""The SAP S/4HANA connector through pyodata against the EDMX-strict SAP Gateway emulator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Cursor, PermanentError, TransientError, WriteRequest
from connectors.sap_s4hana import SapS4HanaConnector
from sync_engine.mapping import load_mapping
from sync_engine.mapping.context import PreviewContext
from tests.emulators.sap import Exchange, SapEmulator
from tests.salesforce.e2e_helpers import MAPPINGS
from tests.sap.conftest import connection_for, contract_breaches, contracts_dir
from tests.sap.sap_data import (
    BP,
    ORDERS,
    PRODUCT_SRV,
    RETURNS,
    customer,
    customer_return,
    order,
    product,
)


class Clock:
    def __init__(self, start: datetime = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def new_customer(name: str, vat: str = "DE123", city: str = "Berlin") -> dict[str, Any]:
    """A customer as the sap_s4hana mapping writes it."""
    return {
        "OrganizationBPName1": name,
        "BusinessPartnerCategory": "2",
        "to_Customer": {"VATRegistration": vat},
        "to_BusinessPartnerAddress": [{"StreetName": "Hauptstr. 1", "CityName": city, "Country": "DE"}],
    }


def new_order(party: str, reference: str | None, *lines: tuple[str, str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {"SoldToParty": party, "TransactionCurrency": "EUR"}
    if reference is not None:
        data["PurchaseOrderByCustomer"] = reference
    data["to_Item"] = [
        {"Material": m, "SalesOrderItemText": "Pumpe", "RequestedQuantity": q, "NetPriceAmount": p}
        for m, q, p in lines
    ]
    return data


def all_records(
    connector: SapS4HanaConnector, entity: str, since: Cursor | None = None, size: int = 500
) -> list:
    return [r for p in connector.read_changes(entity, since, page_size=size) for r in p.records]


def requests_of(sap: SapEmulator, method: str, fragment: str = "") -> list[str]:
    return [e.path for e in sap.exchanges if e.method == method and fragment in e.path]


# -- business partners ------------------------------------------------------------------------------


def test_a_new_customer_is_created_with_roles_grouping_company_code_and_sales_area_from_the_settings(
    make_connector: Callable[..., SapS4HanaConnector], sap: SapEmulator
) -> None:
    connector = make_connector(
        company_code="2020", bp_grouping="BP02", sales_organization="2000", distribution_channel="20"
    )
    [result] = connector.write_batch(
        "customer", [WriteRequest("create", "c1", new_customer("Müller 株式会社"))]
    )
    assert result.ok, result.error
    partner = sap.get(BP, "A_BusinessPartner", result.id)
    assert partner["BusinessPartnerGrouping"] == "BP02" and partner["Customer"] == result.id
    assert {r["BusinessPartnerRole"] for r in sap.rows(BP, "A_BusinessPartnerRole")} == {"FLCU00", "FLCU01"}
    assert sap.get(BP, "A_CustomerCompany", result.id, "2020") is not None
    assert sap.get(BP, "A_CustomerSalesArea", result.id, "2000", "20", "00")["Currency"] == "EUR"
    [record] = connector.read_by_ids("customer", [result.id])
    assert record.data["OrganizationBPName1"] == "Müller 株式会社"
    assert record.data["to_Customer"]["VATRegistration"] == "DE123"
    assert record.data["to_BusinessPartnerAddress"][0]["CityName"] == "Berlin"
    assert requests_of(sap, "POST", "A_Customer") == []  # never the non-creatable A_Customer


def test_the_sales_area_of_new_customers_lets_sap_take_their_orders(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    [made] = connector.write_batch("customer", [WriteRequest("create", "c1", new_customer("Käufer AG"))])
    sap.seed(PRODUCT_SRV, "A_Product", product("TG11"))
    [placed] = connector.write_batch(
        "sales_order", [WriteRequest("create", "q1", new_order(made.id, "EST-1", ("TG11", "1", "5.00")))]
    )
    assert placed.ok, placed.error


def test_only_business_partners_that_are_customers_are_read(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    sap.seed(
        BP, "A_BusinessPartner", {"OrganizationBPName1": "Lieferant GmbH", "BusinessPartnerCategory": "2"}
    )
    kunde = sap.seed(BP, "A_BusinessPartner", customer("Kunde GmbH"))["BusinessPartner"]
    assert [r.id for r in all_records(connector, "customer")] == [kunde]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York"])
def test_partners_are_read_by_change_time_or_creation_time_in_the_systems_time_zone(zone: str) -> None:
    clock = Clock()
    with SapEmulator(contracts_dir(), clock=clock, timezone=zone) as sap:
        old = sap.seed(BP, "A_BusinessPartner", customer("Old"))["BusinessPartner"]
        clock.now += timedelta(hours=1)
        fresh = sap.seed(BP, "A_BusinessPartner", customer("Fresh"))["BusinessPartner"]
        clock.now += timedelta(hours=1)
        sap.change(BP, "A_BusinessPartner", (old,), OrganizationBPName1="Old, renamed")
        assert sap.get(BP, "A_BusinessPartner", fresh).get("LastChangeDate") is None
        with SapS4HanaConnector(connection_for(sap, timezone=zone), {}) as connector:
            records = all_records(connector, "customer")
            assert [(r.id, r.modified) for r in records] == [
                (fresh, datetime(2026, 3, 2, 10, 0, tzinfo=UTC)),
                (old, datetime(2026, 3, 2, 11, 0, tzinfo=UTC)),
            ]
            since = Cursor(datetime(2026, 3, 2, 10, 30, tzinfo=UTC))
            assert [r.id for r in all_records(connector, "customer", since)] == [old]
            since = Cursor(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
            assert [r.id for r in all_records(connector, "customer", since)] == [fresh, old]


def test_local_stamps_read_as_utc_would_be_hours_off_which_the_timezone_setting_prevents() -> None:
    clock = Clock()
    with SapEmulator(contracts_dir(), clock=clock, timezone="Asia/Tokyo") as sap:
        partner = sap.seed(BP, "A_BusinessPartner", customer("東京商事"))["BusinessPartner"]
        with SapS4HanaConnector(connection_for(sap), {}) as naive:  # no timezone: taken as UTC
            assert naive.read_by_ids("customer", [partner])[0].modified == clock.now + timedelta(hours=9)
        with SapS4HanaConnector(connection_for(sap, timezone="Asia/Tokyo"), {}) as connector:
            assert connector.read_by_ids("customer", [partner])[0].modified == clock.now
            assert all_records(connector, "customer", Cursor(clock.now + timedelta(seconds=1))) == []


def test_an_unknown_timezone_is_refused_naming_the_setting(sap: SapEmulator) -> None:
    with pytest.raises(PermanentError, match=r"timezone .Europe/Berlinn.*IANA"):
        SapS4HanaConnector(connection_for(sap, timezone="Europe/Berlinn"), {})


def test_customer_update_changes_customer_data_and_addresses_without_if_match(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    bp = sap.seed(BP, "A_BusinessPartner", customer("A", vat="DE1"))["BusinessPartner"]
    connector.read_by_ids("customer", [bp])
    data = {
        "OrganizationBPName1": "A & Co",
        "to_Customer": {"VATRegistration": "DE999"},
        "to_BusinessPartnerAddress": [
            {"CityName": "Köln", "Country": "DE"},
            {"CityName": "Bonn", "Country": "DE"},
        ],
    }
    [result] = connector.write_batch("customer", [WriteRequest("update", "c", data, bp)])
    assert result.ok, result.error
    [record] = connector.read_by_ids("customer", [bp])
    assert record.data["OrganizationBPName1"] == "A & Co"
    assert record.data["to_Customer"]["VATRegistration"] == "DE999"
    assert [a["CityName"] for a in record.data["to_BusinessPartnerAddress"]] == ["Köln", "Bonn"]
    assert all(e.refusal is None for e in sap.exchanges)


def test_a_partner_without_customer_roles_gets_them_when_its_customer_data_changes(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    bp = sap.seed(BP, "A_BusinessPartner", {"OrganizationBPName1": "Neu", "BusinessPartnerCategory": "2"})
    update = WriteRequest("update", "c", {"to_Customer": {"VATRegistration": "DE5"}}, bp["BusinessPartner"])
    [result] = connector.write_batch("customer", [update])
    assert result.ok, result.error
    assert sap.get(BP, "A_Customer", bp["BusinessPartner"])["VATRegistration"] == "DE5"


def test_a_change_made_in_sap_after_the_read_is_not_overwritten_though_partners_have_no_etag(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    clock = Clock()
    sap.clock = clock
    bp = sap.seed(BP, "A_BusinessPartner", customer("Original"))["BusinessPartner"]
    all_records(connector, "customer")  # SyncHub reads ...
    clock.now += timedelta(seconds=5)
    sap.change(BP, "A_BusinessPartner", (bp,), OrganizationBPName1="Changed in SAP")  # ... a user edits
    update = WriteRequest("update", "c", {"OrganizationBPName1": "From CRM"}, bp)
    [result] = connector.write_batch("customer", [update])
    assert not result.ok and result.transient and "changed in SAP after SyncHub read it" in result.error
    assert sap.get(BP, "A_BusinessPartner", bp)["OrganizationBPName1"] == "Changed in SAP"
    all_records(connector, "customer")  # the next run reads it again
    [again] = connector.write_batch("customer", [update])
    assert again.ok, again.error
    assert sap.get(BP, "A_BusinessPartner", bp)["OrganizationBPName1"] == "From CRM"


def test_deletes_sap_forbids_are_refused_per_record_naming_deletes_archive_and_never_sent(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    bp = sap.seed(BP, "A_BusinessPartner", customer("Bleibt"))["BusinessPartner"]
    sap.seed(PRODUCT_SRV, "A_Product", product("STAYS"))
    [partner] = connector.write_batch("customer", [WriteRequest("delete", "c", {}, bp)])
    [item] = connector.write_batch("product", [WriteRequest("delete", "p", {}, "STAYS")])
    assert (
        not partner.ok and "deletes: archive" in partner.error and "BusinessPartnerIsBlocked" in partner.error
    )
    assert not item.ok and "deletes: archive" in item.error and "IsMarkedForDeletion" in item.error
    assert requests_of(sap, "DELETE") == []
    assert sap.get(BP, "A_BusinessPartner", bp) is not None


def test_archiving_a_customer_blocks_the_partner(connector: SapS4HanaConnector, sap: SapEmulator) -> None:
    """``deletes: archive`` makes a deletion an update of ``active: false``; SAP's flag for it."""
    bp = sap.seed(BP, "A_BusinessPartner", customer("Archiv AG"))["BusinessPartner"]
    native = load_mapping(MAPPINGS, "sap_s4hana", "customer").to_native({"active": False}, PreviewContext())
    assert native["BusinessPartnerIsBlocked"] is True
    update = WriteRequest("update", "c", {"BusinessPartnerIsBlocked": native["BusinessPartnerIsBlocked"]}, bp)
    assert connector.write_batch("customer", [update])[0].ok
    assert sap.get(BP, "A_BusinessPartner", bp)["BusinessPartnerIsBlocked"] is True


# -- paging --------------------------------------------------------------------------------------------


def seed_products(sap: SapEmulator, clock: Clock, count: int) -> None:
    """P-000, P-001, ... changed one second apart."""
    for i in range(count):
        clock.now += timedelta(seconds=1)
        sap.seed(PRODUCT_SRV, "A_Product", product(f"P-{i:03d}"))


def test_reads_page_with_top_and_a_stable_orderby_and_never_rely_on_server_paging() -> None:
    clock = Clock()
    with SapEmulator(contracts_dir(), clock=clock) as sap:  # no server paging, like many Gateway services
        seed_products(sap, clock, 30)
        with SapS4HanaConnector(connection_for(sap), {}) as connector:
            pages = list(connector.read_changes("product", None, page_size=10))
        assert [len(p.records) for p in pages] == [10, 10, 10]
        assert [r.id for p in pages for r in p.records] == [f"P-{i:03d}" for i in range(30)]
        reads = requests_of(sap, "GET", "A_Product?")
        assert reads and all("%24top=" in path and "%2CProduct&" in path for path in reads)  # stamp, key
        assert any("%24orderby=LastChangeDateTime%2CProduct" in path for path in reads)
        assert not any("skip" in path for path in reads)


def test_a_server_that_pages_on_its_own_is_followed() -> None:
    clock = Clock()
    with SapEmulator(contracts_dir(), clock=clock, page_size=7) as sap:
        seed_products(sap, clock, 30)
        with SapS4HanaConnector(connection_for(sap), {}) as connector:
            pages = list(connector.read_changes("product", None, page_size=10))
            assert [r.id for p in pages for r in p.records] == [f"P-{i:03d}" for i in range(30)]
            assert pages[-1].cursor == Cursor(pages[-1].records[-1].modified, "P-029")
            since = Cursor(pages[1].records[-1].modified, "P-019")
            assert [r.id for r in all_records(connector, "product", since)] == [
                f"P-{i:03d}" for i in range(19, 30)
            ]


def test_records_sharing_one_millisecond_are_each_read_once_across_pages() -> None:
    """SAP keeps LastChangeDateTime to 100 ns but shows milliseconds: 25 products changed within one
    millisecond are one page key on the wire."""
    clock = Clock()
    with SapEmulator(contracts_dir(), clock=clock) as sap:
        for i in range(25):
            clock.now += timedelta(microseconds=10)
            sap.seed(PRODUCT_SRV, "A_Product", product(f"MS-{i:02d}"))
        with SapS4HanaConnector(connection_for(sap), {}) as connector:
            ids = [r.id for r in all_records(connector, "product", size=10)]
    assert sorted(ids) == [f"MS-{i:02d}" for i in range(25)]


def test_a_record_changed_during_a_scan_is_not_lost_to_shifting_pages() -> None:
    clock = Clock()
    with SapEmulator(contracts_dir(), clock=clock) as sap:
        seed_products(sap, clock, 30)
        with SapS4HanaConnector(connection_for(sap), {}) as connector:
            seen = []
            for page in connector.read_changes("product", None, page_size=10):
                seen += [r.id for r in page.records]
                if len(seen) == 10:  # a user edits an already-read product mid-scan
                    clock.now += timedelta(minutes=5)
                    sap.change(PRODUCT_SRV, "A_Product", ("P-002",), BaseUnit="KG")
    assert set(seen) == {f"P-{i:03d}" for i in range(30)}


def test_a_narrower_select_still_reads_key_and_change_stamps(
    make_connector: Callable[..., SapS4HanaConnector], sap: SapEmulator
) -> None:
    sap.seed(PRODUCT_SRV, "A_Product", product("P1", "Pumpe"))
    connector = make_connector({"fields": {"product": ["BaseUnit"]}})
    [record] = all_records(connector, "product")
    assert set(record.data) == {
        "Product",
        "LastChangeDateTime",
        "CreationDate",
        "BaseUnit",
        "ProductDescription",
    }
    assert record.id == "P1" and record.modified is not None


def test_reads_select_only_the_mapped_fields(connector: SapS4HanaConnector, sap: SapEmulator) -> None:
    sap.seed(PRODUCT_SRV, "A_Product", product("P1", GrossWeight="2.5"))
    [record] = all_records(connector, "product")
    assert "GrossWeight" not in record.data
    assert any("%24select=Product%2CProductType" in path for path in requests_of(sap, "GET"))


# -- sales orders ----------------------------------------------------------------------------------


@pytest.fixture
def buyer(sap: SapEmulator) -> str:
    party = sap.seed(BP, "A_BusinessPartner", customer("Buyer AG"))["BusinessPartner"]
    sap.seed(PRODUCT_SRV, "A_Product", product("TG11"))
    sap.seed(PRODUCT_SRV, "A_Product", product("TG12"))
    return party


def test_an_order_is_created_once_per_customer_reference_even_when_the_create_is_retried(
    connector: SapS4HanaConnector, sap: SapEmulator, buyer: str
) -> None:
    data = new_order(buyer, "EST-0042", ("TG11", "3", "12.50"))
    first = connector.write_batch("sales_order", [WriteRequest("create", "quote-1", data)])[0]
    again = connector.write_batch("sales_order", [WriteRequest("create", "quote-1", data)])[0]
    assert first.ok and again.ok and first.id == again.id, (first.error, again.error)
    [saved] = sap.rows(ORDERS, "A_SalesOrder")
    assert (saved["PurchaseOrderByCustomer"], saved["SalesOrderType"], saved["SalesOrganization"]) == (
        "EST-0042",
        "OR",
        "1010",
    )
    assert saved.get("ExternalDocumentID") is None  # not creatable: never sent
    assert sap.rows(ORDERS, "A_SalesOrderItem")[0]["SalesOrderItem"] == "10"


def test_the_crm_price_travels_as_a_manual_price_condition_and_reads_back_unchanged(
    make_connector: Callable[..., SapS4HanaConnector], sap: SapEmulator, buyer: str
) -> None:
    sap.list_prices["TG11"] = Decimal("99.00")  # SAP's own price for the material differs
    connector = make_connector()
    data = new_order(buyer, "EST-7", ("TG11", "3", "12.50"))
    [result] = connector.write_batch("sales_order", [WriteRequest("create", "q", data)])
    [element] = sap.rows(ORDERS, "A_SalesOrderItemPrElement")
    assert (element["ConditionType"], element["ConditionRateValue"]) == ("PPR0", Decimal("12.50"))
    assert sap.get(ORDERS, "A_SalesOrder", result.id)["TotalNetAmount"] == Decimal("37.500")
    [record] = connector.read_by_ids("sales_order", [result.id])
    assert [(i["Material"], i["RequestedQuantity"], i["NetPriceAmount"]) for i in record.data["to_Item"]] == [
        ("TG11", "3", "12.50")
    ]
    assert "to_PricingElement" not in record.data["to_Item"][0]


def test_with_sap_pricing_items_go_without_a_price_and_read_back_sap_s_price(
    make_connector: Callable[..., SapS4HanaConnector], sap: SapEmulator, buyer: str
) -> None:
    sap.list_prices["TG11"] = Decimal("99.00")
    connector = make_connector(order_prices="sap")
    data = new_order(buyer, "EST-8", ("TG11", "2", "12.50"))
    [result] = connector.write_batch("sales_order", [WriteRequest("create", "q", data)])
    assert result.ok, result.error
    assert sap.rows(ORDERS, "A_SalesOrderItemPrElement") == []
    [record] = connector.read_by_ids("sales_order", [result.id])
    assert record.data["to_Item"][0]["NetPriceAmount"] == "99.00"


def test_an_order_without_customer_reference_is_refused_because_a_retry_could_duplicate_it(
    connector: SapS4HanaConnector, sap: SapEmulator, buyer: str
) -> None:
    [result] = connector.write_batch(
        "sales_order", [WriteRequest("create", "q", new_order(buyer, None, ("TG11", "1", "1.00")))]
    )
    assert not result.ok and "PurchaseOrderByCustomer" in result.error and "quote_reference" in result.error
    assert result.field == "PurchaseOrderByCustomer"
    assert sap.rows(ORDERS, "A_SalesOrder") == []


def test_two_sap_orders_with_the_reference_are_named_instead_of_guessed(
    connector: SapS4HanaConnector, sap: SapEmulator, buyer: str
) -> None:
    for _ in range(2):
        sap.seed(ORDERS, "A_SalesOrder", order(buyer, ("TG11", "1", "1"), reference="EST-9"))
    [result] = connector.write_batch(
        "sales_order", [WriteRequest("create", "q", new_order(buyer, "EST-9", ("TG11", "1", "1.00")))]
    )
    assert not result.ok and "several A_SalesOrder" in result.error and "1000001, 1000002" in result.error


def test_filter_values_are_escaped_so_quotes_cannot_break_the_query(
    connector: SapS4HanaConnector, sap: SapEmulator, buyer: str
) -> None:
    sap.seed(ORDERS, "A_SalesOrder", order(buyer, ("TG11", "1", "1"), reference="plain"))
    tricky = "o'brien' or SoldToParty ne '"
    [result] = connector.write_batch(
        "sales_order", [WriteRequest("create", "q", new_order(buyer, tricky, ("TG11", "1", "1.00")))]
    )
    assert result.ok, result.error
    assert {o["PurchaseOrderByCustomer"] for o in sap.rows(ORDERS, "A_SalesOrder")} == {"plain", tricky}


def test_an_order_update_sends_the_etag_and_a_concurrent_change_is_never_overwritten(
    connector: SapS4HanaConnector, sap: SapEmulator, buyer: str
) -> None:
    number = sap.seed(ORDERS, "A_SalesOrder", order(buyer, ("TG11", "1", "1")))["SalesOrder"]
    all_records(connector, "sales_order")  # SyncHub reads (and keeps the ETag) ...
    sap.change(
        ORDERS, "A_SalesOrder", (number,), PurchaseOrderByCustomer="Changed in SAP"
    )  # ... a user edits
    update = WriteRequest("update", "o", {"PurchaseOrderByCustomer": "From CRM"}, number)
    [result] = connector.write_batch("sales_order", [update])
    assert not result.ok and result.transient and "changed in SAP" in result.error
    assert sap.get(ORDERS, "A_SalesOrder", number)["PurchaseOrderByCustomer"] == "Changed in SAP"
    [again] = connector.write_batch("sales_order", [update])  # the retry fetches the current ETag
    assert again.ok, again.error
    assert sap.get(ORDERS, "A_SalesOrder", number)["PurchaseOrderByCustomer"] == "From CRM"


def test_changed_items_of_an_existing_order_are_refused_and_unchanged_ones_pass(
    connector: SapS4HanaConnector, sap: SapEmulator, buyer: str
) -> None:
    data = new_order(buyer, "EST-3", ("TG11", "3", "12.50"))
    [made] = connector.write_batch("sales_order", [WriteRequest("create", "q", data)])
    same = WriteRequest("update", "q", {"to_Item": data["to_Item"]}, made.id)
    assert connector.write_batch("sales_order", [same])[0].ok
    more = WriteRequest(
        "update", "q", {"to_Item": new_order(buyer, "x", ("TG11", "4", "12.50"))["to_Item"]}, made.id
    )
    [refused] = connector.write_batch("sales_order", [more])
    assert not refused.ok and "change the order in SAP" in refused.error and refused.field == "to_Item"
    assert sap.rows(ORDERS, "A_SalesOrderItem")[0]["RequestedQuantity"] == Decimal(3)


def test_deleting_an_order_sap_allows_sends_the_etag(
    connector: SapS4HanaConnector, sap: SapEmulator, buyer: str
) -> None:
    number = sap.seed(ORDERS, "A_SalesOrder", order(buyer, ("TG11", "1", "1")))["SalesOrder"]
    [result] = connector.write_batch("sales_order", [WriteRequest("delete", "o", {}, number)])
    assert result.ok, result.error
    assert sap.rows(ORDERS, "A_SalesOrder") == [] and sap.rows(ORDERS, "A_SalesOrderItem") == []
    assert connector.write_batch("sales_order", [WriteRequest("delete", "o", {}, number)])[0].ok


# -- what the metadata forbids never leaves the connector -----------------------------------------------


def test_a_mapping_that_writes_a_property_sap_fills_itself_is_refused_before_sending(
    connector: SapS4HanaConnector, sap: SapEmulator, buyer: str
) -> None:
    data = {**new_order(buyer, "EST-4", ("TG11", "1", "1.00")), "TotalNetAmount": "1.00"}
    [result] = connector.write_batch("sales_order", [WriteRequest("create", "q", data)])
    assert not result.ok and result.field == "TotalNetAmount"
    assert "sap:creatable=false" in result.error and "direction: to_canonical" in result.error
    assert requests_of(sap, "POST") == []


def test_unknown_properties_are_refused_per_record_naming_the_mapping(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    [result] = connector.write_batch(
        "product", [WriteRequest("create", "p", {"Product": "X", "Colour": "red"})]
    )
    assert not result.ok and "Colour" in result.error and "mapping" in result.error
    assert sap.rows(PRODUCT_SRV, "A_Product") == []


def test_a_refused_record_reports_sap_s_message_and_the_rest_is_written(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    results = connector.write_batch(
        "customer",
        [
            WriteRequest("create", "ok1", new_customer("Fine")),
            WriteRequest("create", "bad", new_customer("N" * 41)),
            WriteRequest("create", "ok2", new_customer("Also fine")),
        ],
    )
    assert [r.ok for r in results] == [True, False, True]
    assert (
        "exceeds the maximum length of 40" in results[1].error and results[1].field == "OrganizationBPName1"
    )
    assert "[SAP /IWBEP/CM_MGW_RT/022]" in results[1].error
    assert len(sap.rows(BP, "A_BusinessPartner")) == 2


# -- products and costs ---------------------------------------------------------------------------------


def test_product_description_is_written_and_read_in_the_configured_language(
    make_connector: Callable[..., SapS4HanaConnector], sap: SapEmulator
) -> None:
    connector = make_connector(language="DE")
    create = WriteRequest("create", "p", {"Product": "TG11", "BaseUnit": "PC", "ProductDescription": "Pumpe"})
    assert connector.write_batch("product", [create])[0].ok
    connector.read_by_ids("product", ["TG11"])
    assert connector.write_batch(
        "product", [WriteRequest("update", "p", {"ProductDescription": "Pumpe XL"}, "TG11")]
    )[0].ok
    [item] = connector.read_by_ids("product", ["TG11"])
    assert item.data["ProductDescription"] == "Pumpe XL"
    assert sap.get(PRODUCT_SRV, "A_ProductDescription", "TG11", "DE")["ProductDescription"] == "Pumpe XL"


def seed_valuations(sap: SapEmulator) -> None:
    rows = [
        ("TG11", "1010", "", "S", "250.00", None, "100"),
        ("TG12", "1010", "", "V", None, "7.50", "1"),
        ("TG11", "2020", "", "S", "999.00", None, "1"),
        ("TG11", "1010", "EIGEN", "S", "111.00", None, "1"),  # split valuation: one type of the area
    ]
    for product_id, area, kind, control, std, moving, per in rows:
        sap.seed(
            PRODUCT_SRV,
            "A_ProductValuation",
            {
                "Product": product_id,
                "ValuationArea": area,
                "ValuationType": kind,
                "InventoryValuationProcedure": control,
                "StandardPrice": std,
                "MovingAveragePrice": moving,
                "PriceUnitQty": per,
                "Currency": "EUR",
            },
        )


def test_product_costs_are_unit_costs_of_the_configured_valuation_area(
    make_connector: Callable[..., SapS4HanaConnector], sap: SapEmulator
) -> None:
    seed_valuations(sap)
    connector = make_connector(valuation_area="1010")
    records = all_records(connector, "product_cost")
    assert {r.data["Product"]: r.data["UnitCost"] for r in records} == {"TG11": "2.5", "TG12": "7.5"}
    key = "Product='TG11',ValuationArea='1010',ValuationType=''"
    assert key in {r.id for r in records}
    assert connector.read_by_ids("product_cost", [key])[0].data["StandardPrice"] == "250.00"
    [refused] = connector.write_batch("product_cost", [WriteRequest("update", "x", {"Currency": "USD"}, key)])
    assert not refused.ok and "erp_to_crm" in refused.error


def test_product_costs_without_a_valuation_area_are_refused_naming_the_setting(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    seed_valuations(sap)
    with pytest.raises(PermanentError, match="valuation_area"):
        all_records(connector, "product_cost")


def test_a_unit_cost_of_whole_hundreds_is_plain_text() -> None:
    with SapEmulator(contracts_dir()) as sap:
        sap.seed(
            PRODUCT_SRV,
            "A_ProductValuation",
            {
                "Product": "B",
                "ValuationArea": "1010",
                "ValuationType": "",
                "InventoryValuationProcedure": "S",
                "StandardPrice": "100.00",
                "PriceUnitQty": "1",
                "Currency": "EUR",
            },
        )
        with SapS4HanaConnector(connection_for(sap, valuation_area="1010"), {}) as connector:
            assert all_records(connector, "product_cost")[0].data["UnitCost"] == "100"


# -- complaints (customer returns) -------------------------------------------------------------------


def test_a_complaint_becomes_a_return_with_the_items_of_its_order(
    make_connector: Callable[..., SapS4HanaConnector], sap: SapEmulator, buyer: str, returns_service: None
) -> None:
    number = sap.seed(ORDERS, "A_SalesOrder", order(buyer, ("TG11", "3", "1"), ("TG12", "2", "1")))[
        "SalesOrder"
    ]
    connector = make_connector(return_reason="103")
    complaint = {"SoldToParty": buyer, "Subject": "Pumpe defekt", "ReferenceSDDocument": number}
    [result] = connector.write_batch("complaint", [WriteRequest("create", "case-1", complaint)])
    assert result.ok, result.error
    returned = sap.get(RETURNS, "A_CustomerReturn", result.id)
    assert (returned["CustomerReturnType"], returned["PurchaseOrderByCustomer"]) == ("CBAR", "Pumpe defekt")
    items = sorted(sap.rows(RETURNS, "A_CustomerReturnItem"), key=lambda i: i["Material"])
    assert [
        (i["Material"], i["RequestedQuantity"], i["ReturnReason"], i["ReferenceSDDocumentItem"])
        for i in items
    ] == [
        ("TG11", Decimal(3), "103", "10"),
        ("TG12", Decimal(2), "103", "20"),
    ]
    [again] = connector.write_batch("complaint", [WriteRequest("create", "case-1", complaint)])
    assert again.id == result.id and len(sap.rows(RETURNS, "A_CustomerReturn")) == 1
    [record] = all_records(connector, "complaint")
    assert (record.data["Subject"], record.data["ReferenceSDDocument"]) == ("Pumpe defekt", number)


def test_a_complaint_without_an_order_is_refused_with_the_reason(
    make_connector: Callable[..., SapS4HanaConnector], sap: SapEmulator, buyer: str, returns_service: None
) -> None:
    connector = make_connector(return_reason="103")
    [result] = connector.write_batch(
        "complaint", [WriteRequest("create", "case-2", {"SoldToParty": buyer, "Subject": "Lieferung fehlt"})]
    )
    assert not result.ok and "names none (order_id)" in result.error and "erp_to_crm" in result.error
    assert sap.rows(RETURNS, "A_CustomerReturn") == [] and requests_of(sap, "POST") == []


def test_a_return_entered_in_sap_without_reference_gets_a_subject(
    connector: SapS4HanaConnector, sap: SapEmulator, buyer: str, returns_service: None
) -> None:
    body = {**customer_return(buyer, "TG11"), "PurchaseOrderByCustomer": None}
    number = sap.seed(RETURNS, "A_CustomerReturn", body)["CustomerReturn"]
    [record] = all_records(connector, "complaint")
    assert record.data["Subject"] == f"Customer return {number}"


# -- sessions and failures ----------------------------------------------------------------------------


def test_an_expired_csrf_token_is_fetched_again_once(connector: SapS4HanaConnector, sap: SapEmulator) -> None:
    assert connector.write_batch("customer", [WriteRequest("create", "a", new_customer("A"))])[0].ok
    sap.expire_csrf_tokens()
    assert connector.write_batch("customer", [WriteRequest("create", "b", new_customer("B"))])[0].ok
    fetches = [p for p in requests_of(sap, "GET") if p.endswith("API_BUSINESS_PARTNER/?sap-client=100")]
    assert len(fetches) == 2
    assert len(sap.rows(BP, "A_BusinessPartner")) == 2


def test_oauth_client_credentials_logon(sap: SapEmulator) -> None:
    settings = connection_for(sap, auth="oauth", token_url=sap.token_url)
    settings = type(settings)(**{**settings.__dict__, "login": sap.client_id, "password": sap.client_secret})
    with SapS4HanaConnector(settings, {}) as connector:
        assert connector.write_batch("customer", [WriteRequest("create", "c", new_customer("OAuth AG"))])[
            0
        ].ok
    wrong = type(settings)(**{**settings.__dict__, "password": "wrong"})
    with pytest.raises(PermanentError, match="OAuth token request refused"):
        SapS4HanaConnector(wrong, {}).read_by_ids("customer", ["1"])


def test_bad_password_is_a_permanent_error_naming_the_fix(sap: SapEmulator) -> None:
    settings = connection_for(sap)
    wrong = type(settings)(**{**settings.__dict__, "password": "nope"})
    with pytest.raises(PermanentError, match="HTTP 401"):
        list(SapS4HanaConnector(wrong, {}).read_changes("customer", None))


def test_server_trouble_is_transient_for_reads_and_writes(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    connector.read_by_ids("customer", ["1"])  # metadata loaded
    sap.fail_next(503, method="GET")
    with pytest.raises(TransientError):
        list(connector.read_changes("customer", None))
    sap.fail_next(503, method="POST")
    [result] = connector.write_batch("customer", [WriteRequest("create", "c", new_customer("Later"))])
    assert not result.ok and result.transient and "Service temporarily unavailable" in result.error


def test_requests_name_synchub_as_their_client(connector: SapS4HanaConnector, sap: SapEmulator) -> None:
    connector.read_by_ids("customer", ["1"])
    assert {e.user_agent for e in sap.exchanges} == {"SyncHub-sap_s4hana"}


def test_the_session_check_flags_forbidden_requests_of_the_connector_only() -> None:
    journal = [
        Exchange("DELETE", "/A_BusinessPartner('1')", "SyncHub-sap_s4hana", 405, "contract", "not deletable"),
        Exchange("POST", "/A_BusinessPartner", "SyncHub-sap_s4hana", 400, "value", "too long"),
        Exchange("POST", "/A_Customer", "contract-walk", 405, "contract", "not creatable"),
        Exchange("GET", "/A_Product", "SyncHub-sap_s4hana", 200),
    ]
    assert contract_breaches(journal) == ["DELETE /A_BusinessPartner('1'): not deletable"]


def test_a_system_whose_metadata_forbids_filtering_the_change_stamp_is_a_clear_permanent_error(
    tmp_path: Path,
) -> None:
    for edmx in contracts_dir().glob("*.edmx"):
        text = edmx.read_text(encoding="utf-8")
        if edmx.stem == PRODUCT_SRV:
            text = text.replace(
                '<Property Name="LastChangeDateTime" Type="Edm.DateTimeOffset"',
                '<Property Name="LastChangeDateTime" sap:filterable="false" Type="Edm.DateTimeOffset"',
            )
        (tmp_path / edmx.name).write_text(text, encoding="utf-8")
    with SapEmulator(tmp_path) as sap, SapS4HanaConnector(connection_for(sap), {}) as connector:
        with pytest.raises(PermanentError, match=r"A_ProductType.LastChangeDateTime is not filterable"):
            all_records(connector, "product")
        assert requests_of(sap, "GET", "A_Product?") == []


def test_an_update_of_a_property_sap_keeps_to_itself_is_refused_before_sending(
    connector: SapS4HanaConnector, sap: SapEmulator, buyer: str
) -> None:
    number = sap.seed(ORDERS, "A_SalesOrder", order(buyer, ("TG11", "1", "1")))["SalesOrder"]
    [result] = connector.write_batch(
        "sales_order", [WriteRequest("update", "o", {"OverallSDProcessStatus": "C"}, number)]
    )
    assert (
        not result.ok and "sap:updatable=false" in result.error and result.field == "OverallSDProcessStatus"
    )
    assert requests_of(sap, "PATCH") == []


def test_the_server_time_is_sap_s_clock_from_its_last_answer() -> None:
    clock = Clock()  # SAP's clock, hours away from this machine's
    with (
        SapEmulator(contracts_dir(), clock=clock) as sap,
        SapS4HanaConnector(connection_for(sap), {}) as connector,
    ):
        assert connector.server_time() is None  # nothing asked yet: the engine uses its own clock
        connector.read_by_ids("customer", ["1"])
        told = connector.server_time()
        assert told is not None and timedelta(0) <= told - clock.now < timedelta(seconds=5)


def test_an_update_of_customer_data_alone_also_respects_a_change_made_in_sap(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    clock = Clock()
    sap.clock = clock
    bp = sap.seed(BP, "A_BusinessPartner", customer("Stamm AG", vat="DE1"))["BusinessPartner"]
    all_records(connector, "customer")
    clock.now += timedelta(seconds=5)
    sap.change(BP, "A_BusinessPartner", (bp,), OrganizationBPName1="Stamm AG & Co")
    update = WriteRequest("update", "c", {"to_Customer": {"VATRegistration": "DE2"}}, bp)
    [result] = connector.write_batch("customer", [update])
    assert not result.ok and result.transient
    assert sap.get(BP, "A_Customer", bp)["VATRegistration"] == "DE1"


def test_checking_the_items_of_an_order_does_not_refresh_the_etag_its_update_sends(
    connector: SapS4HanaConnector, sap: SapEmulator, buyer: str
) -> None:
    data = new_order(buyer, "EST-5", ("TG11", "3", "12.50"))
    [made] = connector.write_batch("sales_order", [WriteRequest("create", "q", data)])
    all_records(connector, "sales_order")  # SyncHub reads ...
    sap.change(ORDERS, "A_SalesOrder", (made.id,), PurchaseOrderByCustomer="EST-5 (SAP)")  # ... a user edits
    both = {"to_Item": data["to_Item"], "SalesOrderDate": "2026-03-03"}
    [result] = connector.write_batch("sales_order", [WriteRequest("update", "q", both, made.id)])
    assert not result.ok and result.transient, result
    assert sap.get(ORDERS, "A_SalesOrder", made.id).get("SalesOrderDate") is None

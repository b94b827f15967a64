"""The SAP S/4HANA connector through pyodata against the EDMX-driven SAP Gateway emulator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import Cursor, PermanentError, TransientError, WriteRequest
from connectors.sap_s4hana import SapS4HanaConnector
from tests.emulators.sap import SapEmulator
from tests.sap.conftest import connection_for, contracts_dir

BP, PRODUCT_SRV, ORDERS, RETURNS = (
    "API_BUSINESS_PARTNER",
    "API_PRODUCT_SRV",
    "API_SALES_ORDER_SRV",
    "API_CUSTOMER_RETURN_SRV",
)


def partner(name: str, vat: str = "DE123", city: str = "Berlin") -> dict:
    return {
        "OrganizationBPName1": name,
        "BusinessPartnerCategory": "2",
        "to_Customer": {"VATRegistration": vat},
        "to_BusinessPartnerAddress": [{"StreetName": "Hauptstr. 1", "CityName": city, "Country": "DE"}],
    }


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_customer_is_created_by_deep_insert_and_read_back_with_role_and_address(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    [result] = connector.write_batch("customer", [WriteRequest("create", "c1", partner("Müller 株式会社"))])
    assert result.ok, result.error
    [record] = connector.read_by_ids("customer", [result.id])
    assert record.data["OrganizationBPName1"] == "Müller 株式会社"
    assert record.data["to_Customer"]["VATRegistration"] == "DE123"
    assert record.data["to_BusinessPartnerAddress"][0]["CityName"] == "Berlin"
    assert sap.get(BP, "A_Customer", result.id) is not None  # the customer role exists in SAP


def test_never_changed_partners_are_read_by_creation_time_and_changed_ones_by_change_time() -> None:
    clock = Clock()
    with SapEmulator(contracts_dir(), clock=clock) as sap:
        old = sap.seed(BP, "A_BusinessPartner", partner("Old"))["BusinessPartner"]
        clock.now += timedelta(hours=1)
        fresh = sap.seed(BP, "A_BusinessPartner", partner("Fresh"))["BusinessPartner"]
        clock.now += timedelta(hours=1)
        sap.change(BP, "A_BusinessPartner", (old,), OrganizationBPName1="Old, renamed")
        assert sap.get(BP, "A_BusinessPartner", fresh).get("LastChangeDate") is None
        connector = SapS4HanaConnector(connection_for(sap), {})
        records = [r for p in connector.read_changes("customer", None) for r in p.records]
        assert [(r.id, r.modified) for r in records] == [
            (fresh, datetime(2026, 3, 2, 10, 0, tzinfo=UTC)),
            (old, datetime(2026, 3, 2, 11, 0, tzinfo=UTC)),
        ]
        since = Cursor(datetime(2026, 3, 2, 10, 30, tzinfo=UTC))
        assert [r.id for p in connector.read_changes("customer", since) for r in p.records] == [old]
        since = Cursor(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
        assert [r.id for p in connector.read_changes("customer", since) for r in p.records] == [fresh, old]
        connector.close()


def test_reads_follow_next_links_across_server_pages_in_change_order() -> None:
    clock = Clock()
    with SapEmulator(contracts_dir(), clock=clock, page_size=7) as sap:
        for i in range(30):
            clock.now += timedelta(seconds=1)
            sap.seed(PRODUCT_SRV, "A_Product", {"Product": f"P-{i:03d}", "BaseUnit": "PC"})
        connector = SapS4HanaConnector(connection_for(sap), {})
        pages = list(connector.read_changes("product", None, page_size=10))
        ids = [r.id for p in pages for r in p.records]
        assert ids == [f"P-{i:03d}" for i in range(30)]
        assert [len(p.records) for p in pages] == [10, 10, 10]
        assert pages[-1].cursor == Cursor(pages[-1].records[-1].modified, "P-029")
        assert sum("skiptoken" in path for _, path in sap.log) == 4  # 30 rows in pages of 7
        since = Cursor(pages[1].records[-1].modified, "P-019")
        again = [r.id for p in connector.read_changes("product", since) for r in p.records]
        assert again == [f"P-{i:03d}" for i in range(19, 30)]
        connector.close()


def test_reads_select_only_the_mapped_fields(connector: SapS4HanaConnector, sap: SapEmulator) -> None:
    sap.seed(PRODUCT_SRV, "A_Product", {"Product": "P1", "BaseUnit": "PC", "GrossWeight": "2.5"})
    [record] = [r for p in connector.read_changes("product", None) for r in p.records]
    assert "GrossWeight" not in record.data
    assert any("%24select=Product%2CProductType" in path for _, path in sap.log)


def test_filter_values_are_escaped_so_quotes_cannot_break_the_query(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    ref = "o'brien' or SalesOrder ne '"
    sap.seed(BP, "A_BusinessPartner", partner("X"))
    sap.seed(PRODUCT_SRV, "A_Product", {"Product": "M1"})
    first = WriteRequest("create", ref, {"SoldToParty": "1000001", "TransactionCurrency": "EUR"})
    assert connector.write_batch("sales_order", [first])[0].ok
    other = WriteRequest("create", "plain", {"SoldToParty": "1000001", "TransactionCurrency": "EUR"})
    [result] = connector.write_batch("sales_order", [other])
    assert result.ok and result.id != "1000001"  # the quoted ref did not match the other order
    assert len(sap.rows(ORDERS, "A_SalesOrder")) == 2


def test_an_order_is_created_once_with_its_items_even_when_the_create_is_retried(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    sap.seed(BP, "A_BusinessPartner", partner("Buyer"))
    sap.seed(PRODUCT_SRV, "A_Product", {"Product": "TG11"})
    order = {
        "SoldToParty": "1000001",
        "PurchaseOrderByCustomer": "EST-0042",
        "TransactionCurrency": "EUR",
        "to_Item": [{"Material": "TG11", "RequestedQuantity": "3", "NetPriceAmount": "12.50"}],
    }
    first = connector.write_batch("sales_order", [WriteRequest("create", "quote-1", order)])[0]
    again = connector.write_batch("sales_order", [WriteRequest("create", "quote-1", order)])[0]
    assert first.ok and again.ok and first.id == again.id
    assert len(sap.rows(ORDERS, "A_SalesOrder")) == 1
    [record] = connector.read_by_ids("sales_order", [first.id])
    assert record.ref == "quote-1"
    assert record.data["PurchaseOrderByCustomer"] == "EST-0042"
    assert [(i["Material"], i["RequestedQuantity"], i["NetPriceAmount"]) for i in record.data["to_Item"]] == [
        ("TG11", "3", "12.50")
    ]
    assert sap.rows(ORDERS, "A_SalesOrderItem")[0]["SalesOrderItem"] == "10"


def test_a_refused_record_reports_sap_message_and_the_rest_is_written(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    results = connector.write_batch(
        "customer",
        [
            WriteRequest("create", "ok1", partner("Fine")),
            WriteRequest("create", "bad", partner("N" * 41)),
            WriteRequest("create", "ok2", partner("Also fine")),
        ],
    )
    assert [r.ok for r in results] == [True, False, True]
    assert "exceeds the maximum length of 40" in results[1].error
    assert results[1].field == "OrganizationBPName1"
    assert "[SAP /IWBEP/CM_MGW_RT/022]" in results[1].error
    assert len(sap.rows(BP, "A_BusinessPartner")) == 2


def test_unknown_properties_are_refused_by_the_emulator_per_record(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    [result] = connector.write_batch(
        "product", [WriteRequest("create", "p", {"Product": "X", "Colour": "red"})]
    )
    assert not result.ok and "Colour" in result.error and "mapping" in result.error
    assert sap.rows(PRODUCT_SRV, "A_Product") == []


def test_an_expired_csrf_token_is_fetched_again_once(connector: SapS4HanaConnector, sap: SapEmulator) -> None:
    assert connector.write_batch("customer", [WriteRequest("create", "a", partner("A"))])[0].ok
    sap.expire_csrf_tokens()
    assert connector.write_batch("customer", [WriteRequest("create", "b", partner("B"))])[0].ok
    fetches = [
        path
        for method, path in sap.log
        if method == "GET" and path.endswith("API_BUSINESS_PARTNER/?sap-client=100")
    ]
    assert len(fetches) == 2
    assert len(sap.rows(BP, "A_BusinessPartner")) == 2


def test_a_concurrent_change_gives_412_and_is_never_overwritten(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    bp = sap.seed(BP, "A_BusinessPartner", partner("Original"))["BusinessPartner"]
    list(connector.read_changes("customer", None))  # SyncHub reads (and keeps the ETag) ...
    sap.change(BP, "A_BusinessPartner", (bp,), OrganizationBPName1="Changed in SAP")  # ... a user edits
    update = WriteRequest("update", "c", {"OrganizationBPName1": "From CRM"}, bp)
    [result] = connector.write_batch("customer", [update])
    assert not result.ok and result.transient and "HTTP 412" in result.error
    assert sap.get(BP, "A_BusinessPartner", bp)["OrganizationBPName1"] == "Changed in SAP"
    [again] = connector.write_batch("customer", [update])  # the retry re-reads the current ETag
    assert again.ok
    assert sap.get(BP, "A_BusinessPartner", bp)["OrganizationBPName1"] == "From CRM"


def test_an_update_without_etag_is_refused_by_sap_with_428(sap: SapEmulator) -> None:
    import requests

    sap.seed(BP, "A_BusinessPartner", partner("X"))
    session = requests.Session()
    session.auth = (sap.user, sap.password)
    base = f"{sap.url}/sap/opu/odata/sap/{BP}/"
    token = session.get(base, headers={"X-CSRF-Token": "Fetch"}).headers["X-CSRF-Token"]
    url = f"{base}A_BusinessPartner('1000001')"
    resp = session.patch(url, json={"OrganizationBPName1": "Y"}, headers={"X-CSRF-Token": token})
    assert resp.status_code == 428
    assert resp.json()["error"]["message"]["value"].startswith("Precondition required")


def test_customer_update_changes_role_and_address(connector: SapS4HanaConnector, sap: SapEmulator) -> None:
    bp = sap.seed(BP, "A_BusinessPartner", partner("A", vat="DE1"))["BusinessPartner"]
    data = {
        "to_Customer": {"VATRegistration": "DE999"},
        "to_BusinessPartnerAddress": [
            {"CityName": "Köln", "Country": "DE"},
            {"CityName": "Bonn", "Country": "DE"},
        ],
    }
    assert connector.write_batch("customer", [WriteRequest("update", "c", data, bp)])[0].ok
    [record] = connector.read_by_ids("customer", [bp])
    assert record.data["to_Customer"]["VATRegistration"] == "DE999"
    assert [a["CityName"] for a in record.data["to_BusinessPartnerAddress"]] == ["Köln", "Bonn"]


def test_product_description_is_written_and_read_in_the_configured_language(
    make_connector: Callable[..., SapS4HanaConnector],
) -> None:
    connector = make_connector({"valuation_area": "1010"})
    assert connector.write_batch(
        "product",
        [WriteRequest("create", "p", {"Product": "TG11", "BaseUnit": "PC", "ProductDescription": "Pump"})],
    )[0].ok
    connector.write_batch("product", [WriteRequest("update", "p", {"ProductDescription": "Pump XL"}, "TG11")])
    [product] = connector.read_by_ids("product", ["TG11"])
    assert product.data["ProductDescription"] == "Pump XL"


def test_product_costs_are_unit_costs_of_the_configured_valuation_area(
    make_connector: Callable[..., SapS4HanaConnector], sap: SapEmulator
) -> None:
    rows = [
        ("TG11", "1010", "S", "250.00", None, "100"),
        ("TG12", "1010", "V", None, "7.50", "1"),
        ("TG11", "2020", "S", "999.00", None, "1"),
    ]
    for product, area, control, std, moving, per in rows:
        sap.seed(
            PRODUCT_SRV,
            "A_ProductValuation",
            {
                "Product": product,
                "ValuationArea": area,
                "ValuationType": "",
                "InventoryValuationProcedure": control,
                "StandardPrice": std,
                "MovingAveragePrice": moving,
                "PriceUnitQty": per,
                "Currency": "EUR",
            },
        )
    connector = make_connector(valuation_area="1010")
    records = [r for p in connector.read_changes("product_cost", None) for r in p.records]
    assert {r.data["Product"]: r.data["UnitCost"] for r in records} == {"TG11": "2.5", "TG12": "7.5"}
    key = "Product='TG11',ValuationArea='1010',ValuationType=''"
    assert key in {r.id for r in records}
    assert connector.read_by_ids("product_cost", [key])[0].data["StandardPrice"] == "250.00"
    [refused] = connector.write_batch("product_cost", [WriteRequest("update", "x", {"Currency": "USD"}, key)])
    assert not refused.ok and "erp_to_crm" in refused.error


def test_customer_returns_carry_reason_and_referenced_order(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    sap.seed(BP, "A_BusinessPartner", partner("Buyer"))
    data = {
        "SoldToParty": "1000001",
        "SDDocumentReason": "R01",
        "PurchaseOrderByCustomer": "Pump arrived broken",
        "ReferenceSDDocument": "1000001",
    }
    [result] = connector.write_batch("complaint", [WriteRequest("create", "case-1", data)])
    assert result.ok, result.error
    [record] = [r for p in connector.read_changes("complaint", None) for r in p.records]
    assert record.data["SDDocumentReason"] == "R01" and record.data["ReferenceSDDocument"] == "1000001"
    assert sap.get(RETURNS, "A_CustomerReturn", result.id)["CustomerReturnType"] == "CBAR"


def test_oauth_client_credentials_logon(sap: SapEmulator) -> None:
    settings = connection_for(sap, auth="oauth", token_url=sap.token_url)
    settings = type(settings)(**{**settings.__dict__, "login": sap.client_id, "password": sap.client_secret})
    with SapS4HanaConnector(settings, {}) as connector:
        assert connector.write_batch("customer", [WriteRequest("create", "c", partner("OAuth AG"))])[0].ok
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
    [result] = connector.write_batch("customer", [WriteRequest("create", "c", partner("Later"))])
    assert not result.ok and result.transient and "Service temporarily unavailable" in result.error

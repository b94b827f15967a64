"""The SAP connector as an SDK connector: its entity declarations agree with SAP's EDMX, product costs
read as snapshots, ids are listed by a key-only scan, records link to Fiori, errors are classified."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import requests
from pyodata.exceptions import HttpError, PyODataException
from pyodata.v2.model import Config, MetadataBuilder

from connectors.base import PermanentError, TransientError, WriteRequest
from connectors.sap_s4hana import SapS4HanaConnector
from connectors.sap_s4hana.entities import ENTITY_TYPES
from tests.emulators.sap import SapEmulator
from tests.sap.conftest import CORE_SERVICES, RETURNS_SERVICE, connection_for, contracts_dir
from tests.sap.sap_data import BP, PRODUCT_SRV, customer, product

logging.getLogger("pyodata").setLevel(logging.ERROR)


def schema(service: str) -> object:
    path = contracts_dir(*CORE_SERVICES, RETURNS_SERVICE) / f"{service}.edmx"
    return MetadataBuilder(path.read_bytes(), config=Config(retain_null=True)).build()


@pytest.mark.parametrize("entity", ENTITY_TYPES, ids=lambda e: e.name)
def test_each_entity_declares_what_the_edmx_says_or_less(entity: type) -> None:
    """Never more than SAP allows: a capability the EDMX denies is denied; the key and the change
    stamp are the entity set's own, and the stamp can be filtered and sorted on."""
    entity_set = schema(entity.service).entity_set(entity.native)
    etype = entity_set.entity_type
    assert tuple(p.name for p in etype.key_proprties) == entity.key
    assert entity.id_field == ",".join(entity.key)
    for allowed, declared in (
        (entity_set.creatable, entity.can_create),
        (entity_set.updatable, entity.can_update),
        (entity_set.deletable, entity.can_delete),
    ):
        assert allowed or not declared, f"{entity.name} claims what {entity.native} does not allow"
    assert entity.can_delete == entity_set.deletable or entity.name == "product_cost"  # read only
    if entity.modified_field is not None:
        stamp = etype.proprty(entity.modified_field)
        assert stamp.filterable and stamp.sortable


def test_capabilities_the_engine_plans_with(connector: SapS4HanaConnector) -> None:
    customers = connector.capabilities_for("customer")
    assert (customers.change_tracking, customers.can_delete) == ("cursor", False)
    assert not customers.batch_writes
    assert customers.max_batch_size == 100 and not customers.upsert_by_external_id
    costs = connector.capabilities_for("product_cost")
    assert (costs.change_tracking, costs.can_create, costs.can_update) == ("none", False, False)
    assert connector.capabilities_for("sales_order").can_delete


# -- product costs: a snapshot in key order -------------------------------------------------------------


def seed_costs(sap: SapEmulator, *products: str, area: str = "1010") -> None:
    for name in products:
        sap.seed(
            PRODUCT_SRV,
            "A_ProductValuation",
            {
                "Product": name,
                "ValuationArea": area,
                "ValuationType": "",
                "InventoryValuationProcedure": "S",
                "StandardPrice": "10.00",
                "PriceUnitQty": "1",
                "Currency": "EUR",
            },
        )


def test_product_costs_are_read_whole_in_key_order_without_a_cursor(
    make_connector: Callable[..., SapS4HanaConnector], sap: SapEmulator
) -> None:
    seed_costs(sap, "C5", "C1", "C4", "C2", "C3")
    seed_costs(sap, "C9", area="2020")  # another area: not this connection's
    connector = make_connector(valuation_area="1010")
    pages = list(connector.read_changes("product_cost", None, page_size=2))
    assert [[r.data["Product"] for r in p.records] for p in pages] == [["C1", "C2"], ["C3", "C4"], ["C5"]]
    assert all(p.cursor is None for p in pages)
    reads = [e.path for e in sap.exchanges if e.method == "GET" and "A_ProductValuation?" in e.path]
    assert all("%24top=" in p and "%24orderby=Product%2CValuationArea%2CValuationType" in p for p in reads)
    assert len(list(connector.list_ids("product_cost"))) == 5


def test_a_product_cost_is_never_written(
    make_connector: Callable[..., SapS4HanaConnector], sap: SapEmulator
) -> None:
    seed_costs(sap, "C1")
    connector = make_connector(valuation_area="1010")
    [key] = connector.list_ids("product_cost")
    results = connector.write_batch(
        "product_cost",
        [
            WriteRequest("create", "c", {"Product": "C2"}),
            WriteRequest("update", "u", {"StandardPrice": "1"}, key),
            WriteRequest("delete", "d", {}, key),
        ],
    )
    assert [r.ok for r in results] == [False, False, False]
    assert all("erp_to_crm" in (r.error or "") and not r.transient for r in results)
    assert [e for e in sap.exchanges if e.method not in ("GET", "HEAD")] == []


# -- ids, links, errors ----------------------------------------------------------------------------------


def test_ids_are_listed_by_a_key_only_scan_of_the_entity_s_scope(
    connector: SapS4HanaConnector, sap: SapEmulator
) -> None:
    kunden = [sap.seed(BP, "A_BusinessPartner", customer(f"Kunde {i}"))["BusinessPartner"] for i in range(3)]
    sap.seed(BP, "A_BusinessPartner", {"OrganizationBPName1": "Lieferant", "BusinessPartnerCategory": "2"})
    assert sorted(connector.list_ids("customer")) == sorted(kunden)
    [scan] = [e.path for e in sap.exchanges if "A_BusinessPartner?" in e.path]
    assert scan.endswith("%24select=BusinessPartner") and "expand" not in scan


def test_records_link_to_their_fiori_app(make_connector: Callable[..., SapS4HanaConnector]) -> None:
    connector = make_connector()
    base = connector.sap.base_url
    assert connector.record_url("sales_order", "1000001") == (
        f"{base}/sap/bc/ui2/flp?sap-client=100#SalesOrder-displayFactSheet?SalesOrder=1000001"
    )
    cost = "Product='A/B 1',ValuationArea='1010',ValuationType=''"
    link = connector.record_url("product_cost", cost)
    assert link is not None and link.endswith("#Material-displayFactSheet?Material=A%2FB%201")
    other = make_connector(
        launchpad_url="https://fiori.example.com/ui", fiori_intents={"customer": "Customer-manage"}
    )
    assert other.record_url("customer", "17") == (
        "https://fiori.example.com/ui?sap-client=100#Customer-manage?BusinessPartner=17"
    )


class Answer:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.text = "<html>trouble</html>"

    def json(self) -> object:
        raise ValueError("not JSON")


@pytest.mark.parametrize(
    ("exc", "kind", "text"),
    [
        (HttpError("busy", Answer(503)), TransientError, "HTTP 503"),
        (HttpError("locked", Answer(423)), TransientError, "HTTP 423"),
        (HttpError("bad", Answer(400)), PermanentError, "HTTP 400"),
        (requests.ReadTimeout("read timed out"), TransientError, "unreachable"),
        (requests.ConnectionError("refused"), TransientError, "unreachable"),
        (PyODataException("cannot convert"), PermanentError, "fix the sap_s4hana mapping"),
    ],
)
def test_client_library_exceptions_are_classified(
    connector: SapS4HanaConnector, exc: Exception, kind: type, text: str
) -> None:
    found = connector.classify(exc)
    assert type(found) is kind and text in str(found)


# -- reads in (millisecond, key) order ------------------------------------------------------------------


def test_records_of_one_millisecond_come_in_key_order_whatever_sap_s_own_order() -> None:
    """SAP orders by the full stamp (100 ns); within the millisecond its JSON shows, keys decide."""

    class Clock:
        now = datetime(2026, 3, 2, 9, 0, 0, 0, tzinfo=UTC)

        def __call__(self) -> datetime:
            return self.now

    clock = Clock()
    with SapEmulator(contracts_dir(), clock=clock) as sap:
        for millisecond in (["Z-9", "M-5"], ["Y-8", "B-2"], ["C-3"]):  # in each, keys fall over time
            clock.now += timedelta(milliseconds=5)
            for name in millisecond:
                clock.now += timedelta(microseconds=100)
                sap.seed(PRODUCT_SRV, "A_Product", product(name))
        with SapS4HanaConnector(connection_for(sap), {}) as connector:
            pages = list(connector.read_changes("product", None, page_size=2))
    assert [[r.id for r in p.records] for p in pages] == [["M-5", "Z-9"], ["B-2", "Y-8"], ["C-3"]]

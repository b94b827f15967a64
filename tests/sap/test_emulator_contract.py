"""The emulator refuses every operation SAP's EDMX forbids, with SAP Gateway's error shape.

The walk reads the EDMX with pyodata (SAP's own client library, not the emulator's parser) and sends
each forbidden request over HTTP, as any client would.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from pyodata.v2.model import Config, MetadataBuilder

from tests.emulators.sap import SapEmulator
from tests.sap.conftest import contracts_dir
from tests.sap.sap_data import BP, ORDERS, PRODUCT_SRV, RETURNS, customer, customer_return, order, product

logging.getLogger("pyodata").setLevel(logging.ERROR)

SERVICES = ("API_BUSINESS_PARTNER", "API_PRODUCT_SRV", "API_SALES_ORDER_SRV", "API_CUSTOMER_RETURN_SRV")
SAMPLES = {
    "Edm.Boolean": True,
    "Edm.Decimal": "1",
    "Edm.Double": "1",
    "Edm.Single": "1",
    "Edm.Int16": 1,
    "Edm.Int32": 1,
    "Edm.Int64": "1",
    "Edm.Byte": 1,
    "Edm.DateTime": "/Date(1767225600000)/",
    "Edm.DateTimeOffset": "/Date(1767225600000+0000)/",
    "Edm.Time": "PT10H00M00S",
    "Edm.Guid": "00000000-0000-0000-0000-000000000000",
}


def sample(prop: Any) -> Any:
    """A value of the property's type that its facets accept."""
    if prop.typ.name == "Edm.String":
        return "1" * min(prop.max_length or 1, 1)
    return SAMPLES[prop.typ.name]


def literal(prop: Any) -> str:
    kind = prop.typ.name
    if kind == "Edm.String":
        return "'1'"
    if kind == "Edm.Boolean":
        return "true"
    if kind == "Edm.DateTime":
        return "datetime'2026-01-01T00:00:00'"
    if kind == "Edm.DateTimeOffset":
        return "datetimeoffset'2026-01-01T00:00:00Z'"
    if kind == "Edm.Time":
        return "time'PT10H00M00S'"
    if kind == "Edm.Guid":
        return "guid'00000000-0000-0000-0000-000000000000'"
    return "1"


@dataclass
class Service:
    name: str
    schema: Any
    xml: ET.Element

    @property
    def sets(self) -> list[Any]:
        return list(self.schema.entity_sets)

    def concurrency(self, type_name: str) -> list[str]:
        """Properties with ConcurrencyMode="Fixed" (pyodata does not model the facet)."""
        edm = "{http://schemas.microsoft.com/ado/2008/09/edm}"
        for node in self.xml.iter(f"{edm}EntityType"):
            if node.get("Name") == type_name:
                return [
                    p.get("Name", "")
                    for p in node.findall(f"{edm}Property")
                    if p.get("ConcurrencyMode") == "Fixed"
                ]
        return []


@pytest.fixture(autouse=True)
def _service_available(request: pytest.FixtureRequest) -> None:
    """A walk of one service needs that service's EDMX."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and "service_name" in callspec.params:
        contracts_dir(callspec.params["service_name"])


@pytest.fixture(scope="module")
def services() -> dict[str, Service]:
    out = {}
    for name in SERVICES:
        if not (contracts_dir() / f"{name}.edmx").stat().st_size:
            continue
        raw = (contracts_dir() / f"{name}.edmx").read_bytes()
        schema = MetadataBuilder(raw, config=Config(retain_null=True)).build()
        out[name] = Service(name, schema, ET.fromstring(raw))
    return out


class Gateway:
    """A plain HTTP client of the emulator: what any OData client sends, nothing more."""

    def __init__(self, sap: SapEmulator) -> None:
        self.sap = sap
        self.http = requests.Session()
        self.http.auth = (sap.user, sap.password)
        self.http.headers["User-Agent"] = "contract-walk"
        self.tokens: dict[str, str] = {}

    def url(self, service: str, path: str) -> str:
        return f"{self.sap.url}/sap/opu/odata/sap/{service}/{path}"

    def send(
        self, method: str, service: str, path: str, body: Any = None, **headers: str
    ) -> requests.Response:
        if method != "GET" and service not in self.tokens:
            fetched = self.http.get(self.url(service, ""), headers={"X-CSRF-Token": "Fetch"})
            self.tokens[service] = fetched.headers["X-CSRF-Token"]
        if method != "GET":
            headers["X-CSRF-Token"] = self.tokens[service]
        return self.http.request(method, self.url(service, path), json=body, headers=headers)


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    with SapEmulator(contracts_dir()) as sap:
        yield Gateway(sap)


def refusal(
    resp: requests.Response, status: int, kind: str, sap: SapEmulator, target: str | None = None
) -> str:
    """Assert SAP Gateway's error answer; return its message text."""
    assert resp.status_code == status, (
        resp.request.method,
        resp.request.url,
        resp.status_code,
        resp.text[:300],
    )
    error = resp.json()["error"]
    assert set(error) == {"code", "message", "innererror"}
    assert error["code"] and error["message"]["lang"] == "en" and error["message"]["value"]
    details = error["innererror"]["errordetails"]
    assert details and details[0]["code"] == error["code"]
    if target is not None:
        assert details[0]["propertyref"] == target, resp.text[:300]
    assert sap.exchanges[-1].refusal == kind
    return str(error["message"]["value"])


def key_path(entity_set: Any) -> str:
    keys = entity_set.entity_type.key_proprties
    if len(keys) == 1:
        return f"{entity_set.name}('1')"
    return f"{entity_set.name}(" + ",".join(f"{k.name}='1'" for k in keys) + ")"


def creation_paths(service: Service) -> Iterator[tuple[Any, Any, str, list[str]]]:
    """(entity type, set, POST path, navigation chain) for each type a client can create: directly
    on a creatable set, or as the deep-insert child of a creatable set one or two levels down."""
    by_type = {es.entity_type.name: es for es in service.sets}
    for es in service.sets:
        if not es.creatable:
            continue
        yield es.entity_type, es, es.name, []
        for nav in es.entity_type.nav_proprties:
            child = nav.to_role.entity_type
            yield child, by_type[child.name], es.name, [nav.name]
            for nav2 in child.nav_proprties:
                grandchild = nav2.to_role.entity_type
                if grandchild.name != es.entity_type.name:
                    yield grandchild, by_type[grandchild.name], es.name, [nav.name, nav2.name]


def created_properties(
    service: Service, wanted: Callable[[Any], bool]
) -> Iterator[tuple[str, list[str], Any]]:
    """(POST path, navigation chain, property) once for each wanted property of a creatable type."""
    seen = set()
    for etype, _, path, chain in creation_paths(service):
        for prop in etype.proprties():
            if wanted(prop) and (etype.name, prop.name) not in seen:
                seen.add((etype.name, prop.name))
                yield path, chain, prop


def nest(chain: list[str], body: dict[str, Any]) -> dict[str, Any]:
    for nav in reversed(chain):
        body = {nav: [body]}
    return body


# -- entity sets: sap:creatable / sap:updatable / sap:deletable ----------------------------------------


@pytest.mark.parametrize("service_name", SERVICES)
def test_every_set_operation_the_edmx_forbids_is_refused_with_405(
    service_name: str, services: dict[str, Service], gateway: Gateway
) -> None:
    service = services[service_name]
    walked = 0
    for es in service.sets:
        if not es.creatable:
            message = refusal(gateway.send("POST", service_name, es.name, {}), 405, "contract", gateway.sap)
            assert es.name in message and "creatable" in message
            walked += 1
        if not es.updatable:
            resp = gateway.send("PATCH", service_name, key_path(es), {})
            assert "updatable" in refusal(resp, 405, "contract", gateway.sap)
            walked += 1
        if not es.deletable:
            resp = gateway.send("DELETE", service_name, key_path(es))
            assert "deletable" in refusal(resp, 405, "contract", gateway.sap)
            walked += 1
    assert walked > 0


def test_the_sets_the_issue_names_are_among_the_refused(gateway: Gateway) -> None:
    for service, path, method in [
        (BP, "A_BusinessPartner('1')", "DELETE"),
        (PRODUCT_SRV, "A_Product('1')", "DELETE"),
        (PRODUCT_SRV, "A_ProductValuation(Product='1',ValuationArea='1',ValuationType='')", "DELETE"),
        (BP, "A_Customer", "POST"),
        (ORDERS, "A_SalesOrderItemPrElement", "POST"),
    ]:
        refusal(
            gateway.send(method, service, path, {} if method == "POST" else None),
            405,
            "contract",
            gateway.sap,
        )


# -- properties: sap:creatable / sap:updatable ---------------------------------------------------------


@pytest.mark.parametrize("service_name", SERVICES)
def test_every_property_that_is_not_creatable_is_refused_on_create(
    service_name: str, services: dict[str, Service], gateway: Gateway
) -> None:
    walked = set()
    for path, chain, prop in created_properties(services[service_name], lambda p: not p.creatable):
        resp = gateway.send("POST", service_name, path, nest(chain, {prop.name: sample(prop)}))
        assert "creatable" in refusal(resp, 400, "contract", gateway.sap, target=prop.name)
        walked.add((prop.struct_type.name, prop.name))
    expected = {
        "API_BUSINESS_PARTNER": ("A_BusinessPartnerType", "Customer"),
        "API_PRODUCT_SRV": None,
        "API_SALES_ORDER_SRV": ("A_SalesOrderType", "ExternalDocumentID"),
        "API_CUSTOMER_RETURN_SRV": ("A_CustomerReturnItemType", "NetAmount"),
    }[service_name]
    if expected:
        assert expected in walked


@pytest.mark.parametrize("service_name", SERVICES)
def test_every_property_that_is_not_updatable_is_refused_on_update(
    service_name: str, services: dict[str, Service], gateway: Gateway
) -> None:
    walked = 0
    for es in services[service_name].sets:
        if not es.updatable:
            continue
        keys = {k.name for k in es.entity_type.key_proprties}
        for prop in es.entity_type.proprties():
            if prop.updatable or prop.name in keys:
                continue
            resp = gateway.send("PATCH", service_name, key_path(es), {prop.name: sample(prop)})
            assert "updatable" in refusal(resp, 400, "contract", gateway.sap, target=prop.name)
            walked += 1
    assert walked > 0


def test_a_key_cannot_be_changed_by_an_update(gateway: Gateway) -> None:
    gateway.sap.seed(PRODUCT_SRV, "A_Product", product("KEY-1"))
    resp = gateway.send("PATCH", PRODUCT_SRV, "A_Product('KEY-1')", {"Product": "KEY-2", "BaseUnit": "KG"})
    refusal(resp, 400, "contract", gateway.sap, target="Product")
    same = gateway.send("PATCH", PRODUCT_SRV, "A_Product('KEY-1')", {"Product": "KEY-1", "BaseUnit": "KG"})
    assert same.status_code == 204


def test_properties_the_metadata_does_not_define_are_refused(gateway: Gateway) -> None:
    resp = gateway.send("POST", PRODUCT_SRV, "A_Product", {"Product": "X", "Colour": "red"})
    refusal(resp, 400, "contract", gateway.sap, target="Colour")
    resp = gateway.send("GET", PRODUCT_SRV, "A_Product?$select=Product,Colour")
    refusal(resp, 400, "contract", gateway.sap)
    resp = gateway.send("GET", PRODUCT_SRV, "A_Product?$filter=Colour eq 'red'")
    refusal(resp, 400, "contract", gateway.sap, target="Colour")


# -- queries: sap:filterable / sap:sortable ------------------------------------------------------------


@pytest.mark.parametrize("service_name", SERVICES)
def test_filters_and_sorts_on_properties_that_forbid_them_are_refused(
    service_name: str, services: dict[str, Service], gateway: Gateway
) -> None:
    walked = 0
    for es in services[service_name].sets:
        for prop in es.entity_type.proprties():
            if not prop.filterable:
                resp = gateway.send("GET", service_name, f"{es.name}?$filter={prop.name} eq {literal(prop)}")
                assert "filterable" in refusal(resp, 400, "contract", gateway.sap, target=prop.name)
                walked += 1
            if not prop.sortable:
                resp = gateway.send("GET", service_name, f"{es.name}?$orderby={prop.name}")
                assert "sortable" in refusal(resp, 400, "contract", gateway.sap, target=prop.name)
                walked += 1
    assert walked > 0 or service_name == PRODUCT_SRV  # the product service restricts no query
    allowed = next(
        p for es in services[service_name].sets for p in es.entity_type.proprties() if p.filterable
    )
    owner = next(es for es in services[service_name].sets if allowed in es.entity_type.proprties())
    ok = gateway.send(
        "GET", service_name, f"{owner.name}?$filter={allowed.name} eq {literal(allowed)}&$top=1"
    )
    assert ok.status_code == 200, ok.text[:300]


# -- values: Nullable / MaxLength -------------------------------------------------------------------------


@pytest.mark.parametrize("service_name", SERVICES)
def test_null_in_a_property_that_is_not_nullable_is_refused(
    service_name: str, services: dict[str, Service], gateway: Gateway
) -> None:
    walked = 0
    for path, chain, prop in created_properties(
        services[service_name], lambda p: p.creatable and not p.nullable
    ):
        resp = gateway.send("POST", service_name, path, nest(chain, {prop.name: None}))
        assert "null" in refusal(resp, 400, "value", gateway.sap, target=prop.name)
        walked += 1
    assert walked


@pytest.mark.parametrize("service_name", SERVICES)
def test_strings_longer_than_their_max_length_are_refused(
    service_name: str, services: dict[str, Service], gateway: Gateway
) -> None:
    walked = 0
    bounded = lambda p: p.creatable and p.typ.name == "Edm.String" and bool(p.max_length)  # noqa: E731
    for path, chain, prop in created_properties(services[service_name], bounded):
        too_long = "9" * (prop.max_length + 1)
        resp = gateway.send("POST", service_name, path, nest(chain, {prop.name: too_long}))
        assert "maximum length" in refusal(resp, 400, "value", gateway.sap, target=prop.name)
        walked += 1
    assert walked > 20


def test_decimals_beyond_their_precision_and_scale_are_refused(gateway: Gateway) -> None:
    resp = gateway.send(
        "POST", ORDERS, "A_SalesOrder", {"to_Item": [{"Material": "X", "RequestedQuantity": "1.2345"}]}
    )
    assert "Scale=3" in refusal(resp, 400, "value", gateway.sap, target="RequestedQuantity")


# -- ConcurrencyMode: ETags only where declared ---------------------------------------------------------


@pytest.fixture(scope="module")
def documents(gateway: Gateway) -> dict[str, str]:
    """A sales order and a customer return, the two documents whose types declare an ETag."""
    sap = gateway.sap
    party = sap.seed(BP, "A_BusinessPartner", customer("Etag AG"))["BusinessPartner"]
    sap.seed(PRODUCT_SRV, "A_Product", product("ETAG-M"))
    sales_order = sap.seed(ORDERS, "A_SalesOrder", order(party, ("ETAG-M", "1", "5")))["SalesOrder"]
    customer_ret = ""
    if RETURNS in sap.services:
        customer_ret = sap.seed(RETURNS, "A_CustomerReturn", customer_return(party, "ETAG-M"))[
            "CustomerReturn"
        ]
    return {"partner": party, "order": sales_order, "return": customer_ret}


@pytest.mark.parametrize("service_name", SERVICES)
def test_etags_exist_exactly_where_the_edmx_declares_concurrency(
    service_name: str, services: dict[str, Service], gateway: Gateway, documents: dict[str, str]
) -> None:
    service = services[service_name]
    declared = {es.name for es in service.sets if service.concurrency(es.entity_type.name)}
    assert (
        declared
        == {
            "API_BUSINESS_PARTNER": set(),
            "API_PRODUCT_SRV": set(),
            "API_SALES_ORDER_SRV": {"A_SalesOrder"},
            "API_CUSTOMER_RETURN_SRV": {"A_CustomerReturn"},
        }[service_name]
    )
    records = {
        "A_SalesOrder": f"A_SalesOrder('{documents['order']}')",
        "A_CustomerReturn": f"A_CustomerReturn('{documents['return']}')",
        "A_BusinessPartner": f"A_BusinessPartner('{documents['partner']}')",
        "A_Product": "A_Product('ETAG-M')",
    }
    for set_name, path in records.items():
        es = next((es for es in service.sets if es.name == set_name), None)
        if es is None:
            continue
        read = gateway.send("GET", service_name, path)
        assert read.status_code == 200
        if set_name in declared:
            etag = read.headers["ETag"]
            assert read.json()["d"]["__metadata"]["etag"] == etag
            for method, body in (("PATCH", {}), ("DELETE", None)):
                resp = gateway.send(method, service_name, path, body)
                assert "If-Match" in refusal(resp, 428, "contract", gateway.sap)
            stale = gateway.send("PATCH", service_name, path, {}, **{"If-Match": 'W/"stale"'})
            refusal(stale, 412, "protocol", gateway.sap)
            fresh = gateway.send("PATCH", service_name, path, {}, **{"If-Match": etag})
            assert fresh.status_code == 204 and fresh.headers["ETag"] != etag
        else:
            assert "ETag" not in read.headers and "etag" not in read.json()["d"]["__metadata"]
            resp = gateway.send("PATCH", service_name, path, {}, **{"If-Match": "*"})
            assert "no If-Match" in refusal(resp, 400, "contract", gateway.sap)
            assert gateway.send("PATCH", service_name, path, {}).status_code == 204


# -- Gateway behaviour beyond the annotations ---------------------------------------------------------


def test_a_request_without_top_gets_the_whole_set_in_one_answer(gateway: Gateway) -> None:
    for i in range(120):
        gateway.sap.seed(PRODUCT_SRV, "A_Product", product(f"BULK-{i:03d}"))
    body = gateway.send("GET", PRODUCT_SRV, "A_Product?$filter=ProductType eq 'FERT'").json()["d"]
    assert len(body["results"]) >= 120 and "__next" not in body
    top = gateway.send("GET", PRODUCT_SRV, "A_Product?$orderby=Product&$top=7&$skip=3").json()["d"]
    assert len(top["results"]) == 7 and "__next" not in top


def test_server_paging_happens_only_when_configured() -> None:
    with SapEmulator(contracts_dir(), page_size=5) as sap:
        for i in range(12):
            sap.seed(PRODUCT_SRV, "A_Product", product(f"PAGE-{i:02d}"))
        body = Gateway(sap).send("GET", PRODUCT_SRV, "A_Product").json()["d"]
        assert len(body["results"]) == 5 and "skiptoken=5" in body["__next"]


def test_a_customer_return_without_items_is_refused(gateway: Gateway, documents: dict[str, str]) -> None:
    contracts_dir(RETURNS)
    empty = {**customer_return(documents["partner"], "ETAG-M"), "to_Item": []}
    resp = gateway.send("POST", RETURNS, "A_CustomerReturn", empty)
    assert "items" in refusal(resp, 400, "business", gateway.sap, target="to_Item")


def test_customer_data_needs_a_customer_role(gateway: Gateway) -> None:
    body = customer("No Role GmbH")
    body["to_BusinessPartnerRole"] = []
    resp = gateway.send("POST", BP, "A_BusinessPartner", body)
    assert "FLCU01" in refusal(resp, 400, "business", gateway.sap, target="to_Customer")


def test_an_order_for_a_customer_without_sales_area_data_is_refused(gateway: Gateway) -> None:
    party = gateway.sap.seed(BP, "A_BusinessPartner", customer("Company Only AG", sales_area=None))
    gateway.sap.seed(PRODUCT_SRV, "A_Product", product("AREA-M"))
    resp = gateway.send(
        "POST", ORDERS, "A_SalesOrder", order(party["BusinessPartner"], ("AREA-M", "1", None))
    )
    assert "sales area 1010/10/00" in refusal(resp, 400, "business", gateway.sap, target="SoldToParty")


def test_local_date_and_time_fields_follow_the_system_time_zone_and_offsets_stay_utc() -> None:
    now = datetime(2026, 3, 2, 23, 30, 5, tzinfo=UTC)  # already 3 March in Tokyo
    with SapEmulator(contracts_dir(), timezone="Asia/Tokyo", clock=lambda: now) as sap:
        party = sap.seed(BP, "A_BusinessPartner", customer("Tokyo KK"))["BusinessPartner"]
        sap.seed(PRODUCT_SRV, "A_Product", product("TZ-M"))
        number = sap.seed(ORDERS, "A_SalesOrder", order(party, ("TZ-M", "1", "1")))["SalesOrder"]
        http = Gateway(sap)
        partner = http.send("GET", BP, f"A_BusinessPartner('{party}')").json()["d"]
        assert partner["CreationDate"] == "/Date(1772496000000)/"  # 2026-03-03, the local day
        assert partner["CreationTime"] == "PT08H30M05S"  # the local wall clock
        sales_order = http.send("GET", ORDERS, f"A_SalesOrder('{number}')").json()["d"]
        assert sales_order["LastChangeDateTime"] == f"/Date({int(now.timestamp() * 1000)}+0000)/"

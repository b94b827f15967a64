"""``product_cost`` against a real BottleCRM: the ERP cost rides on the product, invisible to ``product``."""

from __future__ import annotations

from typing import Any

from connectors.base import WriteRequest, WriteResult
from connectors.bottlecrm import BottleCrmConnector
from connectors.bottlecrm.costs import join_description, split_description

COST = {
    "erp_cost": "7.25",
    "erp_cost_currency": "EUR",
    "erp_cost_method": "average",
    "erp_cost_date": "2026-01-01",
}


def write_ok(conn: BottleCrmConnector, entity: str, request: WriteRequest) -> list[WriteResult]:
    results = conn.write_batch(entity, [request])
    assert all(r.ok for r in results), [r.error for r in results]
    return results


def create(conn: BottleCrmConnector, entity: str, data: dict[str, Any]) -> str:
    result = write_ok(conn, entity, WriteRequest("create", f"ref-{entity}", data))[0]
    assert result.id
    return result.id


def one(conn: BottleCrmConnector, entity: str, record_id: str) -> dict[str, Any]:
    found = conn.read_by_ids(entity, [record_id])
    assert [r.id for r in found] == [record_id]
    return found[0].data


def scanned(conn: BottleCrmConnector, entity: str) -> set[str]:
    return {record.id for page in conn.read_changes(entity, None, page_size=7) for record in page.records}


def test_description_and_cost_line_split_back_into_what_was_joined() -> None:
    text = "Edelstahl-Ventil\n\n不锈钢阀门"
    assert split_description(join_description(text, COST)) == (text, COST)
    assert split_description(join_description(None, COST)) == (None, COST)
    assert split_description(text) == (text, None)


def test_a_cost_written_to_a_product_reads_back_and_products_without_cost_are_not_listed(
    connector: BottleCrmConnector, unique: str
) -> None:
    costed = create(connector, "product", {"sku": f"C-{unique}", "name": "不锈钢阀门", "price": "12.00"})
    plain = create(connector, "product", {"sku": f"N-{unique}", "name": "Pumpe", "price": "3.00"})

    [result] = write_ok(connector, "product_cost", WriteRequest("create", "r", {"product": costed, **COST}))
    assert result.id == costed  # a cost's id is its product's id

    assert one(connector, "product_cost", costed) == {"product": costed, **COST}
    listed = scanned(connector, "product_cost")
    assert costed in listed and plain not in listed
    assert connector.read_by_ids("product_cost", [plain]) == []


def test_the_product_entity_neither_sees_nor_erases_the_cost(
    connector: BottleCrmConnector, unique: str
) -> None:
    product = create(
        connector, "product", {"sku": f"D-{unique}", "name": "Ventil", "price": "9.00", "description": "Δ"}
    )
    write_ok(connector, "product_cost", WriteRequest("create", "r", {"product": product, **COST}))
    assert one(connector, "product", product)["description"] == "Δ"

    write_ok(connector, "product", WriteRequest("update", "r", {"description": "Ventil DN50"}, product))
    assert one(connector, "product", product)["description"] == "Ventil DN50"
    assert one(connector, "product_cost", product)["erp_cost"] == "7.25"


def test_a_cost_update_changes_only_the_cost_and_delete_removes_the_line(
    connector: BottleCrmConnector, unique: str
) -> None:
    product = create(connector, "product", {"sku": f"U-{unique}", "name": "Rohr", "price": "4.00"})
    write_ok(connector, "product_cost", WriteRequest("create", "r", {"product": product, **COST}))
    write_ok(connector, "product_cost", WriteRequest("update", "r", {"erp_cost": "8.10"}, product))
    assert one(connector, "product_cost", product) == {"product": product, **COST, "erp_cost": "8.10"}
    assert one(connector, "product", product)["price"] == "4.00"

    write_ok(connector, "product_cost", WriteRequest("delete", "r", {}, product))
    assert connector.read_by_ids("product_cost", [product]) == []
    assert one(connector, "product", product)["name"] == "Rohr"


def test_a_cost_for_a_missing_product_is_refused_for_that_record_only(
    connector: BottleCrmConnector, unique: str
) -> None:
    product = create(connector, "product", {"sku": f"M-{unique}", "name": "Flansch", "price": "2.00"})
    results = connector.write_batch(
        "product_cost",
        [
            WriteRequest("create", "gone", {"product": "00000000-0000-0000-0000-000000000000", **COST}),
            WriteRequest("create", "ok", {"product": product, **COST}),
        ],
    )
    assert [r.ok for r in results] == [False, True]
    assert results[0].field == "product" and "no product" in (results[0].error or "")

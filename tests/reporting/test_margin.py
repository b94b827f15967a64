"""The margin report: pure computation, and `synchub report margin` over really synced records."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sync_engine.cli import app
from sync_engine.reporting.margin import CostFact, LineFact, OrderFact, margins, rows_csv
from tests.ops_world import EXPECTED_BY_CUSTOMER, OpsWorld

D = Decimal


def order(
    oid: str,
    customer: str,
    lines: list[tuple[str, str, str]],
    *,
    status: str = "confirmed",
    currency: str = "EUR",
) -> OrderFact:
    return OrderFact(
        oid,
        f"N-{oid}",
        customer,
        currency,
        status,
        None,
        tuple(LineFact(p, D(q), D(price)) for p, q, price in lines),
    )


def test_revenue_cost_and_margin_per_customer_with_standard_and_actual_costs() -> None:
    orders = [
        order("o1", "c1", [("p1", "2", "100"), ("p2", "1", "50")]),
        order("o2", "c1", [("p1", "1", "90")], status="done"),
        order("o3", "c2", [("p2", "3", "55")], status="processing"),
    ]
    costs = [
        CostFact("p1", D("60"), "EUR"),
        CostFact("p2", D("20"), "EUR"),
        CostFact("p1", D("70"), "EUR", "o2"),
    ]
    rows = {r.key: r for r in margins(orders, costs, by="customer", labels={"c1": "Ann", "c2": "Bob"})}
    # c1: revenue 200 + 50 + 90 = 340; cost 120 + 20 + 70 (o2's actual cost of p1) = 210
    assert (rows["c1"].label, rows["c1"].revenue, rows["c1"].cost, rows["c1"].margin) == (
        "Ann",
        340,
        210,
        130,
    )
    assert (rows["c1"].actual_cost_lines, len(rows["c1"].orders), rows["c1"].margin_percent) == (
        1,
        2,
        D("38.24"),
    )
    assert (rows["c2"].revenue, rows["c2"].cost, rows["c2"].margin) == (165, 60, 105)


def test_drafts_and_cancelled_orders_are_no_sales() -> None:
    orders = [
        order("o1", "c1", [("p1", "1", "10")], status="draft"),
        order("o2", "c1", [("p1", "1", "10")], status="cancelled"),
    ]
    assert margins(orders, [CostFact("p1", D("1"), "EUR")], by="customer") == []


def test_a_line_without_a_cost_in_the_orders_currency_claims_no_margin() -> None:
    orders = [order("o1", "c1", [("p1", "1", "100"), ("p2", "1", "40"), ("p3", "2", "10")])]
    costs = [CostFact("p1", D("70"), "EUR"), CostFact("p2", D("10"), "USD")]  # p2 in USD, p3 none
    [row] = margins(orders, costs, by="customer")
    assert (row.revenue, row.cost, row.margin, row.lines_without_cost) == (160, 70, 30, 2)
    assert row.margin_percent == D("30.00")  # of the costed revenue, not of all revenue


def test_groups_by_product_and_order_and_keep_currencies_apart() -> None:
    orders = [order("o1", "c1", [("p1", "1", "100")]), order("o2", "c1", [("p1", "1", "80")], currency="USD")]
    costs = [CostFact("p1", D("50"), "EUR"), CostFact("p1", D("40"), "USD", "o2")]
    by_product = margins(orders, costs, by="product", labels={"p1": "SKU-1 · Pump"})
    assert [(r.label, r.currency, r.margin) for r in by_product] == [
        ("SKU-1 · Pump", "EUR", 50),
        ("SKU-1 · Pump", "USD", 40),
    ]
    by_order = margins(orders, costs, by="order")
    assert [(r.label, r.margin) for r in by_order] == [("N-o1", 50), ("N-o2", 40)]
    with pytest.raises(ValueError, match="customer, product or order"):
        margins(orders, costs, by="region")  # type: ignore[arg-type]


def test_csv_has_two_decimal_amounts_and_never_starts_a_cell_with_a_formula() -> None:
    rows = margins(
        [order("o1", "c1", [("p1", "3", "9.99")])],
        [CostFact("p1", D("4"), "EUR")],
        by="customer",
        labels={"c1": '=HYPERLINK("http://evil")'},
    )
    [header, line] = list(csv.reader(io.StringIO(rows_csv(rows, by="customer"))))
    assert header[:8] == [
        "customer",
        "currency",
        "orders",
        "lines",
        "revenue",
        "cost",
        "margin",
        "margin_percent",
    ]
    assert line[0].startswith("'=")
    assert line[1:8] == ["EUR", "1", "1", "29.97", "12.00", "17.97", "59.96"]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[OpsWorld]:
    w = OpsWorld(tmp_path)
    w.seed()
    w.run_all()
    yield w
    w.close()


def test_synchub_report_margin_equals_the_hand_calculation(world: OpsWorld) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["report", "margin", "--json", "--config", str(world.config_path)])
    assert result.exit_code == 0, result.output
    rows = {r["label"]: r for r in json.loads(result.stdout)}
    assert set(rows) == set(EXPECTED_BY_CUSTOMER)
    for name, (revenue, cost, margin, percent) in EXPECTED_BY_CUSTOMER.items():
        got = rows[name]
        assert (D(got["revenue"]), D(got["cost"]), D(got["margin"]), D(got["margin_percent"])) == (
            revenue,
            cost,
            margin,
            percent,
        ), name
    assert rows["Acme Industrial Corp."]["actual_cost_lines"] == 1

    by_product = runner.invoke(
        app, ["report", "margin", "--by", "product", "--csv", "-", "-c", str(world.config_path)]
    )
    assert by_product.exit_code == 0, by_product.output
    table = {r["product"]: r for r in csv.DictReader(io.StringIO(by_product.stdout))}
    assert table["PMP-100 · Kreiselpumpe KP-100"]["margin"] == "1262.50"  # 3700 - 2437.50
    assert table["GSK-KIT · Joint d'étanchéité (kit)"]["cost"] == "211.40"  # 20 x 8.75 + 4 x 9.10

    table_out = runner.invoke(
        app, ["report", "margin", "--by", "order", "-c", str(world.config_path)], env={"COLUMNS": "200"}
    )
    assert "SO-1001" in table_out.stdout and "SO-1003" not in table_out.stdout  # the draft is no sale
    bad = runner.invoke(app, ["report", "margin", "--by", "region", "-c", str(world.config_path)])
    assert bad.exit_code != 0 and "customer, product or order" in bad.output


def test_records_are_named_as_people_know_them() -> None:
    from sync_engine.reporting.names import display_name

    assert display_name("customer", {"name": "  Acme GmbH "}) == "Acme GmbH"
    assert display_name("product", {"sku": "PMP-100", "name": "Pump"}) == "PMP-100 · Pump"
    assert display_name("sales_order", {"number": "SO 7", "quote_reference": "EST-12"}) == "SO 7 · EST-12"
    assert display_name("sales_order", {"number": None, "quote_reference": "EST-12"}) == "EST-12"
    assert display_name("complaint", {"subject": "leaking pump"}) == "leaking pump"
    assert display_name("customer", {"name": ""}) is None and display_name("customer", None) is None

"""`synchub demo --crm suitecrm`: the whole demo between a real Tryton and a real SuiteCRM, through the
CLI, then the final state of both servers. Without the SuiteCRM peer scripts it skips (fails in CI)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connectors.base import Connector
from sync_engine.cli import app
from sync_engine.config import load_config
from sync_engine.flows import open_connector
from synchub_dev.demo import read_servers, scenario, stop_servers
from synchub_dev.peers.suitecrm import peer_scripts


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not (peer_scripts() / "start_suitecrm.sh").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"no SuiteCRM peer scripts at {peer_scripts()}")
        pytest.skip(f"no SuiteCRM peer scripts at {peer_scripts()}")
    root = tmp_path_factory.mktemp("demo-suitecrm")
    try:
        result = CliRunner().invoke(app, ["demo", "--crm", "suitecrm", "--workdir", str(root)])
        assert result.exit_code == 0, result.output
        assert "SuiteCRM 7.14 (CRM)" in result.output and "Open conflicts" in result.output
        yield root
    finally:
        stop_servers(root)
    assert read_servers(root) is None


@pytest.fixture(scope="module")
def sides(workdir: Path) -> Iterator[dict[str, Connector]]:
    config = load_config(workdir / "synchub.yaml")
    connectors = {role: open_connector(config, role) for role in ("erp", "crm")}
    yield connectors
    for connector in connectors.values():
        connector.close()


def native(connector: Connector, entity: str) -> dict[str, dict[str, Any]]:
    return {r.id: r.data for page in connector.read_changes(entity, None) for r in page.records}


def test_the_accepted_quote_is_one_confirmed_tryton_sale_whose_number_came_back(
    sides: dict[str, Connector],
) -> None:
    [quote] = native(sides["crm"], "sales_order").values()
    sales = [s for s in native(sides["erp"], "sales_order").values() if s["reference"] == quote["number"]]
    assert len(sales) == 1 and sales[0]["state"] in ("confirmed", "processing", "done")
    assert quote["synchub_order_number_c"] == sales[0]["number"]


def test_customers_products_costs_and_the_complaint_arrived(sides: dict[str, Connector]) -> None:
    names = {c["name"] for c in native(sides["crm"], "customer").values()}
    expected = {p["name"] for p in scenario.ERP_PARTIES} - {scenario.CONFLICT_CUSTOMER}
    assert expected <= names and scenario.CONFLICT_VALUES["crm"] in names
    products = {row["part_number"]: row_id for row_id, row in native(sides["crm"], "product").items()}
    costs = native(sides["crm"], "product_cost")
    for product in scenario.PRODUCTS:
        assert Decimal(costs[products[product["code"]]]["cost"]) == product["cost_price"]
    complaints = [c["reference"] for c in native(sides["erp"], "complaint").values()]
    assert complaints == [scenario.SUITECRM_COMPLAINT["name"]]


def test_one_conflict_is_open_and_further_runs_write_nothing(workdir: Path) -> None:
    config = str(workdir / "synchub.yaml")
    listed = CliRunner().invoke(app, ["conflicts", "list", "--json", "--config", config])
    assert listed.exit_code == 0, listed.output
    assert len(json.loads(listed.stdout)) == 1
    for _ in range(3):
        result = CliRunner().invoke(app, ["run", "--all", "--json", "--config", config])
        assert result.exit_code == 0, result.output
        for report in json.loads(result.stdout)["runs"]:
            assert report["status"] == "success", report
            writes = sum(c["created"] + c["updated"] + c["deleted"] for c in report["systems"].values())
            assert writes == 0, report

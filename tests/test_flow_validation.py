"""Connectors judge the flows they take part in when the config loads (``Connector.validate_flow``):
``synchub validate``, ``synchub run`` and the Airflow DAG parse all refuse a flow a connector
cannot carry, naming the file, line, flow and fix, before any record is read."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.base import Capabilities, Connector, Entity, NativeRecord
from connectors.memory import MemoryConnector
from connectors.sap_s4hana import SapS4HanaConnector
from sync_engine.cli import app
from sync_engine.config import ConfigError, load_config

CONFIG = """\
version: 1
systems:
  sap: {{connector: sap_s4hana}}
  shop: {{connector: memory}}
flows:
  costs:
    entity: {entity}
    erp: sap
    crm: shop
    direction: {direction}
"""


def problems(tmp_path: Path, entity: str, direction: str) -> list[str]:
    return load_problems(tmp_path, textwrap.dedent(CONFIG.format(entity=entity, direction=direction)))


def load_problems(tmp_path: Path, text: str) -> list[str]:
    """The problems loading ``text`` as synchub.yaml reports, each as ``L<line>: message``."""
    path = tmp_path / "synchub.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_config(path)
    except ConfigError as exc:
        return [str(p).replace(f"{path}:", "L") for p in exc.problems]
    return []


@pytest.mark.parametrize("direction", ["both", "crm_to_erp"])
def test_a_flow_writing_what_the_connector_only_reads_is_refused_naming_flow_system_and_fix(
    tmp_path: Path, direction: str
) -> None:
    assert problems(tmp_path, "product_cost", direction) == [
        "L8: flows.costs.erp (sap): sap_s4hana only reads product_cost (A_ProductValuation) and this "
        "flow would write it there; change the flow's direction"
    ]


def test_the_same_flow_reading_from_that_system_loads(tmp_path: Path) -> None:
    assert problems(tmp_path, "product_cost", "erp_to_crm") == []


def test_an_entity_the_connector_does_not_serve_is_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, "quote", "erp_to_crm") == [
        "L8: flows.costs.erp (sap): the sap_s4hana connector has no entity 'quote' (it has: complaint, "
        "customer, product, product_cost, sales_order)"
    ]


def test_synchub_validate_prints_it_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "synchub.yaml"
    path.write_text(CONFIG.format(entity="product_cost", direction="both"), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "-c", str(path)])
    assert result.exit_code == 1
    assert "flows.costs.erp (sap): sap_s4hana only reads product_cost" in result.stdout


def test_the_default_judges_by_the_entity_classes_and_says_nothing_for_connectors_without() -> None:
    class Ledger(Entity):
        name = "product_cost"
        native = "ledger"
        can_create = can_update = False

        def fetch(self, ids: list[str]) -> list[NativeRecord]:
            return []

    class ReadsCosts(Connector):
        name = "reads_costs"
        entity_types = (Ledger,)

    class OwnProtocol(Connector):
        name = "own"
        capabilities = Capabilities(entities=frozenset({"customer"}))

    assert ReadsCosts.validate_flow("product_cost", writes=False) == []
    assert "only reads product_cost (ledger)" in ReadsCosts.validate_flow("product_cost", writes=True)[0]
    assert "has no entity 'customer'" in ReadsCosts.validate_flow("customer", writes=False)[0]
    assert OwnProtocol.validate_flow("quote", writes=True) == []
    assert MemoryConnector.validate_flow("complaint", writes=True) == []
    assert SapS4HanaConnector.validate_flow("customer", writes=True) == []


OVERLAP_CONFIG = """\
version: 1
systems:
  shop: {{connector: memory}}
  crm: {{connector: suitecrm}}
flows:
  customers:
    entity: customer
    erp: shop
    crm: crm
{overlap}"""


@pytest.mark.parametrize(("overlap", "refused"), [("    overlap_seconds: 30\n", True), ("", False)])
def test_an_overlap_shorter_than_minute_stamps_is_refused_for_suitecrm(
    tmp_path: Path, overlap: str, refused: bool
) -> None:
    found = load_problems(tmp_path, OVERLAP_CONFIG.format(overlap=overlap))
    if refused:
        [message] = found
        assert message.startswith("L10: flows.customers.overlap_seconds: 30 is too short for crm (suitecrm)")
        assert "set overlap_seconds to 61 or more" in message
    else:
        assert found == [], "the default overlap (120 s) suits SuiteCRM"

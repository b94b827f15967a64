"""The Odoo emulator (ERP, a real HTTP server on its own threads) and a real BottleCRM, wired into a
SyncHub config with the five flows of the demo: once with JSON-2 against Odoo 19, once with XML-RPC
against Odoo 17 (each with a fresh BottleCRM).

A kill -9 test runs the flow in a child process that kills itself; the emulator stays up in this
one, as a real Odoo would, and the rerun talks to the same server.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from connectors.base import Connector
from sync_engine.config import Config, load_config
from sync_engine.connections import env_var_name
from sync_engine.flows import open_connector
from sync_engine.store import Store
from synchub_dev.demo import scenario
from synchub_dev.peers.bottlecrm import BottleCrmInstance, BottleCrmPeer
from tests.bottlecrm.conftest import bottlecrm_peer  # noqa: F401 - shared session fixture
from tests.emulators.odoo import OdooEmulator
from tests.odoo.connected import TRANSPORT_VERSIONS, connection_uri
from tests.steady.steps import copy_config

ERP_CONNECTION = "odoo_erp"


@dataclass
class OdooPeers:
    """The emulated Odoo, the real BottleCRM, the config that syncs them, and its environment."""

    root: Path
    odoo: OdooEmulator
    crm_server: BottleCrmInstance
    config: Config
    env: dict[str, str]

    def config_copy(self, name: str, flows: dict[str, dict]) -> Config:
        """The same systems with a state database of its own and the given flows."""
        return copy_config(self.config, self.root, name, flows)

    def connectors(self) -> dict[str, Connector]:
        return {role: open_connector(self.config, role) for role in ("erp", "crm")}


def config_document(root: Path) -> dict:
    """The demo's five flows with Odoo as the ERP."""
    doc = scenario.config_document(root)
    doc["systems"]["erp"] = {"connector": "odoo", "connection": ERP_CONNECTION}
    return doc


@pytest.fixture(scope="module", params=sorted(TRANSPORT_VERSIONS))
def odoo_peers(
    request: pytest.FixtureRequest,
    bottlecrm_peer: BottleCrmPeer,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[OdooPeers]:
    transport = str(request.param)
    root = tmp_path_factory.mktemp(f"odoo-e2e-{transport}")
    monkeypatch = pytest.MonkeyPatch()
    odoo = OdooEmulator(version=TRANSPORT_VERSIONS[transport]).start()
    try:
        with bottlecrm_peer.start(root / "bottlecrm") as crm:
            env = {
                env_var_name(ERP_CONNECTION): connection_uri(odoo, transport),
                env_var_name(scenario.CRM_CONNECTION): crm.connection_uri(),
            }
            for key, value in env.items():
                monkeypatch.setenv(key, value)
            path = root / "synchub.yaml"
            path.write_text(yaml.safe_dump(config_document(root), allow_unicode=True))
            config = load_config(path)
            store = Store(config.state.url)
            store.upgrade()
            store.close()
            yield OdooPeers(root, odoo, crm, config, env)
    finally:
        monkeypatch.undo()
        odoo.stop()

"""The Odoo emulator (ERP, a real HTTP server on its own threads) and a real CRM, wired into a
SyncHub config with the five flows of the demo: BottleCRM once with JSON-2 against Odoo 19, once with
XML-RPC against Odoo 17 (each with a fresh BottleCRM); SuiteCRM (the session's, reset) with JSON-2.

A kill -9 test runs the flow in a child process that kills itself; the emulator stays up in this
one, as a real Odoo would, and the rerun talks to the same server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Connector
from sync_engine.config import Config
from sync_engine.connections import env_var_name
from sync_engine.flows import open_connector
from synchub_dev.demo import scenario
from synchub_dev.peers.bottlecrm import BottleCrmPeer
from tests.bottlecrm.conftest import bottlecrm_peer  # noqa: F401 - shared session fixture
from tests.emulators.odoo import OdooEmulator
from tests.odoo.connected import TRANSPORT_VERSIONS, connection_uri
from tests.steady.steps import configured, copy_config

ERP_CONNECTION = "odoo_erp"


@dataclass
class OdooPeers:
    """The emulated Odoo, the real BottleCRM, the config that syncs them, and its environment."""

    root: Path
    odoo: OdooEmulator
    crm_server: Any
    """The CRM's server (BottleCRM or SuiteCRM instance)."""
    config: Config
    env: dict[str, str]

    def config_copy(self, name: str, flows: dict[str, dict]) -> Config:
        """The same systems with a state database of its own and the given flows."""
        return copy_config(self.config, self.root, name, flows)

    def connectors(self) -> dict[str, Connector]:
        return {role: open_connector(self.config, role) for role in ("erp", "crm")}


def config_document(root: Path, crm: str = "bottlecrm") -> dict:
    """The demo's five flows with Odoo as the ERP."""
    doc = scenario.config_document(root, crm=crm)
    doc["systems"]["erp"] = {"connector": "odoo", "connection": ERP_CONNECTION}
    return doc


@contextmanager
def wired(
    root: Path, odoo: OdooEmulator, transport: str, crm: str, crm_uri: str, server: Any
) -> Iterator[OdooPeers]:
    """The config of the five flows between ``odoo`` and a CRM, its connections in the environment."""
    env = {
        env_var_name(ERP_CONNECTION): connection_uri(odoo, transport),
        env_var_name(scenario.CRM_CONNECTION): crm_uri,
    }
    with configured(root, env, config_document(root, crm)) as config:
        yield OdooPeers(root, odoo, server, config, env)


@pytest.fixture(scope="module", params=sorted(TRANSPORT_VERSIONS))
def odoo_peers(
    request: pytest.FixtureRequest,
    bottlecrm_peer: BottleCrmPeer,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[OdooPeers]:
    transport = str(request.param)
    root = tmp_path_factory.mktemp(f"odoo-e2e-{transport}")
    odoo = OdooEmulator(version=TRANSPORT_VERSIONS[transport]).start()
    try:
        with (
            bottlecrm_peer.start(root / "bottlecrm") as crm,
            wired(root, odoo, transport, "bottlecrm", crm.connection_uri(), crm) as peers,
        ):
            yield peers
    finally:
        odoo.stop()


@pytest.fixture(scope="module")
def odoo_suitecrm_peers(
    suitecrm_instances: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[OdooPeers]:
    """The Odoo emulator (JSON-2, Odoo 19) and the session's SuiteCRM, reset."""
    root = tmp_path_factory.mktemp("odoo-e2e-suitecrm")
    crm = suitecrm_instances.get(seconds=False)
    crm.reset()
    odoo = OdooEmulator(version=19).start()
    try:
        with wired(root, odoo, "json2", "suitecrm", crm.connection_uri(), crm) as peers:
            yield peers
    finally:
        odoo.stop()

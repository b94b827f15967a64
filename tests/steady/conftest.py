"""A real Tryton and a real CRM (BottleCRM, or SuiteCRM for ``suitecrm_peers``) per module, wired into
a SyncHub config with the five flows.

The peers are the project's own fixtures (tests/tryton, tests/bottlecrm): built once per machine,
a fresh copy per module here. Outside CI a machine that cannot build them skips with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Connector
from sync_engine.config import Config
from sync_engine.connections import env_var_name
from sync_engine.flows import open_connector
from synchub_dev.demo import scenario
from synchub_dev.peers.bottlecrm import BottleCrmInstance, BottleCrmPeer
from synchub_dev.peers.suitecrm import SuiteCrmInstance
from synchub_dev.peers.tryton import TrytonInstance, TrytonPeer
from tests.bottlecrm.conftest import bottlecrm_peer  # noqa: F401 - shared session fixtures
from tests.steady.steps import configured, copy_config
from tests.tryton.conftest import tryton_peer  # noqa: F401


@dataclass
class RealPeers:
    """Both servers, the config that syncs them, and its store."""

    root: Path
    tryton: TrytonInstance
    crm_server: BottleCrmInstance | SuiteCrmInstance
    config: Config
    env: dict[str, str]

    def config_copy(
        self, name: str, flows: dict[str, dict] | None = None, **flow_overrides: object
    ) -> Config:
        """The same systems with a state database of its own (and optionally other flows)."""
        return copy_config(self.config, self.root, name, flows, **flow_overrides)

    def connectors(self) -> dict[str, Connector]:
        return {role: open_connector(self.config, role) for role in ("erp", "crm")}


@pytest.fixture(scope="module")
def peers(
    tryton_peer: TrytonPeer,  # noqa: F811
    bottlecrm_peer: BottleCrmPeer,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RealPeers]:
    root = tmp_path_factory.mktemp("steady")
    tryton = tryton_peer.start(root / "tryton")
    try:
        with bottlecrm_peer.start(root / "bottlecrm") as crm:
            env = {
                env_var_name(scenario.ERP_CONNECTION): tryton.uri,
                env_var_name(scenario.CRM_CONNECTION): crm.connection_uri(),
            }
            with configured(root, env, scenario.config_document(root)) as config:
                yield RealPeers(root, tryton, crm, config, env)
    finally:
        tryton.stop()


@pytest.fixture(scope="module")
def suitecrm_peers(
    tryton_peer: TrytonPeer,  # noqa: F811
    suitecrm_instances: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RealPeers]:
    """Tryton and the session's SuiteCRM (reset), with the demo's five flows between them."""
    root = tmp_path_factory.mktemp("steady-suitecrm")
    crm = suitecrm_instances.get(seconds=False)
    crm.reset()
    tryton = tryton_peer.start(root / "tryton")
    try:
        env = {
            env_var_name(scenario.ERP_CONNECTION): tryton.uri,
            env_var_name(scenario.CRM_CONNECTION): crm.connection_uri(),
        }
        with configured(root, env, scenario.config_document(root, crm="suitecrm")) as config:
            yield RealPeers(root, tryton, crm, config, env)
    finally:
        tryton.stop()

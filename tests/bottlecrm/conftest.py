"""A real BottleCRM for the tests: built once (venv + migrated template), one instance per module.

Outside CI a machine that cannot install BottleCRM (no network, no Python 3.12) skips these tests
with the reason; under ``CI=true`` that is a failure, so a broken setup cannot pass unnoticed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from connectors.base import ConnectionSettings
from connectors.bottlecrm import BottleCrmConnector
from synchub_dev.peers.bottlecrm import BottleCrmInstance, BottleCrmPeer

from .helpers import peer_or_skip


@pytest.fixture(scope="session")
def bottlecrm_peer() -> BottleCrmPeer:
    return peer_or_skip()


@pytest.fixture(scope="module")
def crm(
    bottlecrm_peer: BottleCrmPeer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BottleCrmInstance]:
    """A BottleCRM on a fresh copy of the template, shared by one test module."""
    with bottlecrm_peer.start(tmp_path_factory.mktemp("bottlecrm")) as instance:
        yield instance


@pytest.fixture
def connector(crm: BottleCrmInstance) -> Iterator[BottleCrmConnector]:
    with BottleCrmConnector(ConnectionSettings.from_uri(crm.connection_uri())) as conn:
        assert isinstance(conn, BottleCrmConnector)
        yield conn


@pytest.fixture
def unique() -> str:
    """A suffix that keeps names unique within a module's shared server (BottleCRM wants unique names)."""
    return uuid.uuid4().hex[:8]


@pytest.fixture
def crm_uri(crm: BottleCrmInstance) -> str:
    return crm.connection_uri()

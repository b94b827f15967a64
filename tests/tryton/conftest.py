"""A real Tryton server per test, started on a copy of a template database built once per machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.tryton import TrytonConnector
from synchub_dev.peers.tryton import TrytonInstance, TrytonPeer

from .helpers import connect, peer_or_skip


@pytest.fixture(scope="session")
def tryton_peer() -> TrytonPeer:
    return peer_or_skip()


@pytest.fixture
def tryton(tryton_peer: TrytonPeer, tmp_path: Path) -> Iterator[TrytonInstance]:
    instance = tryton_peer.start(tmp_path / "tryton")
    yield instance
    instance.stop()


@pytest.fixture
def erp(tryton: TrytonInstance) -> Iterator[TrytonConnector]:
    connector = connect(tryton, accept_warnings=True)
    yield connector
    connector.close()

"""A real Tryton server per test, started on a copy of a template database built once per machine."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.tryton import TrytonConnector
from synchub_dev.peers.process import PeerError
from synchub_dev.peers.tryton import TrytonInstance, TrytonPeer

from .helpers import connect


@pytest.fixture(scope="session")
def tryton_peer() -> TrytonPeer:
    """The installed peer with its template (built on first use; ~2 min, then reused)."""
    peer = TrytonPeer()
    try:
        peer.template()
    except PeerError as exc:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip(f"Tryton could not be installed or set up here (no network?): {exc}")
    return peer


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

"""What the BottleCRM tests and the conformance subjects share."""

from __future__ import annotations

import os

import pytest

from synchub_dev.peers.bottlecrm import BottleCrmPeer
from synchub_dev.peers.process import PeerError


def peer_or_skip() -> BottleCrmPeer:
    """The installed peer with its template (built once per machine, then reused).

    Outside CI a machine that cannot install BottleCRM (no network, no Python 3.12) skips with the
    reason; under ``CI=true`` that is a failure, so a broken setup cannot pass unnoticed.
    """
    peer = BottleCrmPeer()
    try:
        peer.template()
    except PeerError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"BottleCRM could not be set up in CI: {exc}")
        pytest.skip(f"BottleCRM could not be set up here (needs PyPI and Python 3.12): {exc}")
    return peer

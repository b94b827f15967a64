"""Fixtures: ONE real SuiteCRM per test session (reset before each test that uses it), and a second
one whose API shows seconds, started only when a test asks for it.

Both get SyncHub's custom fields package installed once. They are stopped at the end of the session,
also after a failure or Ctrl-C (and, failing that, at interpreter exit or by the next session's sweep).
Without the peer scripts (``<repo>/../shared/peers/suitecrm``) the tests skip with the reason; under
``CI=true`` they fail instead.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from connectors.suitecrm import SuiteCrmClient, SuiteCrmSettings
from connectors.suitecrm.custom_fields import build_package
from synchub_dev.peers import suitecrm as peer


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"SuiteCRM peer unavailable in CI: {reason}", pytrace=False)
    pytest.skip(f"SuiteCRM peer unavailable: {reason}")


@pytest.fixture(scope="session")
def fields_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(tmp_path_factory.mktemp("suitecrm") / "synchub-fields.zip")


class _Instances:
    """Session instances by kind, started on first use and all stopped once."""

    def __init__(self, package: Path) -> None:
        self.package = package
        self.running: dict[bool, peer.SuiteCrmInstance] = {}
        self.failed: dict[bool, str] = {}
        atexit.register(self.stop_all)

    def get(self, *, seconds: bool) -> peer.SuiteCrmInstance:
        if seconds in self.failed:
            _unavailable(self.failed[seconds])
        if seconds not in self.running:
            if not self.running:
                peer.sweep_orphans()
            try:
                instance = peer.start(seconds=seconds)
            except peer.PeerUnavailable as exc:
                self.failed[seconds] = str(exc)
                _unavailable(str(exc))
            self.running[seconds] = instance
            try:
                instance.install_package(self.package)
            except peer.PeerUnavailable as exc:
                self.failed[seconds] = str(exc)
                pytest.fail(f"SuiteCRM started but the SyncHub fields package did not install: {exc}")
        return self.running[seconds]

    def stop_all(self) -> None:
        while self.running:
            _, instance = self.running.popitem()
            instance.stop()


@pytest.fixture(scope="session")
def suitecrm_instances(fields_package: Path) -> Iterator[_Instances]:
    if not (peer.peer_scripts() / "start_suitecrm.sh").is_file():
        _unavailable(f"no start_suitecrm.sh in {peer.peer_scripts()} (set SYNCHUB_SUITECRM_PEER)")
    instances = _Instances(fields_package)
    try:
        yield instances
    finally:
        instances.stop_all()


@pytest.fixture
def suitecrm(suitecrm_instances: _Instances) -> peer.SuiteCrmInstance:
    """The session's SuiteCRM (stock settings: datetimes to the minute), freshly reset."""
    instance = suitecrm_instances.get(seconds=False)
    instance.reset()
    return instance


@pytest.fixture
def suitecrm_seconds(suitecrm_instances: _Instances) -> peer.SuiteCrmInstance:
    """A second SuiteCRM whose API user has the time format H:i:s (datetimes to the second), reset."""
    instance = suitecrm_instances.get(seconds=True)
    instance.reset()
    return instance


@pytest.fixture
def make_client() -> Iterator[Callable[..., SuiteCrmClient]]:
    made: list[SuiteCrmClient] = []

    def build(instance: peer.SuiteCrmInstance, grant: str = "password", **kwargs: object) -> SuiteCrmClient:
        client = SuiteCrmClient(SuiteCrmSettings.parse(instance.connection(grant)), **kwargs)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


@pytest.fixture
def client(suitecrm: peer.SuiteCrmInstance, make_client: Callable[..., SuiteCrmClient]) -> SuiteCrmClient:
    return make_client(suitecrm)

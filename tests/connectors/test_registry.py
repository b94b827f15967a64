"""Connectors are found through the ``synchub.connectors`` entry-point group."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.base import ConnectionSettings, PermanentError, available_connectors, load_connector
from connectors.memory import MemoryConnector

PLUGIN = """
from connectors.base import Capabilities, Connector


class ThirdPartyConnector(Connector):
    name = "thirdparty"
    capabilities = Capabilities(entities=frozenset({"customer"}))

    def read_changes(self, entity, since, *, page_size=500):
        return iter(())

    def read_by_ids(self, entity, ids):
        return []

    def write_batch(self, entity, requests):
        return []


NOT_A_CONNECTOR = object()
"""


def test_memory_connector_is_found_through_its_entry_point() -> None:
    assert load_connector("memory") is MemoryConnector
    assert available_connectors()["memory"] == "connectors.memory:MemoryConnector"


def test_unknown_connector_name_says_what_is_installed_and_what_to_do() -> None:
    with pytest.raises(PermanentError) as error:
        load_connector("no-such-crm")
    message = str(error.value)
    assert "'no-such-crm'" in message and "memory" in message and "synchub.yaml" in message


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A distribution installed 'by hand': a module and a dist-info with entry_points.txt on sys.path."""
    (tmp_path / "thirdparty_synchub.py").write_text(PLUGIN, encoding="utf-8")
    dist_info = tmp_path / "thirdparty_synchub-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: thirdparty-synchub\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(
        "[synchub.connectors]\n"
        "thirdparty = thirdparty_synchub:ThirdPartyConnector\n"
        "broken = thirdparty_synchub:NOT_A_CONNECTOR\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("thirdparty_synchub", None)


def test_a_third_party_package_can_add_a_connector(third_party: Path) -> None:
    cls = load_connector("thirdparty")
    assert cls.__name__ == "ThirdPartyConnector" and cls.name == "thirdparty"
    assert {"memory", "thirdparty"} <= set(available_connectors())


def test_an_entry_point_that_is_not_a_connector_is_refused(third_party: Path) -> None:
    with pytest.raises(PermanentError, match="not a Connector subclass"):
        load_connector("broken")


def test_connection_settings_never_show_secrets_in_their_repr() -> None:
    settings = ConnectionSettings.from_uri(
        "suitecrm://admin:Pw-123@crm.example.com/?client_id=abc&client_secret=S3cr3t&api_key=K3y&scheme=https"
    )
    shown = repr(settings)
    assert "Pw-123" not in shown and "S3cr3t" not in shown and "K3y" not in shown
    assert "'client_id': 'abc'" in shown and "'scheme': 'https'" in shown

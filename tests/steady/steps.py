"""Steps the end-to-end tests share, whatever the ERP: the flows configured, a CRM contact added, a run
killed mid-write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import pytest
import yaml

from connectors.base import Connector, WriteRequest
from sync_engine.config import Config, load_config
from sync_engine.store import Store
from synchub_dev.demo import scenario, seed


@contextmanager
def configured(root: Path, env: dict[str, str], document: dict[str, Any]) -> Iterator[Config]:
    """``document`` written to ``root/synchub.yaml`` and loaded, its state database migrated, and
    ``env`` (the connections' URIs under their variable names) in the environment for the block."""
    monkeypatch = pytest.MonkeyPatch()
    try:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield _written(root / "synchub.yaml", document)
    finally:
        monkeypatch.undo()


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from sync_engine.config import load_config
    from sync_engine.flows import run_flow
    from sync_engine.store import Store

    config = load_config(sys.argv[1])
    store = Store(config.state.url)
    writes = 0

    def hook(step):
        global writes
        if step == "after_write":
            writes += 1
            if writes == 2:  # the second batch is written, its links not committed: kill -9 now
                os.kill(os.getpid(), signal.SIGKILL)

    run_flow(config, "customers", store, hook=hook)
    """
)
WANG = {
    "first_name": "美玲",
    "last_name": "王",
    "email": "wang@example.cn",
    "phone": "+86 10 1",
    "title": "采购",
}
"""A contact added in the CRM to the quote's customer (CRM-owned: it must reach the ERP)."""


class Peers(Protocol):
    config: Config
    env: dict[str, str]

    def config_copy(self, name: str, flows: dict[str, dict]) -> Config: ...


def copy_config(
    config: Config, root: Path, name: str, flows: dict[str, dict] | None = None, **flow_overrides: object
) -> Config:
    """The same systems with a state database of its own (and optionally other flows)."""
    doc = yaml.safe_load(config.path.read_text())
    doc["state"]["url"] = f"sqlite:///{root / (name + '.db')}"
    if flows is not None:
        doc["flows"] = flows
    for flow in doc["flows"].values():
        flow.update(flow_overrides)
    return _written(root / f"{name}.yaml", doc)


def _written(path: Path, document: dict[str, Any]) -> Config:
    """``document`` saved at ``path`` and loaded, its state database migrated."""
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    config = load_config(path)
    store = Store(config.state.url)
    store.upgrade()
    store.close()
    return config


def add_crm_contact(crm: Connector, contact: dict[str, Any] = WANG) -> None:
    """A salesperson adds a contact to the quote's customer in the CRM."""
    account = seed.find_id(crm, "customer", "name", scenario.QUOTE_CUSTOMER)
    [current] = crm.read_by_ids("customer", [account])
    contacts = [*current.data["contacts"], contact]
    seed.write_all(crm, "customer", [WriteRequest("update", "a", {"contacts": contacts}, account)])


def killed_customers_run(peers: Peers) -> Config:
    """The customers flow in small batches (its own state), run in a child process that kill -9s
    itself after its second write batch, before that batch's links are committed; the config."""
    flows = {
        "customers": {
            **peers.config.flows["customers"].model_dump(exclude={"name"}),
            "batch_size": 4,
            "page_size": 4,
        }
    }
    config = peers.config_copy("killed", flows=flows)
    env = {**os.environ, **peers.env, "PYTHONPATH": os.getcwd()}
    died = subprocess.run([sys.executable, "-c", KILLER, str(config.path)], env=env, timeout=600)
    assert died.returncode == -signal.SIGKILL
    return config

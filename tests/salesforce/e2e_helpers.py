"""Shared pieces of the end-to-end flow tests: a config file, a store, canonical views of a side."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.base import Connector
from sync_engine.config import Config, load_config
from sync_engine.mapping import load_mapping
from sync_engine.model import validate_canonical
from sync_engine.report import RunReport
from sync_engine.retrying import RetryPolicy
from sync_engine.run.sides import ReferenceLookup
from sync_engine.store import Store

REPO = Path(__file__).resolve().parents[2]
MAPPINGS = REPO / "mappings"
FAST_RETRY = RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.05)


def unavailable(what: str, reason: object) -> None:
    """A real peer that cannot run here: skipped on a developer machine, a failure in CI."""
    message = f"{what} could not be set up here: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI must provide it)")
    pytest.skip(message)


def write_config(root: Path, systems: dict[str, Any], flows: dict[str, Any]) -> Config:
    """A real ``synchub.yaml`` (validated by ``load_config``) with a SQLite state store beside it."""
    doc = {
        "version": 1,
        "state": {"url": f"sqlite:///{root / 'state.db'}"},
        "mappings_dir": str(MAPPINGS),
        "systems": systems,
        "flows": flows,
    }
    path = root / "synchub.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_config(path)


def open_store(config: Config) -> Store:
    store = Store(config.state.url)
    store.upgrade()
    return store


def check_run(report: RunReport, store: Store) -> RunReport:
    """A clean run: success, nothing dead-lettered, deferred or in conflict; failures show the reasons."""
    letters = [
        f"{d.system} {d.entity} {d.external_id} [{d.stage}] {d.field}: {d.reason}"
        for d in store.list_dead_letters(status=None, flow=report.flow)
        if d.status != "resolved"
    ]
    assert report.status == "success", (report.error, letters)
    assert (report.dead_letters, report.conflicts, report.deferred) == (0, 0, 0), (report.as_dict(), letters)
    return report


def canonical_records(
    connector: Connector,
    connector_name: str,
    entity: str,
    store: Store,
    system: str,
    *,
    fields: Iterable[str],
) -> list[dict[str, Any]]:
    """Every native record of one side, mapped with its shipped mapping and validated, as canonical values.

    References resolve through the store's links exactly as the engine resolves them, so records of
    both sides compare equal when they name the same customer or product. Only ``fields`` are kept:
    the ones both sides' mappings hold.
    """
    mapping = load_mapping(MAPPINGS, connector_name, entity)
    refs = ReferenceLookup(store, system)
    out = []
    for page in connector.read_changes(entity, None):
        for record in page.records:
            if record.deleted:
                continue
            model = validate_canonical(entity, mapping.to_canonical(record.data, refs))
            # Python values, not JSON text: Decimal("2500.0") and Decimal("2500.00") are one amount.
            full = model.model_dump()
            out.append({key: full[key] for key in fields})
    return out


def shared_fields(entity: str, *connector_names: str) -> list[str]:
    """Top-level canonical fields every named connector's mapping reads."""
    sets = [set(load_mapping(MAPPINGS, name, entity).canonical_fields) for name in connector_names]
    return sorted(set.intersection(*sets))


def by_key(records: Iterable[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for record in records:
        assert record[key] not in out, f"two records share {key}={record[key]!r}: a duplicate was written"
        out[record[key]] = record
    return out


def assert_same_records(erp: dict[str, dict[str, Any]], crm: dict[str, dict[str, Any]]) -> None:
    """Both sides hold the same records; a difference is named by record and field."""
    assert sorted(erp) == sorted(crm), "records on one side only"
    differences = [
        f"{key}.{field}: erp {erp[key][field]!r} != crm {crm[key][field]!r}"
        for key in erp
        for field in erp[key]
        if erp[key][field] != crm[key][field]
    ]
    assert not differences, "\n".join(differences)

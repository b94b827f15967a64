"""The unchanged path: a record read exactly as last seen is not mapped, validated or merged again,
unless its link is held by a conflict, marked deleted or waits for a resolution (issue 18)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sync_engine.mapping import load_mapping
from tests.engine.conftest import REPO, Hub
from tests.memory_samples import native_customer as customer


@pytest.fixture
def mapped(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every native record the memory customer mapping translates, by company name."""
    mapping = load_mapping(REPO / "mappings", "memory", "customer")
    seen: list[str] = []
    original = mapping.to_canonical

    def counting(native, ctx=None):
        seen.append((native.get("company") or {}).get("name"))
        return original(native, ctx)

    monkeypatch.setattr(mapping, "to_canonical", counting)
    yield seen


def test_a_full_snapshot_read_maps_only_what_changed_since_it_was_last_seen(make_hub, mapped) -> None:
    hub: Hub = make_hub(crm_options={"change_tracking": "none"}, erp_options={"change_tracking": "none"})
    for i in range(5):
        hub.erp.put("customer", None, customer(f"Firma {i}", f"DE{i}"))
    hub.run()
    hub.run()  # the copies just written are seen once more, and remembered as they are
    mapped.clear()

    quiet = hub.run()
    assert mapped == [] and quiet.writes == 0
    assert (quiet.sides["erp"].unchanged, quiet.sides["crm"].unchanged) == (5, 5)

    hub.erp.patch("customer", hub.id_of("erp", "Firma 3"), {"vat_number": "DE33"})
    changed = hub.run()
    assert mapped == ["Firma 3"] and changed.sides["crm"].updated == 1


def test_a_record_held_by_a_conflict_is_always_looked_at(make_hub, mapped) -> None:
    hub: Hub = make_hub(crm_options={"change_tracking": "none"}, erp_options={"change_tracking": "none"})
    erp_id = hub.erp.put("customer", None, customer("Acme", "DE1"))
    hub.run()
    hub.run()
    crm_id = hub.id_of("crm", "Acme")
    hub.erp.patch("customer", erp_id, {"company": {"name": "Acme ERP", "legal_form": "GmbH"}})
    hub.crm.patch("customer", crm_id, {"company": {"name": "Acme CRM", "legal_form": "GmbH"}})
    assert hub.run().conflicts == 1
    mapped.clear()

    again = hub.run()

    assert sorted(mapped) == ["Acme CRM", "Acme ERP"], "held records are merged every run"
    assert again.open_conflicts == 1 and again.writes == 0


def test_a_new_mapping_version_maps_everything_again(
    make_hub, mapped, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub: Hub = make_hub(crm_options={"change_tracking": "none"}, erp_options={"change_tracking": "none"})
    for i in range(3):
        hub.erp.put("customer", None, customer(f"Firma {i}", f"DE{i}"))
    hub.run()
    hub.run()
    mapping = load_mapping(REPO / "mappings", "memory", "customer")
    monkeypatch.setattr(mapping, "version", mapping.version + "-edited")
    mapped.clear()

    report = hub.run()

    assert len(mapped) == 6 and report.writes == 0


@pytest.fixture
def id_scans(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Hub], list[str]]]:
    """Systems whose linked ids a hub's runs loaded to look for deletions."""

    def watch(hub: Hub) -> list[str]:
        scanned: list[str] = []
        original = hub.store.iter_external_ids

        def loading(flow: str, system: str, **kwargs: Any) -> Iterator[str]:
            scanned.append(system)
            return original(flow, system, **kwargs)

        monkeypatch.setattr(hub.store, "iter_external_ids", loading)
        return scanned

    yield watch


def test_a_quiet_snapshot_counts_linked_ids_and_loads_them_only_when_one_is_missing(
    make_hub, id_scans
) -> None:
    hub: Hub = make_hub(crm_options={"change_tracking": "none"}, erp_options={"change_tracking": "none"})
    for i in range(4):
        hub.erp.put("customer", None, customer(f"Firma {i}", f"DE{i}"))
    hub.run()
    hub.run()
    scanned = id_scans(hub)

    assert hub.run().writes == 0
    assert scanned == [], "every linked id was seen: counting them is enough"

    hub.crm.delete("customer", hub.id_of("crm", "Firma 2"))
    report = hub.run()

    assert scanned == ["crm"], "one CRM id is missing: the CRM's linked ids are compared"
    assert report.sides["erp"].deleted == 1
    assert sorted(hub.by_name("erp")) == ["Firma 0", "Firma 1", "Firma 3"]


def test_links_saved_during_a_snapshot_read_make_it_compare_the_ids(make_hub, id_scans) -> None:
    """A save may unbind ids of the side being read, so the count would no longer prove anything."""
    hub: Hub = make_hub(
        crm_options={"change_tracking": "none"}, erp_options={"change_tracking": "none"}, batch_size=1
    )
    for i in range(3):
        hub.erp.put("customer", None, customer(f"Firma {i}", f"DE{i}"))
    hub.run()
    hub.run()
    scanned = id_scans(hub)
    # the ERP is read second (while the batches flush); its change is written and saved during its read
    hub.erp.patch("customer", hub.id_of("erp", "Firma 1"), {"vat_number": "DE11"})

    report = hub.run()

    assert report.sides["crm"].updated == 1
    assert scanned == ["erp"]

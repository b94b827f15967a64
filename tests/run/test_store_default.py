"""``store_default``: a field a side reads only through its mapping's default is written there once the
other side holds the record, and then the runs are quiet.

The CRM here reads an empty payment term as "30 days net" (as a CRM quote reads an empty ERP status
as "confirmed"); the ERP saves that term as NET30, equal to the default, so without ``store_default``
nothing would ever tell the CRM to hold it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sync_engine.mapping import MappingFileError, load_mapping
from sync_engine.run import FlowRunner
from tests.memory_samples import native_customer as customer
from tests.run.conftest import FAST, REPO, World

TERMS = "  payment_terms:\n    native: finance.payment_terms\n"


def crm_mapping_dir(root: Path, extra: str = "    default: 30 days net\n    store_default: true\n") -> Path:
    text = (REPO / "mappings" / "memory" / "customer.yaml").read_text()
    assert TERMS in text, "the memory customer mapping changed: update this test"
    folder = root / "mappings" / "memory"
    folder.mkdir(parents=True)
    (folder / "customer.yaml").write_text(text.replace(TERMS, TERMS + extra))
    return root / "mappings"


def run(world: World, crm_dir: Path, erp_dir: Path = REPO / "mappings"):
    ctx = world.context()
    mappings = {
        "erp": load_mapping(erp_dir, "memory", "customer"),
        "crm": load_mapping(crm_dir, "memory", "customer"),
    }
    connectors = {role: side.connector for role, side in ctx.sides.items()}
    return FlowRunner(world.flow, world.store, connectors, mappings, retry=FAST).run()


def writes(report) -> int:
    return sum(c.created + c.updated + c.deleted + c.failed for c in report.sides.values())


def test_the_default_a_side_read_is_written_there_once_the_other_side_holds_it(world: World, tmp_path):
    crm_dir = crm_mapping_dir(tmp_path)
    record = customer("Alpen AG", "CHE-1")
    record["finance"]["payment_terms"] = None
    crm_id = world.crm.put("customer", None, record)

    first = run(world, crm_dir)
    assert first.sides["erp"].created == 1
    [erp_row] = world.erp.all("customer").values()
    assert erp_row["finance"]["payment_terms"] == "NET30", "the ERP was created with the default's value"
    assert world.crm.get("customer", crm_id)["finance"]["payment_terms"] == "NET30", (
        "the CRM holds the agreed term after the follow-up write of the same run"
    )
    for _ in range(2):
        assert writes(run(world, crm_dir)) == 0, "converged: the next runs write nothing"

    # someone empties the field in the CRM: it reads as the default again, unchanged to the snapshot,
    # yet the engine puts the agreed value back, once
    world.crm.patch("customer", crm_id, {"finance": {**record["finance"], "payment_terms": None}})
    healed = run(world, crm_dir)
    assert healed.sides["crm"].updated == 1 and healed.sides["erp"].updated == 0
    assert world.crm.get("customer", crm_id)["finance"]["payment_terms"] == "NET30"
    assert writes(run(world, crm_dir)) == 0


def test_without_store_default_the_empty_field_stays_empty(world: World, tmp_path):
    crm_dir = crm_mapping_dir(tmp_path, "    default: 30 days net\n")
    record = customer("Alpen AG", "CHE-1")
    record["finance"]["payment_terms"] = None
    crm_id = world.crm.put("customer", None, record)
    run(world, crm_dir)
    assert world.crm.get("customer", crm_id)["finance"]["payment_terms"] is None
    assert writes(run(world, crm_dir)) == 0


def test_nothing_is_written_while_the_other_side_lacks_the_record(world: World, tmp_path):
    from connectors.memory.faults import RecordFault

    crm_dir = crm_mapping_dir(tmp_path)
    record = customer("Alpen AG", "CHE-1")
    record["finance"]["payment_terms"] = None
    crm_id = world.crm.put("customer", None, record)
    world.erp.faults.next_records.append(RecordFault(False, "refused by the test"))
    report = run(world, crm_dir)
    assert report.sides["erp"].failed == 1 and report.sides["crm"].updated == 0
    assert world.crm.get("customer", crm_id)["finance"]["payment_terms"] is None, (
        "the CRM is not told a value the ERP does not hold"
    )


def test_store_default_needs_a_default(tmp_path):
    crm_dir = crm_mapping_dir(tmp_path, "    store_default: true\n")
    with pytest.raises(MappingFileError, match="store_default on 'payment_terms' needs native:, default:"):
        load_mapping(crm_dir, "memory", "customer")


def test_a_field_the_other_side_does_not_read_is_left_alone_and_the_record_stays_unchanged(
    world: World, tmp_path
):
    crm_dir = crm_mapping_dir(tmp_path / "crm")
    erp_dir = tmp_path / "erp" / "mappings"
    (erp_dir / "memory").mkdir(parents=True)
    text = (REPO / "mappings" / "memory" / "customer.yaml").read_text()
    start = text.index(TERMS)
    end = text.index("  active:", start)
    (erp_dir / "memory" / "customer.yaml").write_text(text[:start] + text[end:])
    record = customer("Alpen AG", "CHE-1")
    record["finance"]["payment_terms"] = None
    crm_id = world.crm.put("customer", None, record)
    assert run(world, crm_dir, erp_dir).sides["erp"].created == 1
    assert world.crm.get("customer", crm_id)["finance"]["payment_terms"] is None, "no ERP value to store"
    quiet = run(world, crm_dir, erp_dir)
    assert writes(quiet) == 0 and quiet.sides["crm"].unchanged == 1, (
        "an empty field nobody else holds must not make the record a change on every run"
    )

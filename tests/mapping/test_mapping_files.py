"""Mapping files are checked before use: each broken file is rejected with file:line, message and hint."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from sync_engine.mapping import (
    MappingFileError,
    load_mapping,
    validate_config_mappings,
    validate_mapping_file,
)
from sync_engine.model import ENTITIES

HERE = Path(__file__).parent
BROKEN = HERE / "broken"
SHIPPED = HERE.parent.parent / "mappings"

# file -> (line, words the message must contain, words the hint must contain)
EXPECTED = {
    "unknown_top_key.yaml": (2, "unknown key 'feilds'", "did you mean 'fields'"),
    "unknown_transform.yaml": (5, "unknown transform 'lookup' in the rule of fields.customer_id", "'ref'"),
    "bad_direction.yaml": (6, "fields.tax_id.direction: 'both_ways' is not allowed", "to_canonical"),
    "map_without_default.yaml": (6, "value map of 'active' has no default", "on_unknown: error"),
    "unknown_canonical_field.yaml": (4, "unknown canonical field 'customer_name'", "sync_engine/model.py"),
    "missing_required_field.yaml": (2, "required canonical field 'sku' of Product is not mapped", "add sku:"),
    "bad_type.yaml": (7, "fields.list_price.type: 'money' is not allowed", "decimal"),
    "bad_template.yaml": (7, "bad template for 'name'", "{native.path}"),
    "two_sources.yaml": (4, "field 'currency' has several sources (native, constant)", "exactly one"),
    "unknown_ref_entity.yaml": (3, "reference to unknown entity 'client'", "entities: customer"),
    "map_value_not_allowed.yaml": (8, "'opened' is not a valid status", "accepted"),
    "currency_on_text_field.yaml": (6, "currency: applies to money fields only", "remove currency:"),
    "yaml_syntax_error.yaml": (4, "invalid YAML", ""),
}


def test_every_broken_file_has_an_expectation() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 10


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_mapping_is_rejected_at_its_line_with_a_hint(name: str) -> None:
    line, message, hint = EXPECTED[name]
    problems = validate_mapping_file(BROKEN / name)
    matching = [p for p in problems if message in p.message]
    assert matching, f"no problem says {message!r}; got: {[str(p) for p in problems]}"
    problem = matching[0]
    assert problem.line == line
    assert hint in (problem.hint or "")
    assert str(problem).startswith(f"{BROKEN / name}:{line}: ")


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_shipped_memory_mappings_are_valid(entity: str) -> None:
    path = SHIPPED / "memory" / f"{entity}.yaml"
    assert validate_mapping_file(path) == []


def test_every_shipped_mapping_is_valid() -> None:
    problems = [str(p) for path in sorted(SHIPPED.glob("*/*.yaml")) for p in validate_mapping_file(path)]
    assert problems == []


def test_file_named_after_one_entity_but_declaring_another_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "memory" / "product.yaml"
    path.parent.mkdir()
    path.write_text("entity: customer\nfields:\n  sku: code\n  name: title\n")
    (problem,) = validate_mapping_file(path)
    assert problem.line == 1
    assert "does not match the file name" in problem.message


def test_value_map_that_cannot_be_reversed_needs_a_reverse_map(tmp_path: Path) -> None:
    path = tmp_path / "customer.yaml"
    path.write_text(
        "fields:\n  name: n\n  active:\n    native: s\n    map:\n      values: {A: true, B: true, I: false}\n"
        "      on_unknown: error\n"
    )
    (problem,) = validate_mapping_file(path)
    assert "'A' and 'B' both map to True" in problem.message
    assert problem.line == 6
    assert "reverse:" in (problem.hint or "")


def test_unknown_hook_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "customer.yaml"
    path.write_text("fields:\n  name: {native: n, hook: no_such_hook}\n")
    (problem,) = validate_mapping_file(path)
    assert problem.message == "unknown hook 'no_such_hook'" and problem.line == 2


def test_load_mapping_raises_with_every_problem(tmp_path: Path) -> None:
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "product.yaml").write_text("fields:\n  titel: title\n")
    with pytest.raises(MappingFileError) as caught:
        load_mapping(tmp_path, "memory", "product")
    messages = [p.message for p in caught.value.problems]
    assert any("unknown canonical field 'titel'" in m for m in messages)
    assert any("'sku'" in m for m in messages)


def test_load_mapping_reloads_a_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "memory" / "product.yaml"
    path.parent.mkdir()
    path.write_text("fields:\n  sku: code\n  name: title\n")
    first = load_mapping(tmp_path, "memory", "product")
    assert load_mapping(tmp_path, "memory", "product") is first
    path.write_text("fields:\n  sku: article\n  name: title\n")
    import os

    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    second = load_mapping(tmp_path, "memory", "product")
    assert second.to_canonical({"article": "A-1", "title": "Pump"})["sku"] == "A-1"


def _config(mappings_dir: Path, flows: dict[str, tuple[str, str, str]]) -> SimpleNamespace:
    systems = {"erp": SimpleNamespace(connector="memory"), "crm": SimpleNamespace(connector="othercrm")}
    return SimpleNamespace(
        mappings_dir=mappings_dir,
        systems=systems,
        flows={name: SimpleNamespace(entity=e, erp=erp, crm=crm) for name, (e, erp, crm) in flows.items()},
    )


def test_config_check_reports_a_missing_mapping_per_flow_side(tmp_path: Path) -> None:
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "product.yaml").write_text((SHIPPED / "memory" / "product.yaml").read_text())
    problems = validate_config_mappings(_config(tmp_path, {"products": ("product", "erp", "crm")}))
    (problem,) = problems
    assert problem.file == str(tmp_path / "othercrm" / "product.yaml")
    assert "flow 'products' needs a mapping for connector 'othercrm' entity 'product'" in problem.message


def test_config_check_reports_invalid_mappings_once(tmp_path: Path) -> None:
    for connector in ("memory", "othercrm"):
        (tmp_path / connector).mkdir()
        (tmp_path / connector / "customer.yaml").write_text("fields:\n  name: n\n  nickname: x\n")
    config = _config(tmp_path, {"customers": ("customer", "erp", "crm"), "again": ("customer", "erp", "crm")})
    problems = validate_config_mappings(config)
    assert [p.line for p in problems] == [3, 3]
    assert {Path(p.file).parent.name for p in problems} == {"memory", "othercrm"}


def test_config_check_passes_for_the_shipped_memory_mappings() -> None:
    systems = {"erp": SimpleNamespace(connector="memory"), "crm": SimpleNamespace(connector="memory")}
    flows = {e: SimpleNamespace(entity=e, erp="erp", crm="crm") for e in ENTITIES}
    config = SimpleNamespace(mappings_dir=SHIPPED, systems=systems, flows=flows)
    assert validate_config_mappings(config) == []

"""The committed JSON Schemas in sync_engine/schemas/ must match the canonical models."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from sync_engine.model import ENTITIES, to_canonical_dict, validate_canonical
from sync_engine.schema_export import REGENERATE, SCHEMA_DIR, render_schema, stale_schemas, write_schemas


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_committed_schema_matches_the_model(entity: str) -> None:
    path = SCHEMA_DIR / f"{entity}.json"
    assert path.is_file(), f"{path} is missing; run `{REGENERATE}`"
    assert path.read_text(encoding="utf-8") == render_schema(entity), (
        f"{path} is out of date with sync_engine/model.py; run `{REGENERATE}` and commit the result"
    )


def test_schema_files_carry_id_title_and_dialect() -> None:
    schema = json.loads((SCHEMA_DIR / "sales_order.json").read_text(encoding="utf-8"))
    assert schema["$id"] == "urn:synchub:entity:sales_order"
    assert schema["title"] == "SalesOrder"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_a_changed_model_is_reported_as_stale(tmp_path: Path) -> None:
    write_schemas(tmp_path)
    assert stale_schemas(tmp_path) == []

    (tmp_path / "product.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "quote.json").unlink()
    assert stale_schemas(tmp_path) == ["product", "quote"]


def test_exported_schema_accepts_canonical_records_and_rejects_unknown_keys() -> None:
    schema = json.loads((SCHEMA_DIR / "customer.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    record = to_canonical_dict(
        validate_canonical(
            "customer",
            {"name": "株式会社テスト", "credit_limit": {"amount": "1000.50", "currency": "JPY"}},
        )
    )
    assert list(validator.iter_errors(record)) == []

    errors = list(validator.iter_errors({**record, "colour": "red"}))
    assert [e.validator for e in errors] == ["additionalProperties"]

"""`synchub mappings preview` maps a sample record and shows which rule produced each field."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from sync_engine.cli.mappings import app as mappings_app

HERE = Path(__file__).parent
SHIPPED = HERE.parent.parent / "mappings"

cli = typer.Typer()
cli.add_typer(mappings_app, name="mappings")
runner = CliRunner()


def preview(*args: str) -> tuple[int, str]:
    result = runner.invoke(
        cli, ["mappings", "preview", *args, "--mappings-dir", str(SHIPPED)], env={"COLUMNS": "200"}
    )
    return result.exit_code, result.output


def mapped_record(output: str) -> dict:
    return json.loads(output[output.index("mapped record:") + len("mapped record:") :])


def test_preview_prints_each_field_with_its_rule_and_the_mapped_record() -> None:
    code, out = preview("memory", "quote", str(HERE / "samples" / "quote.json"))
    assert code == 0, out
    assert "<ref customer:C-1001>" in out
    assert "lines[0].unit_price" in out
    assert "value map (5 codes, unknown -> error)" in out
    mapped = mapped_record(out)
    assert mapped["status"] == "accepted" and mapped["valid_until"] == "2026-03-31"


def test_preview_of_a_customer_sample_succeeds() -> None:
    code, out = preview("memory", "customer", str(HERE / "samples" / "customer.json"))
    assert code == 0, out
    assert "contacts[1].name" in out and "Jan van Dijk" in out


def test_preview_reverse_maps_a_canonical_record_to_native(tmp_path: Path) -> None:
    record = tmp_path / "product.json"
    record.write_text(
        json.dumps(
            {"sku": "P-1", "name": "Pump", "unit": "kg", "list_price": {"amount": "12.50", "currency": "EUR"}}
        )
    )
    code, out = preview("memory", "product", str(record), "--reverse")
    assert code == 0, out
    mapped = mapped_record(out)
    assert mapped["uom"] == "KG" and mapped["price"] == 12.5 and mapped["price_currency"] == "EUR"


def test_preview_of_a_bad_record_names_each_failing_field_and_exits_1(tmp_path: Path) -> None:
    sample = json.loads((HERE / "samples" / "quote.json").read_text())
    sample.update(state="Z", valid_to="yesterday")
    record = tmp_path / "bad.json"
    record.write_text(json.dumps(sample))
    code, out = preview("memory", "quote", str(record))
    assert code == 1
    assert "2 problem(s)" in out
    assert "canonical field 'status' (native field 'state'): native code 'Z' is not in the value map" in out
    assert "canonical field 'valid_until' (native field 'valid_to'): 'yesterday' is not a date" in out


def test_preview_reports_canonical_validation_failures(tmp_path: Path) -> None:
    record = tmp_path / "product.json"
    record.write_text(json.dumps({"code": "P-1", "title": "", "uom": "PCE", "is_active": True}))
    code, out = preview("memory", "product", str(record))
    assert code == 1
    assert "canonical field 'name': String should have at least 1 character" in out


def test_preview_with_a_broken_mapping_prints_its_problems(tmp_path: Path) -> None:
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "product.yaml").write_text("fields:\n  sku: code\n")
    record = tmp_path / "r.json"
    record.write_text("{}")
    result = runner.invoke(
        cli, ["mappings", "preview", "memory", "product", str(record), "--mappings-dir", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert f"{tmp_path / 'memory' / 'product.yaml'}:1: required canonical field 'name'" in result.output


def test_preview_of_a_file_that_is_not_json_says_where(tmp_path: Path) -> None:
    record = tmp_path / "r.json"
    record.write_text('{"code": "P",\n oops}')
    code, out = preview("memory", "product", str(record))
    assert code == 1 and f"{record}:2: invalid JSON" in out

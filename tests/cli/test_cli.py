"""The synchub command line: version, init, validate, db and the honest stubs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sync_engine import __version__
from sync_engine.cli import app

TEMPLATE = Path(__file__).resolve().parents[2] / "sync_engine" / "templates" / "synchub.yaml"

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SYNCHUB_CONFIG", raising=False)


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"synchub {__version__}\n"


def test_the_installed_console_script_runs() -> None:
    script = Path(sys.executable).parent / "synchub"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (0, f"synchub {__version__}\n")


def test_init_writes_the_commented_template(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "synchub.yaml").read_text(encoding="utf-8")
    assert written == TEMPLATE.read_text(encoding="utf-8")
    assert written.count("#") > 30  # every key explained


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "conf" / "sync.yaml"
    assert runner.invoke(app, ["init", str(target)]).exit_code == 0
    target.write_text("# my edits\n", encoding="utf-8")

    refused = runner.invoke(app, ["init", str(target)])
    assert refused.exit_code == 1
    assert "already exists; use --force" in refused.stderr
    assert target.read_text(encoding="utf-8") == "# my edits\n"

    forced = runner.invoke(app, ["init", str(target), "--force"])
    assert forced.exit_code == 0
    assert target.read_text(encoding="utf-8") == TEMPLATE.read_text(encoding="utf-8")


def test_init_then_validate_passes_on_a_fresh_folder() -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert "2 systems" in result.stdout and "2 flows: customers, products" in result.stdout


def test_validate_prints_each_mistake_as_file_line_message_and_exits_1(tmp_path: Path) -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    text = text.replace("    connector: memory           #", "    connector: memroy           #", 1)
    text = text.replace("conflict_policy: manual ", "conflict_policy: neweset ")
    text = text.replace("    direction: erp_to_crm", "    direction: erp_to_crm\n    batchsize: 10")
    config = tmp_path / "bad.yaml"
    config.write_text(text, encoding="utf-8")
    lines = text.splitlines()

    def line_of(fragment: str) -> int:
        return next(i for i, line in enumerate(lines, start=1) if fragment in line)

    result = runner.invoke(app, ["validate", "-c", str(config)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{config}:{line_of('memroy')}: systems.erp.connector: no connector named 'memroy' is installed"
        " (hint: did you mean 'memory'?)",
        f"{config}:{line_of('neweset')}: flows.customers.conflict_policy: must be one of manual, newest,"
        " erp, crm, got 'neweset' (hint: did you mean 'newest'?)",
        f"{config}:{line_of('batchsize')}: flows.products.batchsize: unknown key"
        " (hint: did you mean 'batch_size'?)",
    ]


def test_validate_reads_the_config_named_by_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "elsewhere.yaml"
    config.write_text("version: 2\nsystems: {}\n", encoding="utf-8")
    monkeypatch.setenv("SYNCHUB_CONFIG", str(config))
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 1
    assert result.stdout == f"{config}:1: version: must be one of 1, got 2\n"


def test_validate_without_a_config_suggests_init() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 1
    assert result.stdout == "synchub.yaml: file not found (hint: create one with `synchub init`)\n"


def test_db_upgrade_migrates_the_database_named_by_url(tmp_path: Path) -> None:
    pytest.importorskip("sync_engine.store")
    url = f"sqlite:///{tmp_path / 'state.db'}"
    before = runner.invoke(app, ["db", "current", "--url", url])
    assert before.exit_code == 0, before.output
    assert before.stdout.startswith("none (not migrated")

    upgraded = runner.invoke(app, ["db", "upgrade", "--url", url])
    assert upgraded.exit_code == 0, upgraded.output
    revision = runner.invoke(app, ["db", "current", "--url", url]).stdout.strip()
    assert revision and not revision.startswith("none")
    assert upgraded.stdout.endswith(f"is at revision {revision}.\n")

    downgraded = runner.invoke(app, ["db", "downgrade", "base", "--url", url])
    assert downgraded.exit_code == 0, downgraded.output
    assert runner.invoke(app, ["db", "current", "--url", url]).stdout.startswith("none")


def test_db_upgrade_uses_the_state_url_of_the_config(tmp_path: Path) -> None:
    pytest.importorskip("sync_engine.store")
    assert runner.invoke(app, ["init", "conf/synchub.yaml"]).exit_code == 0
    result = runner.invoke(app, ["db", "upgrade", "-c", "conf/synchub.yaml"])
    assert result.exit_code == 0, result.output
    # The relative SQLite path in the template is anchored at the config's folder, not the cwd.
    assert (tmp_path / "conf" / "synchub-state.db").is_file()
    assert not (tmp_path / "synchub-state.db").exists()


def test_db_with_a_broken_config_prints_its_problems() -> None:
    Path("synchub.yaml").write_text("version: 1\nsystems: {}\nstate: {ulr: x}\n", encoding="utf-8")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1
    assert result.stdout == "synchub.yaml:3: state.ulr: unknown key (hint: did you mean 'url'?)\n"

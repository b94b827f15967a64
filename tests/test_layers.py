"""The layer rules of DESIGN.md hold (``lint-imports``, as .ci/run runs it), and a planted violation of
each rule makes the check fail: the contracts are not decoration."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("sync_engine", "connectors", "synchub_dev")

# contract id -> (file of the copy to plant in, the import that breaks the contract)
VIOLATIONS = {
    "engine-without-airflow": ("sync_engine/run/reading.py", "import airflow.models"),
    "connectors-without-engine": ("connectors/memory/connector.py", "import sync_engine.flows"),
    "pure-merge": ("sync_engine/merge.py", "import sqlalchemy"),
    "stages-without-runner": ("sync_engine/run/pairing.py", "from sync_engine.run import runner"),
    "product-without-devtools": ("sync_engine/flows.py", "import synchub_dev.demo"),
}


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_tree_keeps_every_layer_contract() -> None:
    result = lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packages and the contracts, copied (sources only) where violations can be planted."""
    root = tmp_path_factory.mktemp("layers")
    for package in PACKAGES:
        skip = shutil.ignore_patterns("__pycache__", "*.json")
        shutil.copytree(REPO / package, root / package, ignore=skip)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.parametrize("contract", sorted(VIOLATIONS))
def test_a_planted_violation_breaks_its_contract(copy: Path, contract: str) -> None:
    path, statement = VIOLATIONS[contract]
    target = copy / path
    original = target.read_text()
    target.write_text(f"{statement}  # planted by tests/test_layers.py\n{original}")
    try:
        result = lint(copy)
    finally:
        target.write_text(original)
    assert result.returncode != 0, f"{contract}: the planted `{statement}` in {path} went unnoticed"
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert len(broken) == 1, result.stdout

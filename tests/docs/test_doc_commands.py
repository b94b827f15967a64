"""Every shell block of README.md and docs/ runs as written, so the docs cannot drift from the code.

Blocks of one file run in order in one sandbox checkout (a later block may use what an earlier one
made, e.g. the demo's env.sh), each with ``bash -euo pipefail`` and an environment scrubbed of SyncHub
and Airflow settings. Blocks marked ``doc-test: airflow`` are run by test_airflow_quickstart.py;
blocks marked ``doc-test: skip REASON`` are listed (and reported as skipped with their reason).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from doc_blocks import REPO, Block, all_blocks, reader_env, sandbox

KINDS = {"run", "airflow", "skip"}


def _by_file() -> dict[Path, list[Block]]:
    grouped: dict[Path, list[Block]] = {}
    for block in all_blocks():
        grouped.setdefault(block.path, []).append(block)
    return grouped


def test_every_block_has_a_known_marker_and_skips_say_why() -> None:
    for block in all_blocks():
        assert block.kind in KINDS, f"{block.where}: unknown doc-test marker {block.kind!r}"
        assert block.kind != "skip" or block.reason, f"{block.where}: a skipped block must say why"


@pytest.mark.parametrize("block", [b for b in all_blocks() if b.kind == "skip"], ids=lambda b: b.where)
def test_blocks_that_cannot_run_here(block: Block) -> None:
    pytest.skip(f"{block.where} not run: {block.reason}")


@pytest.mark.slow
@pytest.mark.parametrize(
    "path",
    [p for p, bs in _by_file().items() if any(b.kind == "run" for b in bs)],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_the_shell_blocks_of_a_document_run(path: Path, tmp_path: Path) -> None:
    root = sandbox(tmp_path / "synchub")
    env = reader_env()
    try:
        for block in _by_file()[path]:
            if block.kind != "run":
                continue
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", block.text],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert done.returncode == 0, (
                f"{block.where} failed (exit {done.returncode}):\n{block.text}\n"
                f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
            )
    finally:
        if (root / ".synchub-demo").exists():  # never leave the demo's servers running
            subprocess.run(
                [str(root / ".venv/bin/synchub"), "demo", "--stop"], cwd=root, env=env, timeout=120
            )

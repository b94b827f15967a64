"""Shell command blocks of the README and docs/, so tests can run them as a reader would.

A block is a fenced ```bash / ```sh / ```shell block. The HTML comment on the line just above it
(invisible when rendered) says how a test treats it:

- none: ``test_doc_commands.py`` runs it in a sandbox copy of the checkout;
- ``<!-- doc-test: airflow -->``: the Airflow quick start, run by ``test_airflow_quickstart.py``;
- ``<!-- doc-test: skip REASON -->``: cannot run here (REASON says why); the test lists these.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHELLS = ("bash", "sh", "shell")
MARKER = re.compile(r"<!--\s*doc-test:\s*(?P<kind>\w+)\s*(?P<reason>.*?)\s*-->")
# What a sandbox leaves out of the checkout: its own outputs and the things tests would clobber.
NOT_COPIED = {".git", ".airflow", ".synchub-demo", "synchub.yaml", "synchub-state.db", "test-artifacts"}


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    kind: str  # "run", "airflow" or "skip"
    reason: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"


def doc_files() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """Every shell block of one Markdown file, with its marker."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        fence = lines[i].strip()
        if fence.startswith("```") and fence[3:].strip() in SHELLS:
            end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
            marker = MARKER.search(lines[i - 1]) if i else None
            kind, reason = (marker["kind"], marker["reason"]) if marker else ("run", "")
            found.append(Block(path, i + 1, kind, reason, "\n".join(lines[i + 1 : end]) + "\n"))
            i = end
        elif fence.startswith("```"):  # skip any other fenced block whole
            i = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
        i += 1
    return found


def all_blocks() -> list[Block]:
    return [b for path in doc_files() for b in blocks(path)]


def sandbox(root: Path) -> Path:
    """A fresh checkout as a reader has it: every top-level entry of the repository linked in (the
    built ``.venv`` included, so ``.ci/setup`` finds it ready), nothing a previous run left behind."""
    root.mkdir(parents=True, exist_ok=True)
    for entry in REPO.iterdir():
        if entry.name not in NOT_COPIED:
            os.symlink(entry, root / entry.name)
    return root


def reader_env(**extra: str) -> dict[str, str]:
    """The test's environment without anything that would configure Airflow or SyncHub behind the
    docs' back (the test session sets AIRFLOW_* and SYNCHUB_* for other tests)."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "SYNCHUB_CONFIG", "SYNCHUB_CONN_", "PYTEST", "VIRTUAL_ENV"))
    }
    return {**keep, **extra}

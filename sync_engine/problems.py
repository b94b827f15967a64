"""A problem found in a user's file (config or mapping), reported as ``file:line: message``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One precise complaint about a file the user wrote, with a hint on how to fix it."""

    file: Path | str
    line: int | None
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else f"{self.file}"
        text = f"{where}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text

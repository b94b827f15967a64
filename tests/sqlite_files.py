"""Looking into a SQLite state file from outside, as a crash or a copy would see it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path


def links_in_file_alone(database: Path, copy: Path) -> int:
    """Links the main database file holds by itself, without its write-ahead log."""
    shutil.copyfile(database, copy)
    for suffix in ("-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    reader = sqlite3.connect(copy)
    try:
        return int(reader.execute("SELECT count(*) FROM links").fetchone()[0])
    except sqlite3.OperationalError:  # not even the tables are in the file yet
        return 0
    finally:
        reader.close()

"""Export each canonical entity's JSON Schema to ``sync_engine/schemas/<entity>.json``.

The committed files let other tools (and people) read the canonical model without Python;
``tests/test_schemas.py`` fails when they drift from the models. Regenerate with::

    python -m sync_engine.schema_export
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sync_engine.model import ENTITIES, entity_model

__all__ = ["SCHEMA_DIR", "entity_schema", "render_schema", "stale_schemas", "write_schemas"]

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
REGENERATE = "python -m sync_engine.schema_export"


def entity_schema(entity: str) -> dict[str, Any]:
    """The JSON Schema of one entity as accepted on input (validation mode)."""
    schema = entity_model(entity).model_json_schema(mode="validation")
    schema["$schema"] = SCHEMA_DIALECT
    schema["$id"] = f"urn:synchub:entity:{entity}"
    return schema


def render_schema(entity: str) -> str:
    """The exact text of ``<entity>.json``: sorted keys and stable formatting, so diffs stay small."""
    return json.dumps(entity_schema(entity), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every entity's schema file; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for entity in ENTITIES:
        path = directory / f"{entity}.json"
        path.write_text(render_schema(entity), encoding="utf-8")
        written.append(path)
    return written


def stale_schemas(directory: Path = SCHEMA_DIR) -> list[str]:
    """Entities whose schema file is missing or differs from the model."""
    stale = []
    for entity in ENTITIES:
        path = directory / f"{entity}.json"
        if not path.is_file() or path.read_text(encoding="utf-8") != render_schema(entity):
            stale.append(entity)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description="Export canonical JSON Schemas.")
    parser.add_argument("--check", action="store_true", help="only report files that are out of date")
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help="target folder (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_schemas(args.dir)
        for entity in stale:
            print(f"{args.dir / (entity + '.json')}: out of date; run `{REGENERATE}`")
        return 1 if stale else 0
    for path in write_schemas(args.dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

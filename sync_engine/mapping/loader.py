"""Finding, validating and loading mapping files: ``mappings/<connector>/<entity>.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sync_engine.mapping.checks import semantic_problems
from sync_engine.mapping.compiler import Mapping, compile_mapping
from sync_engine.mapping.errors import MappingFileError
from sync_engine.mapping.schema import schema_problems
from sync_engine.model import ENTITIES
from sync_engine.problems import Problem
from sync_engine.yaml_source import YamlSource, YamlSyntaxError, load_yaml

_cache: dict[tuple[Path, int], Mapping] = {}


def mapping_path(mappings_dir: Path, connector: str, entity: str) -> Path:
    return Path(mappings_dir) / connector / f"{entity}.yaml"


def _read(path: Path) -> tuple[YamlSource | None, list[Problem]]:
    try:
        source = load_yaml(path)
    except YamlSyntaxError as exc:
        hint = "create it; docs/mappings.md has a worked example" if exc.message == "file not found" else None
        return None, [Problem(exc.file, exc.line, exc.message, hint)]
    if source.data is None:
        return None, [Problem(source.file, 1, "the mapping file is empty", "start with `fields:`")]
    return source, []


def mapping_problems(source: YamlSource, entity: str) -> list[Problem]:
    """Schema problems of a parsed mapping document, else its semantic problems (they need the shape)."""
    problems = schema_problems(source)
    return problems or semantic_problems(source, entity)


def _entity_of(path: Path, source: YamlSource) -> str:
    """The file name says the entity; a file elsewhere (a draft, a test case) may say it with entity:."""
    if path.stem in ENTITIES:
        return path.stem
    declared = source.data.get("entity") if isinstance(source.data, dict) else None
    return declared if isinstance(declared, str) else path.stem


def validate_mapping_file(path: Path) -> list[Problem]:
    """Schema and semantic problems of one mapping file (empty when it is fine).

    The entity is the file name (``customer.yaml``), the connector the directory; a file not named
    after an entity (a draft) names its entity with ``entity:``.
    """
    path = Path(path)
    source, problems = _read(path)
    if source is None:
        return problems
    entity = _entity_of(path, source)
    problems = mapping_problems(source, entity)
    if problems:
        return problems
    try:
        compile_mapping(source.data, connector=path.parent.name, entity=entity, path=path)
    except Exception as exc:  # a check is missing: still report it as a problem in this file
        return [
            Problem(str(path), None, f"the mapping does not compile: {exc}", "please report this as a bug")
        ]
    return []


def load_mapping(mappings_dir: Path, connector: str, entity: str) -> Mapping:
    """Validate and compile a mapping file; cached until the file changes. Raises MappingFileError."""
    path = mapping_path(mappings_dir, connector, entity)
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise MappingFileError(
            [
                Problem(
                    str(path),
                    None,
                    f"no mapping for connector {connector!r} entity {entity!r}",
                    "create it; docs/mappings.md has a worked example",
                )
            ]
        ) from None
    key = (path.resolve(), mtime)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    source, problems = _read(path)
    if source is not None:
        problems = mapping_problems(source, entity)
    if problems or source is None:
        raise MappingFileError(problems)
    mapping = compile_mapping(source.data, connector=connector, entity=entity, path=path)
    _cache[key] = mapping
    return mapping


def validate_config_mappings(config: Any) -> list[Problem]:
    """Problems in every mapping a config uses: for each flow, its ERP and CRM side.

    Duck-typed on ``config.mappings_dir``, ``config.systems[name].connector`` and
    ``config.flows[name].entity/.erp/.crm``.
    """
    problems: list[Problem] = []
    seen: set[Path] = set()
    for flow_name, flow in config.flows.items():
        for side in ("erp", "crm"):
            system_name = getattr(flow, side)
            system = config.systems.get(system_name)
            if system is None:
                continue  # the config validator reports unknown systems
            path = mapping_path(Path(config.mappings_dir), system.connector, flow.entity)
            if path in seen:
                continue
            seen.add(path)
            if not path.exists():
                problems.append(
                    Problem(
                        str(path),
                        None,
                        f"flow {flow_name!r} needs a mapping for connector {system.connector!r} "
                        f"entity {flow.entity!r} (system {system_name!r}), and this file does not exist",
                        "create it; docs/mappings.md has a worked example",
                    )
                )
                continue
            problems += validate_mapping_file(path)
    return problems

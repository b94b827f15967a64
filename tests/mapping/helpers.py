"""Small real parts for mapping tests: a links table standing in for the store, and the shipped
mappings' round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sync_engine.mapping import Mapping, compile_mapping, load_mapping
from sync_engine.mapping.loader import mapping_problems
from sync_engine.model import to_canonical_dict, validate_canonical
from sync_engine.yaml_source import parse_yaml


class Links:
    """A MappingContext over an in-memory table of (entity, external id) <-> canonical id."""

    def __init__(self, system: str = "erp", links: dict[tuple[str, str], str] | None = None) -> None:
        self.system = system
        self.links = dict(links or {})

    def canonical_id(self, entity: str, external_id: str) -> str | None:
        return self.links.get((entity, external_id))

    def external_id(self, entity: str, canonical_id: str) -> str | None:
        for (linked_entity, external), canonical in self.links.items():
            if linked_entity == entity and canonical == canonical_id:
                return external
        return None


def mapping_from(text: str, entity: str, connector: str = "test") -> Mapping:
    """Compile YAML text after the same checks a file gets, so tests cannot use invalid mappings."""
    source = parse_yaml(text, f"{connector}/{entity}.yaml")
    problems = mapping_problems(source, entity)
    assert problems == [], [str(p) for p in problems]
    data: dict[str, Any] = source.data
    return compile_mapping(data, connector=connector, entity=entity)


SHIPPED = Path(__file__).resolve().parents[2] / "mappings"
"""The mappings shipped in the repository."""


class EchoLinks:
    """Every external id is linked: canonical id = "<entity>:<external id>", and back."""

    def __init__(self, system: str = "erp") -> None:
        self.system = system

    def canonical_id(self, entity: str, external_id: str) -> str | None:
        return f"{entity}:{external_id}"

    def external_id(self, entity: str, canonical_id: str) -> str | None:
        return canonical_id.removeprefix(f"{entity}:")


def assert_round_trip(connector: str, entity: str, native: dict[str, Any], system: str = "crm") -> None:
    """A native record maps to a valid canonical record, is written back, and reads the same again."""
    mapping = load_mapping(SHIPPED, connector, entity)
    links = EchoLinks(system)
    canonical = to_canonical_dict(validate_canonical(entity, mapping.to_canonical(native, links)))
    back = mapping.to_native(canonical, links)
    again = to_canonical_dict(validate_canonical(entity, mapping.to_canonical({**native, **back}, links)))
    assert again == canonical

"""Compiles a mapping document once into plain closures, one side per direction.

The per-record path runs prepared closures (see ``steps.py``): paths are split, value maps inverted
and converters chosen here, once, so a record costs a few dict lookups per field and no YAML, schema
or rule interpretation.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson

from sync_engine.mapping.context import MappingContext
from sync_engine.mapping.errors import MappingError
from sync_engine.mapping.forward import forward_side
from sync_engine.mapping.paths import Getter, compile_getter
from sync_engine.mapping.reverse import reverse_side
from sync_engine.mapping.rules import is_root_path, read_rules
from sync_engine.mapping.steps import Direction, FieldTrace, Record
from sync_engine.model import CANONICAL_FORM


class Mapping:
    """A compiled (connector, entity) mapping: native <-> canonical, both directions."""

    def __init__(
        self,
        *,
        connector: str,
        entity: str,
        path: Path | None,
        forward: Direction,
        reverse: Direction,
        native_fields: list[str],
        stored_defaults: tuple[tuple[str, Getter], ...] = (),
    ) -> None:
        self.connector = connector
        self.entity = entity
        self.path = path if path is not None else Path(f"mappings/{connector}/{entity}.yaml")
        self.native_fields = native_fields
        """Top-level-record native paths the mapping reads (connectors may fetch only these)."""
        self.canonical_fields = frozenset(top for step in forward.steps for top in step.tops or ())
        """Top-level canonical fields ``to_canonical`` produces (the rest come from elsewhere)."""
        self.written_fields = frozenset(top for step in reverse.steps for top in step.tops or ())
        """Top-level canonical fields ``to_native`` writes (read-only ones are left out)."""
        self.stored_defaults = stored_defaults
        """(canonical field, native getter) of the fields marked ``store_default``."""
        self.version = ""
        """A digest of the mapping document and the canonical form (set by ``compile_mapping``)."""
        self._forward = forward
        self._reverse = reverse
        self._forward_run = forward.run
        self._reverse_run = reverse.run
        # Partial writes ask for the same few field sets again and again: compile each once.
        self._partial_runs: dict[frozenset[str], Any] = {}

    def __repr__(self) -> str:
        return f"Mapping({self.connector!r}, {self.entity!r}, path={str(self.path)!r})"

    def to_canonical(self, native: Record, ctx: MappingContext | None = None) -> Record:
        """native record -> canonical dict, ready for ``model.validate_canonical`` (not validated here).

        Raises :class:`MappingError` (or :class:`UnresolvedReference`) naming the failing field.
        """
        try:
            return self._forward_run(native, ctx, native)
        except MappingError as exc:
            exc.mapping = str(self.path)
            raise

    def unstored(self, native: Record) -> frozenset[str]:
        """Fields marked ``store_default`` whose native value is empty: they read as their default,
        which this system does not hold yet, so the engine writes the agreed value there."""
        if not self.stored_defaults:
            return frozenset()
        return frozenset(name for name, get in self.stored_defaults if get(native) in (None, ""))

    def to_native(
        self, canonical: Record, ctx: MappingContext | None = None, *, fields: set[str] | None = None
    ) -> Record:
        """canonical dict (JSON form) -> native record; ``fields`` limits it to those top-level fields."""
        if fields is None:
            run = self._reverse_run
        else:
            key = frozenset(fields)
            run = self._partial_runs.get(key)
            if run is None:
                run = self._partial_runs[key] = self._reverse.only(set(key)).run
        try:
            return run(canonical, ctx, canonical)
        except MappingError as exc:
            exc.mapping = str(self.path)
            raise

    def explain(
        self, record: Record, ctx: MappingContext | None = None, *, reverse: bool = False
    ) -> tuple[Record, list[FieldTrace]]:
        """Map ``record`` field by field: the result plus, per field, value, native path and rule.

        Unlike ``to_canonical``/``to_native`` it goes on after a failing field, reporting each failure.
        """
        side = self._reverse if reverse else self._forward
        return side.explain(record, ctx, record)


def compile_mapping(doc: dict[str, Any], *, connector: str, entity: str, path: Path | None = None) -> Mapping:
    """Build both directions of a mapping document that passed ``validate_mapping_file``."""
    rules = read_rules(doc["fields"])
    native_fields: list[str] = []
    for rule in rules:
        for native in rule.native_paths if rule.reads else []:
            if native not in native_fields and not is_root_path(native):
                native_fields.append(native)
    mapping = Mapping(
        connector=connector,
        entity=entity,
        path=path,
        forward=forward_side(rules),
        reverse=reverse_side(rules, doc.get("native_constants")),
        native_fields=native_fields,
        stored_defaults=tuple(
            (r.target, compile_getter(r.raw["native"])) for r in rules if r.raw.get("store_default")
        ),
    )
    # Which translation a record went through: a native record unchanged under the same version maps
    # to the same canonical record, so the engine may skip mapping it again.
    text = orjson.dumps(
        [doc, connector, entity, CANONICAL_FORM],
        option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
        default=str,
    )
    mapping.version = hashlib.blake2b(text, digest_size=8).hexdigest()
    return mapping

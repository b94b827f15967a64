"""Declarative mappings between native records and canonical records (see docs/mappings.md).

A mapping file is data, validated by ``sync_engine/schemas/mapping.schema.json`` and checked against
the canonical model, then compiled once into plain closures per direction.
"""

from sync_engine.mapping.compiler import Mapping, compile_mapping
from sync_engine.mapping.context import MappingContext, PreviewContext
from sync_engine.mapping.errors import MappingError, MappingFileError, UnresolvedReference
from sync_engine.mapping.hooks import Hook, register_hook
from sync_engine.mapping.loader import (
    load_mapping,
    mapping_path,
    validate_config_mappings,
    validate_mapping_file,
)
from sync_engine.mapping.steps import FieldTrace

__all__ = [
    "FieldTrace",
    "Hook",
    "Mapping",
    "MappingContext",
    "MappingError",
    "MappingFileError",
    "PreviewContext",
    "UnresolvedReference",
    "compile_mapping",
    "load_mapping",
    "mapping_path",
    "register_hook",
    "validate_config_mappings",
    "validate_mapping_file",
]

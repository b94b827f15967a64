"""The mapping file's JSON Schema, and its errors turned into ``file:line: message (hint)`` problems."""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from sync_engine.problems import Problem
from sync_engine.yaml_source import YamlSource

RULE_TITLE = "field rule"


@cache
def mapping_schema() -> dict[str, Any]:
    text = files("sync_engine").joinpath("schemas/mapping.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = mapping_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def where(path: Sequence[str | int]) -> str:
    """``("fields", "status", "map")`` -> ``fields.status.map`` (how admins read their file)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the file"


def schema_problems(source: YamlSource) -> list[Problem]:
    """Every schema violation of the document, in file order, each with a precise line and hint."""
    problems = [_problem(source, error) for error in _validator().iter_errors(source.data)]
    return sorted(problems, key=lambda p: (p.line or 0, p.message))


def _problem(source: YamlSource, error: ValidationError) -> Problem:
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = error.instance
    line = source.line_of(path)
    if error.validator == "additionalProperties" and isinstance(value, dict):
        allowed = list(schema.get("properties", {}))
        extra = [k for k in value if k not in allowed]
        key = extra[0] if extra else "?"
        line = source.line_of([*path, key])
        close = [_SYNONYMS[key]] if key in _SYNONYMS else difflib.get_close_matches(str(key), allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        if schema.get("title") == RULE_TITLE:
            message = f"unknown transform {key!r} in the rule of {where(path)}"
        else:
            message = f"unknown key {key!r} in {where(path) if path else 'the top level'}"
        return Problem(source.file, line, message, f"{hint}allowed: {', '.join(allowed)}")
    if error.validator == "enum":
        options = ", ".join(map(str, error.validator_value))
        return Problem(
            source.file, line, f"{where(path)}: {value!r} is not allowed", f"use one of: {options}"
        )
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in value]
        return Problem(
            source.file,
            line,
            f"{where(path)}: missing required key {missing[0]!r}",
            _REQUIRED_HINTS.get(missing[0]),
        )
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return Problem(
            source.file,
            line,
            f"{where(path)}: expected {_TYPE_WORDS.get(expected, expected)}, got {value!r}",
            "a rule is either a native path (`tax_id: vat`) or a mapping of transforms"
            if "object" in expected
            else None,
        )
    if error.validator == "pattern" and path and path[0] == "fields":
        return Problem(
            source.file,
            line,
            f"{where(path)}: {value!r} is not a native path",
            "write dotted field names like address.city (a leading / reads the top record from a list item)",
        )
    if error.validator == "pattern" and path[-1:] == ["constant"]:
        return Problem(
            source.file, line, f"{where(path)}: {value!r} is not a currency code", "use ISO 4217, e.g. EUR"
        )
    if error.validator == "maxProperties" and path[-1:] == ["currency"]:
        return Problem(
            source.file,
            line,
            f"{where(path)}: give either native or constant, not both",
            "currency: {native: cur}",
        )
    return Problem(source.file, line, f"{where(path)}: {error.message}")


_TYPE_WORDS = {
    "object": "a mapping (key: value lines)",
    "string": "text",
    "integer": "a whole number",
    "string or object": "a native path or a mapping of transforms",
}

_REQUIRED_HINTS = {
    "fields": "list the canonical fields under `fields:`, e.g. `name: {native: company_name}`",
    "values": "a value map needs `values:` (native code: canonical value)",
    "separator": 'split needs `separator:`, e.g. a newline "\\n"',
    "part": "split needs `part:` (0 for the first piece)",
    "native": "split needs the `native:` field to split",
}

_SYNONYMS = {
    "lookup": "ref",
    "reference": "ref",
    "link": "ref",
    "source": "native",
    "from": "native",
    "field": "native",
    "cast": "type",
    "coerce": "type",
    "join": "template",
    "value_map": "map",
    "values": "map",
    "const": "constant",
    "value": "constant",
}
"""Words admins reach for, and the transform that does it."""

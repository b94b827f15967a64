"""``synchub mappings preview``: map one sample record and show, per field, which rule produced it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from sync_engine.mapping.compiler import Mapping
from sync_engine.mapping.context import PreviewContext
from sync_engine.mapping.steps import FieldTrace
from sync_engine.model import validate_canonical


@dataclass
class Preview:
    """The mapped record, one trace per field, and every failure (mapping or canonical validation)."""

    record: dict[str, Any]
    traces: list[FieldTrace]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def preview(mapping: Mapping, record: dict[str, Any], *, reverse: bool = False) -> Preview:
    """Map ``record`` (native, or canonical with ``reverse``); references become ``<ref entity:id>``."""
    result, traces = mapping.explain(record, PreviewContext(), reverse=reverse)
    problems = [str(t.error) for t in traces if t.error is not None]
    if not reverse and not problems:
        # Forward previews also check the canonical model, as the engine will.
        try:
            validate_canonical(mapping.entity, result)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(p) for p in error["loc"]) or "the record"
                problems.append(
                    f"canonical field {where!r}: {error['msg']} (value {error.get('input')!r}); "
                    "fix: correct the record or the rule producing this field"
                )
    return Preview(result, traces, problems)


def shown(value: Any) -> str:
    """A value as JSON-ish text for a table cell (decimals and dates as the strings they become)."""
    return json.dumps(value, ensure_ascii=False, default=str)

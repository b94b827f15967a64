"""One field rule of a mapping file, read into a typed object (shorthand expanded, keys named)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from sync_engine.mapping.paths import ROOT_PREFIX

SOURCES = ("native", "template", "split", "constant")
DIRECTIONS = ("both", "to_canonical", "to_native")


@dataclass(frozen=True)
class Rule:
    """How one canonical field is produced from native fields, and written back."""

    target: str
    loc: tuple[str | int, ...]
    """Where the rule sits in the file, for ``line_of``."""
    raw: dict[str, Any]
    items: list[Rule] | None = field(default=None)

    @property
    def top(self) -> str:
        return self.target.split(".", 1)[0]

    @property
    def direction(self) -> str:
        return self.raw.get("direction", "both")

    @property
    def reads(self) -> bool:
        """Applies native -> canonical. Constants only ever produce canonical values."""
        return self.direction in ("both", "to_canonical")

    @property
    def writes(self) -> bool:
        return self.direction in ("both", "to_native") and "constant" not in self.raw

    @property
    def sources(self) -> list[str]:
        return [s for s in SOURCES if s in self.raw]

    @property
    def native_paths(self) -> list[str]:
        """Native fields this rule reads or writes (value fields, currency and template placeholders)."""
        from sync_engine.mapping.transforms import parse_template

        paths: list[str] = []
        if "native" in self.raw:
            paths.append(self.raw["native"])
        if "split" in self.raw:
            paths.append(self.raw["split"]["native"])
        if "template" in self.raw:
            with contextlib.suppress(ValueError):
                paths += [f for _, f in parse_template(self.raw["template"]) if f]
        currency = self.raw.get("currency") or {}
        if "native" in currency:
            paths.append(currency["native"])
        return paths

    def describe(self) -> str:
        """A short account of the rule for previews: ``native finance.limit -> decimal, currency ...``."""
        r = self.raw
        parts: list[str] = []
        if self.items is not None:
            parts.append("each item mapped by items:")
        if "template" in r:
            parts.append(f"template {r['template']!r}")
        if "split" in r:
            s = r["split"]
            parts.append(f"split on {s['separator']!r}, part {s['part']}")
        if "constant" in r:
            parts.append(f"constant {r['constant']!r}")
        if "hook" in r:
            parts.append(f"hook {r['hook']}")
        if "type" in r:
            parts.append(r["type"] + (f" ({r['format']})" if "format" in r else ""))
        if "timezone" in r:
            parts.append(f"local time {r['timezone']}")
        if "map" in r:
            m = r["map"]
            tail = f"default {m['default']!r}" if "default" in m else "unknown -> error"
            parts.append(f"value map ({len(m['values'])} codes, {tail})")
        if "ref" in r:
            parts.append(f"reference to {r['ref']}")
        if "currency" in r:
            c = r["currency"]
            parts.append(f"money, currency {c.get('constant') or 'from ' + c.get('native', '')}")
        if "default" in r:
            stored = ", written back when empty" if r.get("store_default") else ""
            parts.append(f"default {r['default']!r}{stored}")
        if "native_type" in r:
            parts.append(f"native {r['native_type']}")
        if self.direction != "both":
            parts.append(self.direction.replace("_", " "))
        return ", ".join(parts) or "copy as is"


def read_rules(fields: dict[str, Any], loc: tuple[str | int, ...] = ("fields",)) -> list[Rule]:
    """Rules of a ``fields:`` (or ``items:``) mapping; assumes the schema already passed."""
    rules: list[Rule] = []
    for target, spec in fields.items():
        raw = {"native": spec} if isinstance(spec, str) else dict(spec)
        here = (*loc, target)
        items = read_rules(raw["items"], (*here, "items")) if isinstance(raw.get("items"), dict) else None
        rules.append(Rule(target=str(target), loc=here, raw=raw, items=items))
    return rules


def is_root_path(path: str) -> bool:
    return path.startswith(ROOT_PREFIX)

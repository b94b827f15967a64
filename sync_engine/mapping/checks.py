"""Checks a mapping against the canonical model, beyond what the JSON Schema can say.

Runs once per file (``synchub validate``, ``load_mapping``), never per record.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

from sync_engine.mapping.canonical_fields import (
    is_money,
    list_item_model,
    literal_values,
    required_fields,
    resolve,
    submodel,
)
from sync_engine.mapping.hooks import get_hook, hook_names
from sync_engine.mapping.rules import Rule, is_root_path, read_rules
from sync_engine.mapping.schema import where
from sync_engine.mapping.transforms import parse_template
from sync_engine.model import ENTITIES
from sync_engine.problems import Problem
from sync_engine.yaml_source import YamlSource

Finding = tuple[tuple[str | int, ...], str, str | None]
"""(location in the file, message, hint)."""


def semantic_problems(source: YamlSource, entity: str) -> list[Problem]:
    """Problems of a schema-valid mapping document for ``entity``, in file order."""
    findings = list(_check_document(source.data, entity))
    problems = [Problem(source.file, source.line_of(loc), msg, hint) for loc, msg, hint in findings]
    return sorted(problems, key=lambda p: (p.line or 0, p.message))


def _check_document(doc: dict[str, Any], entity: str) -> Iterator[Finding]:
    if entity not in ENTITIES:
        yield (), f"unknown entity {entity!r}", f"name the file after one of: {', '.join(ENTITIES)}"
        return
    declared = doc.get("entity")
    if declared is not None and declared != entity:
        yield (
            ("entity",),
            f"entity {declared!r} does not match the file name ({entity}.yaml)",
            (f"rename the file to {declared}.yaml or set entity: {entity}"),
        )
    rules = read_rules(doc["fields"])
    yield from _check_rules(rules, ENTITIES[entity], ("fields",))
    yield from _check_native_writes(rules)


def _check_rules(rules: list[Rule], model: type[BaseModel], loc: tuple[str | int, ...]) -> Iterator[Finding]:
    for rule in rules:
        yield from _check_rule(rule, model)
    yield from _check_required(rules, model, loc)
    yield from _check_splits(rules)


def _check_rule(rule: Rule, model: type[BaseModel]) -> Iterator[Finding]:
    r = rule.raw
    annotation, missing = resolve(model, rule.target)
    if missing is not None:
        close = difflib.get_close_matches(rule.target, list(model.model_fields), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "see the canonical model in sync_engine/model.py"
        yield rule.loc, f"unknown canonical field {rule.target!r}: {missing}", hint
        return
    sources = rule.sources
    if not sources:
        yield (
            rule.loc,
            f"field {rule.target!r} has no source",
            "give one of native:, template:, split:, constant:",
        )
    elif len(sources) > 1:
        yield (
            rule.loc,
            f"field {rule.target!r} has several sources ({', '.join(sources)})",
            "keep exactly one",
        )
    if "constant" in r and r.get("direction") == "to_native":
        yield (
            (*rule.loc, "direction"),
            f"constant field {rule.target!r} cannot be written to_native",
            ("a constant only sets the canonical value; use native_constants: for values sent to the system"),
        )
    item_model = list_item_model(annotation)
    if rule.items is not None:
        yield from _check_items(rule, item_model)
        return
    if item_model is not None and "native" in r:
        yield (
            rule.loc,
            f"list field {rule.target!r} needs items: mapping each native list entry",
            (f"add items: with the fields of {item_model.__name__}"),
        )
    if submodel(annotation) is not None and not is_money(annotation):
        yield (
            rule.loc,
            f"{rule.target!r} is a {submodel(annotation).__name__}; map its parts",
            (f"use dotted targets like {rule.target}.<part>"),
        )
    yield from _check_money(rule, annotation)
    yield from _check_types(rule)
    yield from _check_map(rule, annotation)
    yield from _check_template(rule)
    yield from _check_ref(rule)
    yield from _check_hook(rule)
    yield from _check_store_default(rule)


def _check_store_default(rule: Rule) -> Iterator[Finding]:
    r = rule.raw
    if not r.get("store_default"):
        return
    if len(rule.loc) != 2:
        yield (
            (*rule.loc, "store_default"),
            f"store_default on {rule.target!r}: only top-level fields can store their default",
            "move it to a top-level field, or drop it",
        )
    elif "default" not in r or "native" not in r or rule.direction != "both" or "." in rule.target:
        yield (
            (*rule.loc, "store_default"),
            f"store_default on {rule.target!r} needs native:, default: and direction both",
            "the engine writes the agreed value into the empty native field, so it must read and write it",
        )


def _check_items(rule: Rule, item_model: type[BaseModel] | None) -> Iterator[Finding]:
    if item_model is None:
        yield (
            (*rule.loc, "items"),
            f"{rule.target!r} is not a list of records; items: does not apply",
            ("items: is for addresses, contacts and lines"),
        )
        return
    extra = [k for k in rule.raw if k not in ("native", "items", "direction", "note")]
    if extra:
        yield (
            (*rule.loc, extra[0]),
            f"list field {rule.target!r} takes only native:, items:, direction:",
            ("put transforms on the item fields under items:"),
        )
    if "native" not in rule.raw:
        yield rule.loc, f"list field {rule.target!r} needs native: naming the native list", None
    assert rule.items is not None
    yield from _check_rules(rule.items, item_model, (*rule.loc, "items"))


def _check_money(rule: Rule, annotation: Any) -> Iterator[Finding]:
    if "currency" in rule.raw and not is_money(annotation):
        yield (
            (*rule.loc, "currency"),
            f"currency: applies to money fields only, {rule.target!r} is not one",
            ("remove currency: or map it to a money field such as list_price"),
        )
    if is_money(annotation) and "currency" not in rule.raw and "hook" not in rule.raw:
        yield (
            rule.loc,
            f"money field {rule.target!r} needs a currency",
            ("add currency: {native: <currency field>} or currency: {constant: EUR}"),
        )


def _check_types(rule: Rule) -> Iterator[Finding]:
    r = rule.raw
    kinds = {r.get("type"), r.get("native_type")}
    if "format" in r and not kinds & {"date", "datetime"}:
        yield (
            (*rule.loc, "format"),
            "format: applies to date and datetime fields only",
            "add type: date or datetime",
        )
    if "places" in r and not kinds & {"decimal"}:
        yield (*rule.loc, "places"), "places: applies to decimal fields only", "add type: decimal"
    if "timezone" in r:
        if "datetime" not in kinds:
            yield (*rule.loc, "timezone"), "timezone: applies to datetime fields only", "add type: datetime"
        try:
            ZoneInfo(r["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            yield (
                (*rule.loc, "timezone"),
                f"unknown timezone {r['timezone']!r}",
                "use an IANA name like Europe/Berlin",
            )
    if "ref" in r and "type" in r:
        yield (
            (*rule.loc, "type"),
            "a reference is always a canonical id; remove type:",
            ("use native_type: int if the native system stores ids as numbers"),
        )


def _check_map(rule: Rule, annotation: Any) -> Iterator[Finding]:
    m = rule.raw.get("map")
    if m is None:
        return
    loc = (*rule.loc, "map")
    if "default" not in m and "on_unknown" not in m:
        yield (
            loc,
            f"value map of {rule.target!r} has no default",
            ("add default: <canonical value> or on_unknown: error, so unknown codes are handled on purpose"),
        )
    if "default" in m and "on_unknown" in m:
        yield loc, f"value map of {rule.target!r} has both default: and on_unknown:", "keep one"
    allowed = literal_values(annotation)
    if allowed is not None:
        for native, value in m["values"].items():
            if value not in allowed:
                yield (
                    (*loc, "values", native),
                    f"{value!r} is not a valid {rule.target}",
                    (f"use one of: {', '.join(map(str, allowed))}"),
                )
        if "default" in m and m["default"] not in allowed:
            yield (
                (*loc, "default"),
                f"default {m['default']!r} is not a valid {rule.target}",
                (f"use one of: {', '.join(map(str, allowed))}"),
            )
    if rule.writes and "reverse" not in m:
        seen: dict[Any, Any] = {}
        for native, value in m["values"].items():
            if value in seen:
                yield (
                    (*loc, "values", native),
                    (
                        f"native codes {seen[value]!r} and {native!r} both map to {value!r}, "
                        "so writing it back is ambiguous"
                    ),
                    "add reverse: {<canonical>: <native code>} or set direction: to_canonical",
                )
            seen.setdefault(value, native)


def _check_template(rule: Rule) -> Iterator[Finding]:
    if "template" not in rule.raw:
        return
    loc = (*rule.loc, "template")
    try:
        parts = parse_template(rule.raw["template"])
    except ValueError as exc:
        yield (
            loc,
            f"bad template for {rule.target!r}: {exc}",
            "write placeholders as {native.path}; double braces {{ for a literal {",
        )
        return
    fields = [f for _, f in parts if f is not None]
    if not fields:
        yield loc, f"template of {rule.target!r} has no {{placeholder}}", "use constant: for fixed text"
    for field in fields:
        if is_root_path(field):
            yield (
                loc,
                f"template placeholder {{{field}}} cannot start with /",
                "template fields are read from the same record",
            )
    if rule.writes:
        for index, (literal, field) in enumerate(parts[1:], start=1):
            if field is not None and not literal and parts[index - 1][1] is not None:
                yield (
                    loc,
                    f"template of {rule.target!r} has placeholders with nothing between them",
                    ("put a separator between placeholders, or set direction: to_canonical"),
                )
                break


def _check_ref(rule: Rule) -> Iterator[Finding]:
    ref = rule.raw.get("ref")
    if ref is not None and ref not in ENTITIES:
        close = difflib.get_close_matches(ref, list(ENTITIES), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        yield (
            (*rule.loc, "ref"),
            f"reference to unknown entity {ref!r}",
            f"{hint}entities: {', '.join(ENTITIES)}",
        )


def _check_hook(rule: Rule) -> Iterator[Finding]:
    name = rule.raw.get("hook")
    if name is None:
        return
    hook = get_hook(name)
    if hook is None:
        known = ", ".join(hook_names()) or "none registered"
        yield (
            (*rule.loc, "hook"),
            f"unknown hook {name!r}",
            f"hooks are registered in Python code (known: {known})",
        )
    elif hook.to_native is None and rule.writes:
        yield (
            (*rule.loc, "hook"),
            f"hook {name!r} works native -> canonical only",
            "set direction: to_canonical",
        )


def _check_required(
    rules: list[Rule], model: type[BaseModel], loc: tuple[str | int, ...]
) -> Iterator[Finding]:
    read = [r.target for r in rules if r.reads]
    for name in required_fields(model):
        if not any(t == name or t.startswith(name + ".") for t in read):
            yield (
                loc,
                f"required canonical field {name!r} of {model.__name__} is not mapped",
                (f"add {name}: with a native:, template: or constant: source"),
            )
    # A part of a nested record mapped by dotted targets needs that record's other required parts.
    for top in {t.split(".", 1)[0] for t in read if "." in t}:
        sub = submodel(model.model_fields[top].annotation) if top in model.model_fields else None
        for name in required_fields(sub) if sub else []:
            if f"{top}.{name}" not in read:
                yield (
                    loc,
                    f"{top}.{name} is required once other parts of {top!r} are mapped",
                    (f"add {top}.{name}: (a constant works)"),
                )


def _check_splits(rules: list[Rule]) -> Iterator[Finding]:
    groups: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        if "split" in rule.raw:
            groups[rule.raw["split"]["native"]].append(rule)
    for native, members in groups.items():
        separators = {m.raw["split"]["separator"] for m in members}
        if len(separators) > 1:
            yield (
                members[1].loc,
                f"fields split from {native!r} use different separators",
                "use one separator",
            )
        parts = [m.raw["split"]["part"] for m in members]
        if sorted(parts) != list(range(len(parts))):
            yield (
                members[-1].loc,
                f"split parts of {native!r} are {sorted(parts)}",
                ("number the parts 0, 1, 2, ... once each"),
            )


def _check_native_writes(rules: list[Rule]) -> Iterator[Finding]:
    """Two rules writing one native field would overwrite each other."""
    writers: dict[str, Rule] = {}
    for rule in rules:
        if not rule.writes or "split" in rule.raw:
            continue
        currency = (rule.raw.get("currency") or {}).get("native")
        for path in rule.native_paths:
            # A currency field is often shared by the record's amounts and its own currency rule.
            if is_root_path(path) or path == currency:
                continue
            first = writers.setdefault(path, rule)
            if first is not rule:
                yield (
                    rule.loc,
                    f"native field {path!r} is written by both {first.target!r} and {rule.target!r}",
                    ("set direction: to_canonical on one of them"),
                )
        if rule.items is not None:
            yield from _check_native_writes(rule.items)


__all__ = ["semantic_problems", "where"]

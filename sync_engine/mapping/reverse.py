"""canonical -> native: compiles each rule into a step writing native fields from a canonical dict.

The input is the canonical JSON form (``model.to_canonical_dict``): decimals and dates as strings,
money as ``{"amount": "12.50", "currency": "EUR"}``. Each step undoes its forward rule in reverse order.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sync_engine.mapping.context import MappingContext
from sync_engine.mapping.errors import MappingError, UnresolvedReference
from sync_engine.mapping.hooks import get_hook
from sync_engine.mapping.paths import Getter, compile_getter, compile_setter, split_path
from sync_engine.mapping.rules import Rule, is_root_path
from sync_engine.mapping.steps import Direction, Record, Step, StepFn, item_list_step
from sync_engine.mapping.transforms import (
    NO_DEFAULT,
    Convert,
    compose,
    inverted,
    native_converter,
    parse_template,
    template_splitter,
    value_map,
)

Writer = Callable[[Record, Any], None]


def reverse_side(rules: list[Rule], native_constants: dict[str, Any] | None = None) -> Direction:
    steps: list[Step] = []
    splits: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        if not rule.writes:
            continue
        if "split" in rule.raw:
            splits[rule.raw["split"]["native"]].append(rule)
        else:
            steps.append(_step(rule))
    steps += [_split_join_step(native, members) for native, members in splits.items()]
    steps += [_native_constant(str(path), value) for path, value in (native_constants or {}).items()]
    return Direction(steps)


def _converter(rule: Rule) -> Convert | None:
    """canonical value -> native value: the forward converters undone, last one first."""
    r = rule.raw
    convs: list[Convert] = []
    if "map" in r:
        m = r["map"]
        table = m.get("reverse") or inverted(m["values"])
        convs.append(value_map(table, default=m.get("native_default", NO_DEFAULT), what="canonical value"))
    if "type" in r or "native_type" in r:
        native_type = r.get("native_type", r.get("type", "str"))
        convs.append(
            native_converter(
                r.get("type"),
                native_type,
                fmt=r.get("format"),
                timezone=r.get("timezone"),
                places=r.get("places"),
            )
        )
    if "hook" in r:
        hook = get_hook(r["hook"])
        assert hook is not None and hook.to_native is not None, "checked by validation"
        convs.append(hook.to_native)
    return compose(convs)


def _step(rule: Rule) -> Step:
    r = rule.raw
    target = rule.target
    if rule.items is not None:
        return _list_step(rule)
    get = compile_getter(target)
    conv = _converter(rule)
    entity = r.get("ref")
    write = _writer(rule)
    write_currency = _currency_writer(r["currency"]) if "currency" in r else None

    def step(src: Record, out: Record, ctx: MappingContext | None, root: Record) -> None:
        value = get(src)
        if value is None:
            write(out, None)
            return
        if write_currency is not None:
            write_currency(out, value["currency"])
            value = value["amount"]
        if entity is not None:
            value = _lookup(ctx, entity, value)
        if conv is not None:
            value = conv(value)
        write(out, value)

    simple = None
    if conv is None and entity is None and write_currency is None and "template" in r and "." not in target:
        step = _template_step(target, r["template"]) or step
        simple = _unjoin_form(target, r["template"])
    if entity is None and write_currency is None and "native" in r and not is_root_path(r["native"]):
        src, dst = split_path(target), split_path(r["native"])
        if len(src) <= 2 and len(dst) <= 2:
            simple = ("copy", src, dst) if conv is None else ("conv", src, conv, None, dst)
    return Step(
        fn=step,
        simple=simple,
        target=target,
        native=", ".join(rule.native_paths) or "-",
        rule=rule.describe(),
        tops=frozenset({rule.top}),
        shown=_shown(rule),
    )


def _unjoin_form(key: str, template: str) -> tuple[Any, ...] | None:
    """The fusable form of the common "{first} {last}" template read back into two native keys."""
    parts = parse_template(template)
    if len(parts) != 2 or parts[0][0] or any(f is None or "." in f for _, f in parts) or not parts[1][0]:
        return None
    return ("unjoin", key, parts[1][0], (parts[0][1], parts[1][1]))


def _template_step(key: str, template: str) -> StepFn | None:
    """A template written into top-level native fields: the common "{first} {last}" case, in one closure."""
    parts = parse_template(template)
    fields = tuple(f for _, f in parts if f is not None)
    if any("." in f for f in fields):
        return None
    split = template_splitter(parts)
    nones = dict.fromkeys(fields)

    def template_step(src: Record, out: Record, ctx: MappingContext | None, root: Record) -> None:
        value = src.get(key)
        out.update(nones if value is None else zip(fields, split(value), strict=True))

    return template_step


def _shown(rule: Rule) -> Getter:
    paths = [p for p in rule.native_paths if not is_root_path(p)]
    if len(paths) == 1:
        return compile_getter(paths[0])
    getters = [(p, compile_getter(p)) for p in paths]
    return lambda out: {p: g(out) for p, g in getters}


def _writer(rule: Rule) -> Writer:
    r = rule.raw
    if "native" in r:
        if is_root_path(r["native"]):
            return lambda out, value: None  # the top record's own rule writes it
        return compile_setter(r["native"])
    parts = parse_template(r["template"])
    fields = [f for _, f in parts if f is not None]
    split = template_splitter(parts)
    if all("." not in f for f in fields):
        keys, nones = tuple(fields), dict.fromkeys(fields)

        def write_keys(out: Record, value: Any) -> None:
            out.update(nones if value is None else zip(keys, split(value), strict=True))

        return write_keys
    setters = [compile_setter(f) for f in fields]

    def write_template(out: Record, value: Any) -> None:
        pieces = [None] * len(setters) if value is None else split(value)
        for set_native, piece in zip(setters, pieces, strict=True):
            set_native(out, piece)

    return write_template


def _currency_writer(spec: dict[str, Any]) -> Writer:
    if "constant" in spec:
        constant = spec["constant"]

        def check_currency(out: Record, currency: Any) -> None:
            if currency != constant:
                raise MappingError(
                    f"this system keeps these amounts in {constant} only, the record has {currency}",
                    value=currency,
                    fix=f"convert the amount to {constant} before it is written, or map a currency field",
                )

        return check_currency
    if is_root_path(spec["native"]):
        return lambda out, currency: None  # written by the top record's currency rule
    return compile_setter(spec["native"])


def _lookup(ctx: MappingContext | None, entity: str, value: Any) -> str:
    if ctx is None:
        raise MappingError(f"a {entity} reference needs the engine's mapping context", value=value)
    external = ctx.external_id(entity, value)
    if external is None:
        raise UnresolvedReference(entity=entity, system=ctx.system, canonical_id=value)
    return external


def _split_join_step(native: str, members: list[Rule]) -> Step:
    ordered = sorted(members, key=lambda m: m.raw["split"]["part"])
    getters = [compile_getter(m.target) for m in ordered]
    separator = ordered[0].raw["split"]["separator"]
    set_native = compile_setter(native)

    def join_step(src: Record, out: Record, ctx: MappingContext | None, root: Record) -> None:
        parts = [get(src) for get in getters]
        while parts and parts[-1] is None:
            parts.pop()
        set_native(out, separator.join("" if p is None else str(p) for p in parts) if parts else None)

    targets = tuple(m.target for m in ordered)
    flat = all("." not in t for t in targets) and "." not in native and not is_root_path(native)
    return Step(
        fn=join_step,
        simple=("join", targets, separator, native) if flat else None,
        target=", ".join(m.target for m in ordered),
        native=native,
        rule=f"join with {separator!r}",
        tops=frozenset(m.top for m in ordered),
        shown=compile_getter(native),
    )


def _list_step(rule: Rule) -> Step:
    assert rule.items is not None
    child = reverse_side(rule.items)
    get = compile_getter(rule.target)
    native = rule.raw["native"]
    set_native = compile_setter(native)
    target = rule.target

    list_step = item_list_step(child, get, set_native, target, native)

    return Step(
        fn=list_step,
        target=target,
        native=native,
        rule=rule.describe(),
        tops=frozenset({rule.top}),
        shown=compile_getter(native),
        child=child,
        list_in=get,
        list_out=set_native,
    )


def _native_constant(path: str, value: Any) -> Step:
    set_native = compile_setter(path)
    mutable = isinstance(value, dict | list)

    def constant_step(src: Record, out: Record, ctx: MappingContext | None, root: Record) -> None:
        set_native(out, copy.deepcopy(value) if mutable else value)

    return Step(
        fn=constant_step,
        target="-",
        native=path,
        rule=f"native constant {value!r}",
        tops=None,
        shown=compile_getter(path),
    )

"""native -> canonical: compiles each rule into a step reading native fields into a canonical dict."""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

from sync_engine.mapping.context import MappingContext
from sync_engine.mapping.errors import MappingError, UnresolvedReference
from sync_engine.mapping.hooks import get_hook
from sync_engine.mapping.paths import compile_getter, compile_setter, split_path
from sync_engine.mapping.rules import Rule, is_root_path
from sync_engine.mapping.steps import Direction, Record, Step, StepFn, item_list_step
from sync_engine.mapping.transforms import (
    NO_DEFAULT,
    Convert,
    canonical_converter,
    compose,
    parse_template,
    template_renderer,
    value_map,
)


def forward_side(rules: list[Rule]) -> Direction:
    steps: list[Step] = []
    splits: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        if not rule.reads:
            continue
        if "split" in rule.raw:
            splits[rule.raw["split"]["native"]].append(rule)
        else:
            steps.append(_step(rule))
    steps += [_split_step(native, members) for native, members in splits.items()]
    return Direction(steps)


def _converter(rule: Rule) -> Convert | None:
    """The value transforms of a rule, native -> canonical: hook, then type, then value map."""
    r = rule.raw
    convs: list[Convert] = []
    if "hook" in r:
        hook = get_hook(r["hook"])
        assert hook is not None, f"hook {r['hook']!r} vanished after validation"
        convs.append(hook.to_canonical)
    if "type" in r:
        convs.append(canonical_converter(r["type"], fmt=r.get("format"), timezone=r.get("timezone")))
    if "map" in r:
        m = r["map"]
        convs.append(value_map(m["values"], default=m.get("default", NO_DEFAULT)))
    return compose(convs)


def _split_step(native: str, members: list[Rule]) -> Step:
    """One native text cut into several canonical fields; the last part keeps the rest, so joining
    the parts gives back the native text."""
    get = compile_getter(native)
    separator = members[0].raw["split"]["separator"]
    maxsplit = len(members) - 1
    parts = tuple(
        (m.raw["split"]["part"], _converter(m), m.raw.get("default"), m.target)
        for m in members
        if "." not in m.target
    )
    nested = tuple(
        (m.raw["split"]["part"], _converter(m), m.raw.get("default"), compile_setter(m.target))
        for m in members
        if "." in m.target
    )

    def split_step(src: Record, out: Record, ctx: MappingContext | None, root: Record) -> None:
        value = get(src)
        pieces = [] if value is None else str(value).split(separator, maxsplit)
        count = len(pieces)
        for index, conv, default, key in parts:
            if index < count:
                out[key] = pieces[index] if conv is None else conv(pieces[index])
            else:
                out[key] = default
        for index, conv, default, set_target in nested:
            piece = pieces[index] if index < count else None
            set_target(out, default if piece is None else piece if conv is None else conv(piece))

    targets = [m.target for m in members]
    getters = [(t, compile_getter(t)) for t in targets]
    simple = None
    flat = not nested and not is_root_path(native) and len(split_path(native)) == 1
    if flat and all(conv is None for _, conv, _, _ in parts):
        simple = ("split", native, separator, maxsplit, tuple((i, d, key) for i, _, d, key in parts))
    return Step(
        fn=split_step,
        simple=simple,
        target=", ".join(targets),
        native=native,
        rule=f"split on {separator!r}",
        tops=frozenset(m.top for m in members),
        shown=lambda out: {t: g(out) for t, g in getters},
    )


def _step(rule: Rule) -> Step:
    r = rule.raw
    target = rule.target
    common: dict[str, Any] = {
        "target": target,
        "native": ", ".join(rule.native_paths) or "-",
        "rule": rule.describe(),
        "shown": compile_getter(target),
        "tops": frozenset({rule.top}),
    }
    if rule.items is not None:
        return _list_step(rule, common)
    if "constant" in r:
        return Step(fn=_constant_step(target, r["constant"]), **common)

    from_root = False
    if "native" in r:
        get = compile_getter(r["native"])
        from_root = is_root_path(r["native"])
    else:
        get = template_renderer(parse_template(r["template"]), compile_getter)

    conv = _converter(rule)
    default = r.get("default")
    entity = r.get("ref")
    currency = r.get("currency")
    set_target = compile_setter(target)

    def step(src: Record, out: Record, ctx: MappingContext | None, root: Record) -> None:
        value = get(root if from_root else src)
        if value is None:
            set_target(out, default)
            return
        if conv is not None:
            value = conv(value)
        if entity is not None:
            value = _lookup(ctx, entity, value)
        if read_currency is not None:
            value = {"amount": value, "currency": read_currency(src, root)}
        set_target(out, value)

    read_currency = _currency_reader(currency) if currency else None
    simple = None
    dst = split_path(target)
    if not from_root and entity is None and currency is None and len(dst) <= 2:
        # The bulk of a mapping: plain copies and single-converter fields, fused per side.
        src = split_path(r["native"]) if "native" in r else get
        if conv is None and default is None and isinstance(src, tuple) and len(src) <= 2:
            simple = ("copy", src, dst)
        else:
            simple = (
                "conv",
                src if isinstance(src, tuple) and len(src) == 1 else get,
                conv,
                default,
                dst,
            )
    return Step(fn=step, simple=simple, **common)


def _constant_step(target: str, constant: Any) -> StepFn:
    set_target = compile_setter(target)
    mutable = isinstance(constant, dict | list)

    def constant_step(src: Record, out: Record, ctx: MappingContext | None, root: Record) -> None:
        set_target(out, copy.deepcopy(constant) if mutable else constant)

    return constant_step


def _currency_reader(spec: dict[str, Any]) -> Any:
    if "constant" in spec:
        constant = spec["constant"]
        return lambda src, root: constant
    native = spec["native"]
    get = compile_getter(native)
    from_root = is_root_path(native)

    def read_currency(src: Record, root: Record) -> str:
        currency = get(root if from_root else src)
        if currency is None:
            raise MappingError(
                f"the amount has no currency: native field {native!r} is empty",
                fix=f"fill {native!r} in the source system or give the mapping a currency: {{constant: ...}}",
            )
        return currency

    return read_currency


def _lookup(ctx: MappingContext | None, entity: str, value: Any) -> str:
    if ctx is None:
        raise MappingError(f"a {entity} reference needs the engine's mapping context", value=value)
    external = value if isinstance(value, str) else str(value)
    canonical = ctx.canonical_id(entity, external)
    if canonical is None:
        raise UnresolvedReference(entity=entity, system=ctx.system, external_id=external)
    return canonical


def _list_step(rule: Rule, common: dict[str, Any]) -> Step:
    assert rule.items is not None
    child = forward_side(rule.items)
    get = compile_getter(rule.raw["native"])
    set_target = compile_setter(rule.target)
    target, native = rule.target, rule.raw["native"]

    list_step = item_list_step(child, get, set_target, target, native)

    return Step(fn=list_step, child=child, list_in=get, list_out=set_target, **common)

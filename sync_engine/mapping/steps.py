"""Compiled steps and how one direction of a mapping runs them.

A step is a closure ``fn(src, out, ctx, root)`` that maps one rule. The simplest rules (copies and
single-converter fields, the bulk of any mapping) are also fused into one closure per side, so the
per-record cost is a loop over tuples rather than a function call per field. Errors are rare: when
the fast path raises, the record is run again step by step to name the exact field that failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sync_engine.mapping.context import MappingContext
from sync_engine.mapping.errors import MappingError
from sync_engine.mapping.paths import Getter, Setter, compile_getter, compile_setter
from sync_engine.mapping.transforms import Convert

Record = dict[str, Any]
StepFn = Callable[[Record, Record, MappingContext | None, Record], None]
Runner = Callable[[Record, MappingContext | None, Record], Record]


@dataclass(frozen=True)
class Step:
    """One compiled rule in one direction, plus what a preview shows about it."""

    fn: StepFn
    target: str
    """Canonical path (for messages and previews)."""
    native: str
    """Native path(s), for messages and previews."""
    rule: str
    tops: frozenset[str] | None
    """Top-level canonical fields this step touches; ``None`` = always runs (native constants)."""
    shown: Getter
    """Reads back, from the step's output, the value it produced."""
    simple: tuple[Any, ...] | None = None
    """A form the side can fuse with others: ``("copy", src_path, dst_path)`` or
    ``("conv", src_path_or_getter, conv, default, dst_path)``; paths are tuples of one or two keys.
    Text cut or joined between top-level keys: ``("split", src_key, separator, maxsplit,
    ((part, default, dst_key), ...))``, ``("unjoin", src_key, separator, (dst_key, dst_key))`` (a
    two-placeholder template read back) and ``("join", (src_key, ...), separator, dst_key)``."""
    child: Direction | None = None
    list_in: Getter | None = None
    list_out: Setter | None = None


@dataclass(frozen=True)
class FieldTrace:
    """One row of a preview: which rule produced which value, or why it failed."""

    canonical: str
    native: str
    value: Any
    rule: str
    error: MappingError | None = None


class Direction:
    """The compiled steps of one direction of one (sub-)mapping."""

    def __init__(self, steps: Iterable[Step]) -> None:
        self.steps = tuple(steps)
        self._by_fn = {step.fn: step for step in self.steps}
        self.fns, self.run = _runner(self.steps, self.run_precisely)
        """``fns``: the fast closures (simple rules fused); ``run(src, ctx, root)``: map one record."""

    def run_precisely(self, src: Record, ctx: MappingContext | None, root: Record) -> Record:
        """Run step by step so a failure names its field (the fast path calls this on an error)."""
        out: Record = {}
        for step in self.steps:
            try:
                step.fn(src, out, ctx, root)
            except MappingError as exc:
                if exc.field is None:
                    exc.field, exc.native_field = step.target, exc.native_field or step.native
                raise
            except Exception as exc:
                raise _as_mapping_error(exc, step.target, step.native) from exc
        return out

    def only(self, fields: set[str]) -> Direction:
        return Direction(s for s in self.steps if s.tops is None or not s.tops.isdisjoint(fields))

    def explain(
        self, src: Record, ctx: MappingContext | None, root: Record, prefix: str = "", nprefix: str = ""
    ) -> tuple[Record, list[FieldTrace]]:
        """Run step by step, keeping going after a failure, and say what each step produced."""
        out: Record = {}
        rows: list[FieldTrace] = []
        for step in self.steps:
            target, native = prefix + step.target, nprefix + step.native
            if step.child is not None and step.list_in is not None and step.list_out is not None:
                produced = []
                for i, item in enumerate(step.list_in(src) or []):
                    sub, sub_rows = step.child.explain(item, ctx, root, f"{target}[{i}].", f"{native}[{i}].")
                    produced.append(sub)
                    rows += sub_rows
                step.list_out(out, produced)
                continue
            try:
                step.fn(src, out, ctx, root)
                rows.append(FieldTrace(target, native, step.shown(out), step.rule))
            except MappingError as exc:
                exc.field = target if exc.field is None else prefix + exc.field
                exc.native_field = nprefix + (exc.native_field or step.native)
                rows.append(FieldTrace(target, native, None, step.rule, exc))
            except Exception as exc:
                rows.append(
                    FieldTrace(target, native, None, step.rule, _as_mapping_error(exc, target, native))
                )
        return out, rows


def _as_mapping_error(exc: Exception, target: str, native: str) -> MappingError:
    if isinstance(exc, AttributeError):
        return MappingError(
            "the native value on the way to this field is not a nested record",
            field=target,
            native_field=native,
            fix="check the shape of the native record against the dotted path in the mapping",
        )
    return MappingError(
        f"{type(exc).__name__}: {exc}",
        field=target,
        native_field=native,
        fix="check the value against the rule in the mapping file",
    )


def _runner(steps: tuple[Step, ...], precise: Runner) -> tuple[tuple[StepFn, ...], Runner]:
    fused = _fuse([s.simple for s in steps if s.simple is not None])
    fns = tuple(([fused] if fused else []) + [s.fn for s in steps if s.simple is None])

    def run(src: Record, ctx: MappingContext | None, root: Record) -> Record:
        out: Record = {}
        try:
            for fn in fns:
                fn(src, out, ctx, root)
        except Exception:
            precise(src, ctx, root)  # raises the same failure, naming its field
            raise
        return out

    return fns, run


def _fuse(simple: list[tuple[Any, ...]]) -> StepFn | None:
    """One closure doing all the simple rules of a side, as plain loops over prepared tuples."""
    if not simple:
        return None
    texts = [form for form in simple if form[0] in _TEXT_FORMS]  # after the rest, in step order
    simple = [form for form in simple if form[0] not in _TEXT_FORMS]
    copies: list[tuple[str, str]] = []
    copies_in: list[tuple[str, str, str]] = []
    copies_out: list[tuple[str, str, str]] = []
    key_convs: list[tuple[str, Convert, Any, str]] = []
    general: list[tuple[Getter, Convert | None, Any, str | None, Setter]] = []
    for form in simple:
        if form[0] == "copy":
            _, src, dst = form
            if len(src) == 1 and len(dst) == 1:
                copies.append((src[0], dst[0]))
                continue
            if len(src) == 2 and len(dst) == 1:
                copies_in.append((src[0], src[1], dst[0]))
                continue
            if len(src) == 1 and len(dst) == 2:
                copies_out.append((src[0], dst[0], dst[1]))
                continue
            form = ("conv", src, None, None, dst)
        _, src, conv, default, dst = form
        if isinstance(src, tuple) and len(src) == 1 and len(dst) == 1 and conv is not None:
            key_convs.append((src[0], conv, default, dst[0]))
        else:
            getter = compile_getter(".".join(src)) if isinstance(src, tuple) else src
            out_key = dst[0] if len(dst) == 1 else None
            general.append((getter, conv, default, out_key, compile_setter(".".join(dst))))
    return _generate(copies, copies_in, copies_out, key_convs, general, texts)


_TEXT_FORMS = frozenset({"split", "unjoin", "join"})


def _text_lines(forms: list[tuple[Any, ...]], scope: dict[str, Any]) -> list[str]:
    """Straight-line code for the text forms: the same values as the steps they stand for (on a
    value they refuse, the runner runs those steps to raise their error)."""
    body: list[str] = []
    for n, form in enumerate(forms):
        if form[0] == "split":  # native text -> parts; the last part keeps the rest
            _, key, separator, maxsplit, parts = form
            body.append(f"    value = get({_literal(key)})")
            body.append("    if value is None:")
            for index, (_, default, out_key) in enumerate(parts):
                scope[f"sdefault{n}_{index}"] = default
                body.append(f"        out[{_literal(out_key)}] = sdefault{n}_{index}")
            body.append("    else:")
            body.append(f"        pieces = str(value).split({_literal(separator)}, {int(maxsplit)})")
            for index, (part, _, out_key) in enumerate(parts):
                body.append(
                    f"        out[{_literal(out_key)}] = pieces[{int(part)}] if len(pieces) > {int(part)} "
                    f"else sdefault{n}_{index}"
                )
        elif form[0] == "unjoin":  # "{a}<separator>{b}" read back: cut at the first separator
            _, key, separator, (first, second) = form
            body.append(f"    value = get({_literal(key)})")
            body.append("    if value is None:")
            body.append(f"        out[{_literal(first)}] = out[{_literal(second)}] = None")
            body.append("    else:")
            body.append(
                "        head, found, rest = (value if isinstance(value, str) else str(value))"
                f".partition({_literal(separator)})"
            )
            body.append("        if not found:")
            body.append("            raise ValueError('not the shape of the template')")
            body.append(f"        out[{_literal(first)}] = head")
            body.append(f"        out[{_literal(second)}] = rest")
        else:  # "join": parts -> one text; missing trailing parts are left out, inner ones empty
            _, keys, separator, out_key = form
            body.append(f"    parts = [{', '.join(f'get({_literal(k)})' for k in keys)}]")
            body.append("    while parts and parts[-1] is None:")
            body.append("        parts.pop()")
            body.append(
                f"    out[{_literal(out_key)}] = {_literal(separator)}.join(['' if p is None else str(p) "
                "for p in parts]) if parts else None"
            )
    return body


def _generate(
    copies: list[tuple[str, str]],
    copies_in: list[tuple[str, str, str]],
    copies_out: list[tuple[str, str, str]],
    key_convs: list[tuple[str, Convert, Any, str]],
    general: list[tuple[Getter, Convert | None, Any, str | None, Setter]],
    texts: list[tuple[Any, ...]],
) -> StepFn:
    """The fused closure as straight-line Python, one statement per rule with its keys as literals:
    no tuple unpacking or loop per field (a third of the mapping's cost). Keys are written with
    ``repr`` of a ``str``, so mapping text can never become code; converters and defaults are passed
    in by name."""
    scope: dict[str, Any] = {}
    body = ["    get = src.get"]
    for key, out_key in copies:
        body.append(f"    out[{_literal(out_key)}] = get({_literal(key)})")
    for a, b, out_key in copies_in:
        body.append(f"    inner = get({_literal(a)})")
        body.append(f"    out[{_literal(out_key)}] = None if inner is None else inner.get({_literal(b)})")
    for key, a, b in copies_out:
        body.append(f"    dest = out.get({_literal(a)})")
        body.append("    if dest is None:")
        body.append(f"        dest = out[{_literal(a)}] = {{}}")
        body.append(f"    dest[{_literal(b)}] = get({_literal(key)})")
    for n, (key, conv, default, out_key) in enumerate(key_convs):
        scope[f"conv{n}"], scope[f"default{n}"] = conv, default
        body.append(f"    value = get({_literal(key)})")
        body.append(f"    out[{_literal(out_key)}] = default{n} if value is None else conv{n}(value)")
    for n, (getter, conv_or_none, default, out_key, setter) in enumerate(general):
        scope[f"getter{n}"], scope[f"gdefault{n}"], scope[f"setter{n}"] = getter, default, setter
        body.append(f"    value = getter{n}(src)")
        body.append("    if value is None:")
        body.append(f"        value = gdefault{n}")
        if conv_or_none is not None:
            scope[f"gconv{n}"] = conv_or_none
            body.append("    else:")
            body.append(f"        value = gconv{n}(value)")
        body.append(
            f"    out[{_literal(out_key)}] = value" if out_key is not None else f"    setter{n}(out, value)"
        )
    body += _text_lines(texts, scope)
    source = "def fused(src, out, ctx, root):\n" + "\n".join(body) + "\n"
    exec(compile(source, "<fused mapping rules>", "exec"), scope)  # keys are repr() literals: no code
    fused: StepFn = scope["fused"]
    return fused


def _literal(key: str) -> str:
    if type(key) is not str:
        raise TypeError(f"a mapping path key must be text, not {type(key).__name__}")
    return repr(key)


def item_list_step(child: Direction, get: Getter, put: Setter, target: str, native: str) -> StepFn:
    """A step mapping every item of a list with ``child`` (both directions share it).

    ``target``/``native`` only label errors: a failing item is re-run precisely to name its field.
    """

    def list_step(src: Record, out: Record, ctx: MappingContext | None, root: Record) -> None:
        items = get(src)
        result: list[Record] = []
        if items:
            fns = child.fns
            try:
                # The child side's loop, inlined: this runs for every address, contact and line.
                if len(fns) == 1:  # all of the item's rules fused into one closure: the usual case
                    (only,) = fns
                    for item in items:
                        mapped: Record = {}
                        only(item, mapped, ctx, root)
                        result.append(mapped)
                else:
                    for item in items:
                        mapped = {}
                        for fn in fns:
                            fn(item, mapped, ctx, root)
                        result.append(mapped)
            except Exception:
                i = len(result)
                try:
                    child.run_precisely(items[i], ctx, root)
                except MappingError as exc:
                    exc.located(field=f"{target}[{i}]", native_field=f"{native}[{i}]")
                    raise
                raise
        put(out, result)

    return list_step

"""``$filter`` (eq ne gt ge lt le, and, or, parentheses) and ``$orderby`` over stored records."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.emulators.sap.errors import SapError
from tests.emulators.sap.metadata import EntityType
from tests.emulators.sap.values import from_literal

__all__ = ["Predicate", "parse_filter", "parse_orderby", "sort_records"]

Predicate = Callable[[dict[str, Any]], bool]
Record = dict[str, Any]

_TOKEN = re.compile(
    r"\s*(?:(?P<lit>(?:datetimeoffset|datetime|time|guid|binary|X)?'(?:[^']|'')*')"
    r"|(?P<paren>[()])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_/]*)"
    r"|(?P<num>-?\d+(?:\.\d+)?[MmDdFfLl]?))"
)
_COMPARE = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and b is not None and a > b,
    "ge": lambda a, b: a is not None and b is not None and a >= b,
    "lt": lambda a, b: a is not None and b is not None and a < b,
    "le": lambda a, b: a is not None and b is not None and a <= b,
}


def _syntax(message: str) -> SapError:
    return SapError(400, "/IWBEP/CM_MGW_RT/004", message, kind="protocol")


def unknown_property(name: str, etype: EntityType) -> SapError:
    return SapError(
        400,
        "/IWBEP/CM_MGW_RT/021",
        f"Property '{name}' not found in type '{etype.name}'",
        name,
        kind="contract",
    )


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _syntax(f"Invalid $filter near '{text[pos : pos + 20]}'")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str, etype: EntityType) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.etype = etype
        self.used: list[str] = []

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _syntax("Unexpected end of $filter")
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        pred = self.or_expr()
        if self.peek() is not None:
            raise _syntax(f"Unexpected '{self.peek()[1]}' in $filter")  # type: ignore[index]
        return pred

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.peek() == ("word", "or"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def and_expr(self) -> Predicate:
        parts = [self.term()]
        while self.peek() == ("word", "and"):
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def term(self) -> Predicate:
        if self.peek() == ("paren", "("):
            self.take()
            inner = self.or_expr()
            if self.take() != ("paren", ")"):
                raise _syntax("Missing ')' in $filter")
            return inner
        kind, name = self.take()
        if kind != "word":
            raise _syntax(f"Expected a property name in $filter, found '{name}'")
        if name not in self.etype.properties:
            raise unknown_property(name, self.etype)
        self.used.append(name)
        prop = self.etype.properties[name]
        _, op = self.take()
        if op not in _COMPARE:
            raise _syntax(f"Operator '{op}' is not supported in $filter")
        _, literal = self.take()
        value = from_literal(literal, prop)
        compare = _COMPARE[op]
        return lambda r: bool(compare(r.get(name), value))


def parse_filter(text: str, etype: EntityType) -> tuple[Predicate, list[str]]:
    """The predicate and the properties it compares (for the ``sap:filterable`` check)."""
    parser = _Parser(text, etype)
    return parser.parse(), parser.used


def parse_orderby(text: str, etype: EntityType) -> list[tuple[str, bool]]:
    """``LastChangeDateTime,SalesOrder desc`` -> [(name, descending)]; names are checked to exist."""
    keys: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words:
            continue
        if words[0] not in etype.properties:
            raise unknown_property(words[0], etype)
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise _syntax(f"Invalid $orderby '{part.strip()}'")
        keys.append((words[0], len(words) > 1 and words[1].lower() == "desc"))
    return keys


def sort_records(records: list[Record], keys: list[tuple[str, bool]]) -> list[Record]:
    """Stable multi-key sort; nulls first ascending, as SAP HANA sorts them."""
    for name, desc in reversed(keys):
        records = sorted(records, key=lambda r, n=name: (r.get(n) is not None, r.get(n)), reverse=desc)
    return records

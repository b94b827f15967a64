"""The SOQL subset the emulator understands: enough to check the connector's queries, strictly.

SELECT f1, f2 FROM Object [WHERE cond] [ORDER BY f [ASC|DESC], ...] [LIMIT n]
cond: comparisons (=, !=, <, >, <=, >=, IN, NOT IN, LIKE), AND, OR, NOT, parentheses.
Literals: 'quoted strings' with backslash escapes, numbers, true/false/null, date and datetime literals.
Anything else raises :class:`SoqlError` (the emulator answers MALFORMED_QUERY), so a query that would
break or be injected on Salesforce breaks here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

__all__ = ["Query", "SoqlError", "parse_datetime", "parse_soql"]

Record = dict[str, Any]
Predicate = Callable[[Record], bool]


class SoqlError(ValueError):
    """The query is not valid SOQL (of the subset)."""


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*')
      | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2}))
      | (?P<date>\d{4}-\d{2}-\d{2})
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)


def parse_datetime(text: str) -> datetime:
    """A Salesforce timestamp (``2026-01-31T12:00:00.000+0000`` or ``...Z``) as an aware datetime."""
    value = text.replace("Z", "+00:00")
    value = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value)
    return datetime.fromisoformat(value).astimezone(UTC)


def _unescape(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            if i + 1 >= len(body) or body[i + 1] not in _ESCAPES:
                raise SoqlError(f"invalid escape sequence in string literal: {body[i : i + 2]!r}")
            out.append(_ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


@dataclass
class _Tok:
    kind: str
    text: str
    value: Any = None


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise SoqlError(f"unexpected character at position {pos}: {text[pos : pos + 20]!r}")
        pos = match.end()
        kind = match.lastgroup or ""
        raw = match.group(kind)
        value: Any = raw
        if kind == "string":
            value = _unescape(raw[1:-1])
        elif kind == "datetime":
            value = parse_datetime(raw)
        elif kind == "date":
            value = date.fromisoformat(raw)
        elif kind == "number":
            value = Decimal(raw)
        out.append(_Tok(kind, raw, value))
    return out


@dataclass
class Query:
    fields: list[str]
    sobject: str
    where: Predicate | None
    order_by: list[tuple[str, bool]]
    """(field, descending) pairs."""
    limit: int | None
    where_fields: list[str]


def _compare_key(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return Decimal(str(value))
    return value


def _coerce(stored: Any, literal: Any) -> tuple[Any, Any]:
    """Bring a stored field value and a literal to comparable types (timestamps are stored as text)."""
    if isinstance(literal, datetime) and isinstance(stored, str):
        return parse_datetime(stored), literal
    if isinstance(literal, date) and not isinstance(literal, datetime) and isinstance(stored, str):
        return date.fromisoformat(stored[:10]), literal
    return _compare_key(stored), _compare_key(literal)


def _like(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.toks = tokens
        self.pos = 0
        self.where_fields: list[str] = []

    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def keyword(self, *words: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "word" and tok.text.upper() in words:
            self.pos += 1
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            tok = self.peek()
            raise SoqlError(f"expected {word}, found {tok.text if tok else 'end of query'!r}")

    def take(self, kind: str) -> _Tok:
        tok = self.peek()
        if tok is None or tok.kind != kind:
            raise SoqlError(f"expected a {kind}, found {tok.text if tok else 'end of query'!r}")
        self.pos += 1
        return tok

    def punct(self, char: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "punct" and tok.text == char:
            self.pos += 1
            return True
        return False

    def query(self) -> Query:
        self.expect_keyword("SELECT")
        fields = [self.take("word").text]
        while self.punct(","):
            fields.append(self.take("word").text)
        self.expect_keyword("FROM")
        sobject = self.take("word").text
        where = self.condition() if self.keyword("WHERE") else None
        order: list[tuple[str, bool]] = []
        if self.keyword("ORDER"):
            self.expect_keyword("BY")
            while True:
                name = self.take("word").text
                desc = self.keyword("DESC")
                if not desc:
                    self.keyword("ASC")
                order.append((name, desc))
                if not self.punct(","):
                    break
        limit = None
        if self.keyword("LIMIT"):
            limit = int(self.take("number").value)
        if self.peek() is not None:
            raise SoqlError(f"unexpected token {self.peek().text!r}")  # type: ignore[union-attr]
        return Query(fields, sobject, where, order, limit, self.where_fields)

    def condition(self) -> Predicate:
        left = self.conjunction()
        while self.keyword("OR"):
            right = self.conjunction()
            left = (lambda a, b: lambda r: a(r) or b(r))(left, right)
        return left

    def conjunction(self) -> Predicate:
        left = self.unary()
        while self.keyword("AND"):
            right = self.unary()
            left = (lambda a, b: lambda r: a(r) and b(r))(left, right)
        return left

    def unary(self) -> Predicate:
        if self.keyword("NOT"):
            inner = self.unary()
            return lambda r: not inner(r)
        if self.punct("("):
            inner = self.condition()
            if not self.punct(")"):
                raise SoqlError("missing closing parenthesis")
            return inner
        return self.comparison()

    def literal(self) -> Any:
        tok = self.peek()
        if tok is None:
            raise SoqlError("expected a value, found end of query")
        self.pos += 1
        if tok.kind in ("string", "datetime", "date", "number"):
            return tok.value
        if tok.kind == "word" and tok.text.lower() in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[tok.text.lower()]
        raise SoqlError(f"expected a value, found {tok.text!r} (strings need single quotes)")

    def comparison(self) -> Predicate:
        name = self.take("word").text
        self.where_fields.append(name)
        if self.keyword("IN"):
            return self._in(name, negate=False)
        if self.keyword("NOT"):
            self.expect_keyword("IN")
            return self._in(name, negate=True)
        if self.keyword("LIKE"):
            pattern = self.literal()
            if not isinstance(pattern, str):
                raise SoqlError("LIKE needs a string pattern")
            regex = _like(pattern)
            return lambda r: isinstance(r.get(name), str) and regex.fullmatch(r[name]) is not None
        op = self.take("op").text
        value = self.literal()
        return _compare(name, op, value)

    def _in(self, name: str, *, negate: bool) -> Predicate:
        if not self.punct("("):
            raise SoqlError("IN needs a parenthesised list of values")
        values = [self.literal()]
        while self.punct(","):
            values.append(self.literal())
        if not self.punct(")"):
            raise SoqlError("missing closing parenthesis after IN list")
        keys = {_compare_key(v) for v in values}
        return lambda r: (_compare_key(r.get(name)) in keys) != negate


def _compare(name: str, op: str, value: Any) -> Predicate:
    def check(record: Record) -> bool:
        stored = record.get(name)
        if op in ("=", "!=", "<>"):
            if value is None or stored is None:
                same = stored is None and value is None
            else:
                left, right = _coerce(stored, value)
                same = left == right
            return same if op == "=" else not same
        if stored is None or value is None:
            return False  # SOQL: null never orders against a value
        left, right = _coerce(stored, value)
        if op == "<":
            return bool(left < right)
        if op == ">":
            return bool(left > right)
        if op == "<=":
            return bool(left <= right)
        return bool(left >= right)

    return check


def parse_soql(text: str) -> Query:
    """Parse one query of the subset; raises :class:`SoqlError` naming what is wrong."""
    return _Parser(_tokens(text)).query()

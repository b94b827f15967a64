"""Domains (prefix notation) and ``order`` clauses, evaluated as Odoo's SQL would.

What matters to a client: ``like``/``ilike`` wrap the value in ``%`` and treat ``%``, ``_`` and
``\\`` as PostgreSQL does (wildcards and escape), ``=`` compares exactly; negative operators
(``!=``, ``not like``, ``not in``...) also match empty values (Odoo adds ``OR field IS NULL``);
comparisons with an empty value are false (SQL NULL). A bad leaf, operator or field is a
``ValueError`` (fault 1 / HTTP 500), as in Odoo.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from tests.emulators.odoo.fields import X2MANY, Field, parse_date, parse_datetime

if TYPE_CHECKING:
    from tests.emulators.odoo.orm import BaseModel

__all__ = ["OPERATORS", "Predicate", "compile_domain", "like_match", "parse_order", "sort_ids"]

OPERATORS = frozenset(
    {
        "=",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "=?",
        "in",
        "not in",
        "like",
        "not like",
        "ilike",
        "not ilike",
        "=like",
        "=ilike",
        "child_of",
        "parent_of",
        "any",
        "not any",
    }
)
NEGATIVE = frozenset({"!=", "not in", "not like", "not ilike", "not any"})
Predicate = Callable[[int], bool]
_ORDER_TERM = re.compile(r"^\s*([a-z0-9_]+)(?:\s+(asc|desc))?(?:\s+nulls\s+(first|last))?\s*$", re.I)


def _like_regex(pattern: str, *, wrap: bool, flags: int) -> re.Pattern[str]:
    out: list[str] = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(re.escape(nxt))
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    body = "".join(out)
    if wrap:
        body = f".*{body}.*"
    return re.compile(f"^{body}$", flags | re.S)


def like_match(value: str, pattern: str, operator: str) -> bool:
    """PostgreSQL ``LIKE``/``ILIKE`` as Odoo builds it (``like``/``ilike`` add ``%`` both sides)."""
    wrap = operator in ("like", "ilike", "not like", "not ilike")
    flags = re.I if "ilike" in operator else 0
    return _like_regex(pattern, wrap=wrap, flags=flags).match(value) is not None


def _coerce(field: Field, value: Any) -> Any:
    """The right operand as the column type (PostgreSQL casts a string literal to the column's)."""
    if value is False or value is None:
        return None
    if field.type == "datetime" and isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            return datetime.fromisoformat(value).replace(tzinfo=None)
    if field.type == "date" and isinstance(value, str):
        return parse_date(value)
    if field.type in ("integer", "many2one", *X2MANY) and isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _compare(left: Any, operator: str, right: Any) -> bool:
    if left is None or right is None:
        return False
    if isinstance(left, datetime) and isinstance(right, date) and not isinstance(right, datetime):
        right = datetime.combine(right, datetime.min.time())
    try:
        if operator == "<":
            return bool(left < right)
        if operator == "<=":
            return bool(left <= right)
        if operator == ">":
            return bool(left > right)
        return bool(left >= right)
    except TypeError as exc:
        raise ValueError(f"cannot compare {left!r} {operator} {right!r}") from exc


def _parse(domain: Any) -> list[Any]:
    """Prefix notation -> a tree of ("&"|"|", a, b), ("!", a) and leaves; implicit "&" between terms."""
    if domain in (None, False):
        return []
    if not isinstance(domain, list | tuple):
        raise ValueError(f"Invalid domain: {domain!r}")
    stack: list[Any] = []
    for item in reversed(list(domain)):
        if item in ("&", "|"):
            if len(stack) < 2:
                raise ValueError(f"Invalid domain: {domain!r} (operator {item!r} lacks operands)")
            a, b = stack.pop(), stack.pop()
            stack.append((item, a, b))
        elif item == "!":
            if not stack:
                raise ValueError(f"Invalid domain: {domain!r} (operator '!' lacks an operand)")
            stack.append(("!", stack.pop()))
        elif isinstance(item, list | tuple) and len(item) == 3:
            stack.append(("leaf", tuple(item)))
        else:
            raise ValueError(f"Invalid leaf {item!r}")
    terms = list(reversed(stack))
    tree = terms[0] if terms else None
    for term in terms[1:]:
        tree = ("&", tree, term)
    return [tree] if tree is not None else []


def compile_domain(model: BaseModel, domain: Any) -> Predicate:
    """A predicate over record ids of ``model`` (values read through ``model._value``)."""
    tree = _parse(domain)
    if not tree:
        return lambda _id: True
    return _compile(model, tree[0])


def _compile(model: BaseModel, node: Any) -> Predicate:
    kind = node[0]
    if kind == "&":
        a, b = _compile(model, node[1]), _compile(model, node[2])
        return lambda i: a(i) and b(i)
    if kind == "|":
        a, b = _compile(model, node[1]), _compile(model, node[2])
        return lambda i: a(i) or b(i)
    if kind == "!":
        a = _compile(model, node[1])
        return lambda i: not a(i)
    return _leaf(model, node[1])


def _leaf(model: BaseModel, leaf: tuple[Any, Any, Any]) -> Predicate:
    left, operator, right = leaf
    if leaf in ((1, "=", 1), (0, "=", 1)):
        truth = leaf[0] == 1
        return lambda _i: truth
    if not isinstance(left, str) or not isinstance(operator, str):
        raise ValueError(f"Invalid leaf {list(leaf)!r}")
    operator = operator.lower()
    if operator not in OPERATORS:
        raise ValueError(f"Invalid operator {operator!r} in domain term {list(leaf)!r}")
    head, _, rest = left.partition(".")
    field = model._field_or_none(head)
    if field is None:
        raise ValueError(f"Invalid field {model._name}.{head} in leaf {list(leaf)!r}")
    if operator == "=?":
        if right is False or right is None:
            return lambda _i: True
        operator = "="
    if rest or operator in ("any", "not any"):
        return _path_leaf(model, head, field, rest, operator, right)
    if operator in ("child_of", "parent_of"):
        return _hierarchy_leaf(model, head, field, operator, right)
    return _value_leaf(model, head, field, operator, right)


def _path_leaf(model: BaseModel, head: str, field: Field, rest: str, operator: str, right: Any) -> Predicate:
    if not field.is_relational or field.relation is None:
        raise ValueError(f"Invalid field path {model._name}.{head}.{rest}: {head} is not relational")
    comodel = model.env[field.relation]._with_context(active_test=False)
    sub = right if operator in ("any", "not any") else [[rest, operator, right]]
    matching = set(comodel._search_ids(sub))
    positive = operator != "not any"

    def check(i: int) -> bool:
        related = model._related_ids(i, head)
        return bool(related & matching) == positive

    return check


def _hierarchy_leaf(model: BaseModel, head: str, field: Field, operator: str, right: Any) -> Predicate:
    target = model if head == "id" else model.env[field.relation or model._name]
    roots = {right} if isinstance(right, int) else set(right or ())
    ids = target._with_context(active_test=False)._hierarchy(roots, down=operator == "child_of")
    return lambda i: bool(model._related_ids(i, head) & ids)


def _value_leaf(model: BaseModel, head: str, field: Field, operator: str, right: Any) -> Predicate:
    if field.type in X2MANY or field.type == "many2one":
        return _relational_leaf(model, head, field, operator, right)
    if field.type == "boolean" and operator in ("=", "!="):
        # Odoo: ``= False`` on a boolean is ``IS NULL OR = false``.
        equal, wanted = operator == "=", bool(right)
        return lambda i: (bool(model._value(i, head)) == wanted) == equal
    if operator in ("in", "not in"):
        values = right if isinstance(right, list | tuple) else [right]
        wanted = {_coerce(field, v) for v in values}
        positive = operator == "in"
        return lambda i: (model._value(i, head) in wanted) == positive
    if operator in ("like", "not like", "ilike", "not ilike", "=like", "=ilike"):
        pattern = str(right)
        negative = operator in NEGATIVE

        def like(i: int) -> bool:
            value = model._value(i, head)
            if value is None or value is False:
                return negative
            return like_match(str(value), pattern, operator) != negative

        return like
    coerced = _coerce(field, right)
    if operator in ("=", "!="):
        equal = operator == "="
        if coerced is None:
            return lambda i: (model._value(i, head) is None) == equal
        return lambda i: (model._value(i, head) == coerced) == equal
    return lambda i: _compare(model._value(i, head), operator, coerced)


def _relational_leaf(model: BaseModel, head: str, field: Field, operator: str, right: Any) -> Predicate:
    assert field.relation is not None
    negative = operator in NEGATIVE
    if isinstance(right, str) and operator not in ("in", "not in"):
        # A name instead of an id: Odoo searches the comodel on its display name.
        name_op = {"!=": "=", "not like": "like", "not ilike": "ilike"}.get(operator, operator)
        comodel = model.env[field.relation]._with_context(active_test=False)
        wanted: set[Any] = set(comodel._search_ids([[comodel._rec_name_field, name_op, right]]))
        return lambda i: bool(model._related_ids(i, head) & wanted) != negative
    if operator in ("=", "!=", "in", "not in"):
        values: Iterable[Any] = right if isinstance(right, list | tuple) else [right]
        wanted = {v for v in values if v is not False and v is not None}
        empty_wanted = any(v is False or v is None for v in values)

        def rel(i: int) -> bool:
            related = model._related_ids(i, head)
            hit = bool(related & wanted) or (empty_wanted and not related)
            return hit != negative

        return rel
    raise ValueError(f"Invalid operator {operator!r} for relational field {model._name}.{head}")


def parse_order(model: BaseModel, order: str | None) -> list[tuple[str, bool, bool]]:
    """``"write_date asc, id"`` -> [(field, descending, nulls_first)]."""
    if not order:
        return []
    terms: list[tuple[str, bool, bool]] = []
    for part in str(order).split(","):
        match = _ORDER_TERM.match(part)
        if not match:
            raise ValueError(
                f'Invalid "order" specified ({order}). A valid "order" specification is a '
                "comma-separated list of valid field names (optionally followed by asc/desc for "
                "the direction)"
            )
        name, direction, nulls = match.group(1), (match.group(2) or "asc").lower(), match.group(3)
        field = model._field_or_none(name)
        if field is None:
            raise ValueError(f"Invalid field {name!r} on model {model._name!r}")
        if not field.stored and name != "id":
            raise ValueError(f"Cannot order by non-stored field {model._name}.{name}")
        descending = direction == "desc"
        nulls_first = nulls.lower() == "first" if nulls else descending
        terms.append((name, descending, nulls_first))
    return terms


def sort_ids(model: BaseModel, ids: list[int], terms: list[tuple[str, bool, bool]]) -> list[int]:
    """Stable multi-key sort, PostgreSQL-style NULL placement; many2one sorts by the comodel's name."""
    result = list(ids)
    for name, descending, nulls_first in reversed(terms):
        field = model._field_or_none(name)
        assert field is not None

        def key(i: int, name: str = name, field: Field = field) -> Any:
            value = model._value(i, name)
            if field.type == "many2one" and value:
                value = model.env[field.relation or ""]._display_name_of(value)
            if field.type == "boolean":
                value = bool(value)
            return value

        present = [i for i in result if key(i) is not None]
        empty = [i for i in result if key(i) is None]
        present.sort(key=key, reverse=descending)
        result = empty + present if nulls_first else present + empty
    return result

"""The fixed library of value transforms. Each builder runs once per mapping and returns a small
closure that runs once per value; nothing here parses YAML or checks schemas per record."""

from __future__ import annotations

import string
from collections.abc import Callable, Hashable, Mapping
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sync_engine.mapping.errors import MappingError

Convert = Callable[[Any], Any]
Getter = Callable[[dict[str, Any]], Any]

CANONICAL_TYPES = ("str", "int", "decimal", "bool", "date", "datetime")
NATIVE_TYPES = (*CANONICAL_TYPES, "float")

_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off"})


def _bad(value: Any, expected: str, fix: str) -> MappingError:
    return MappingError(f"{value!r} is not {expected}", value=value, fix=fix)


# --- parsing into canonical Python values -------------------------------------------------------


def _to_str(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _to_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    elif isinstance(value, float | Decimal) and value == int(value):
        return int(value)
    raise _bad(value, "a whole number", "send a whole number such as 42")


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, str | int) and not isinstance(value, bool):
        try:
            result = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise _bad(
                value, "a decimal number", "send a number such as 12.50 (dot as decimal mark)"
            ) from None
    elif isinstance(value, float):
        # repr() is the shortest text that reads back as the same float: 0.1 -> Decimal("0.1").
        result = Decimal(repr(value))
    else:
        raise _bad(value, "a decimal number", "send a number such as 12.50")
    if not result.is_finite():
        raise _bad(value, "a finite number", "send a real amount, not NaN or infinity")
    return result


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise _bad(value, "a yes/no value", "send true/false, yes/no or 1/0, or add a value map")


def date_parser(fmt: str | None) -> Convert:
    def to_date(value: Any) -> date:
        if isinstance(value, datetime):
            raise _bad(value, "a date without time", "send a date such as 2026-01-31")
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return datetime.strptime(value, fmt).date() if fmt else date.fromisoformat(value)
            except ValueError:
                pass
        shape = f"a date in the format {fmt!r}" if fmt else "an ISO date (YYYY-MM-DD)"
        raise _bad(value, shape, "send the date in that format or set `format:` in the mapping")

    return to_date


def datetime_parser(fmt: str | None, zone: tzinfo | None) -> Convert:
    def to_datetime(value: Any) -> datetime:
        if isinstance(value, datetime):
            result = value
        elif isinstance(value, str):
            try:
                result = datetime.strptime(value, fmt) if fmt else datetime.fromisoformat(value)
            except ValueError:
                shape = f"a timestamp in the format {fmt!r}" if fmt else "an ISO 8601 timestamp"
                raise _bad(value, shape, "send the timestamp in that format or set `format:`") from None
        elif isinstance(value, int | float) and not isinstance(value, bool):
            result = datetime.fromtimestamp(value, UTC)
        else:
            raise _bad(value, "a timestamp", "send an ISO 8601 timestamp such as 2026-01-31T12:00:00Z")
        if result.tzinfo is None:
            if zone is None:
                raise MappingError(
                    f"timestamp {value!r} has no timezone",
                    value=value,
                    fix="set `timezone:` (e.g. Europe/Berlin) on this field in the mapping",
                )
            result = result.replace(tzinfo=zone)
        return result.astimezone(UTC)

    return to_datetime


def canonical_converter(type_name: str, *, fmt: str | None = None, timezone: str | None = None) -> Convert:
    """native value -> canonical Python value of ``type_name``."""
    zone = ZoneInfo(timezone) if timezone else None
    return {
        "str": lambda: _to_str,
        "int": lambda: _to_int,
        "decimal": lambda: _to_decimal,
        "bool": lambda: _to_bool,
        "date": lambda: date_parser(fmt),
        "datetime": lambda: datetime_parser(fmt, zone),
    }[type_name]()


# --- rendering canonical values for the native side ---------------------------------------------


def native_converter(
    type_name: str | None,
    native_type: str,
    *,
    fmt: str | None = None,
    timezone: str | None = None,
    places: int | None = None,
) -> Convert:
    """canonical value (JSON form like "12.5" or Python form) -> native value of ``native_type``.

    ``places``: decimals are written with exactly that many places (canonical numbers carry no
    trailing zeros, so a system that keeps "12.50" as text gets its own format back).
    """
    zone = ZoneInfo(timezone) if timezone else None
    # First read the canonical value back into Python (JSON form carries decimals and dates as text).
    parse: Convert | None = None
    if type_name is not None and type_name != "str":
        parse = canonical_converter(type_name, timezone="UTC")
    if places is not None:
        exponent = Decimal(1).scaleb(-places)

        def parse(value: Any) -> Any:
            return _to_decimal(value).quantize(exponent)

    def as_local(value: datetime) -> datetime:
        # A `timezone:` means the native side keeps naive local times in that zone.
        return value.astimezone(zone).replace(tzinfo=None) if zone else value

    def render_str(value: Any) -> str:
        if isinstance(value, datetime):
            local = as_local(value)
            return local.strftime(fmt) if fmt else local.isoformat()
        if isinstance(value, date):
            return value.strftime(fmt) if fmt else value.isoformat()
        return _to_str(value)

    def render_int(value: Any) -> int:
        return _to_int(value)

    def render_float(value: Any) -> float:
        return float(_to_decimal(value))

    def render_datetime(value: Any) -> Any:
        return as_local(value) if isinstance(value, datetime) else value

    render: Convert | None = {
        "str": render_str,
        "int": render_int,
        "float": render_float,
        "decimal": _to_decimal,
        "bool": _to_bool,
        "date": None,
        "datetime": render_datetime,
    }[native_type]
    if parse is None:
        return render or _identity
    if render is None:
        return parse
    first = parse

    def parse_then_render(value: Any) -> Any:
        return render(first(value))

    return parse_then_render


def _identity(value: Any) -> Any:
    return value


# --- value maps ---------------------------------------------------------------------------------

_NO_DEFAULT = object()


def value_map(values: Mapping[Any, Any], *, default: Any = _NO_DEFAULT, what: str = "native code") -> Convert:
    """Look a value up in ``values``; unknown values give ``default`` or a precise error."""
    table = dict(values)
    known = ", ".join(repr(k) for k in table)

    def lookup(value: Any) -> Any:
        try:
            return table[value]
        except (KeyError, TypeError):
            if default is not _NO_DEFAULT:
                return default
            raise MappingError(
                f"{what} {value!r} is not in the value map (known: {known})",
                value=value,
                fix="add it under `map.values` (or `map.reverse`) or give the map a `default`",
            ) from None

    return lookup


def inverted(values: Mapping[Any, Any]) -> dict[Any, Any]:
    """canonical -> native; callers check it is one-to-one (or give an explicit reverse map)."""
    result: dict[Hashable, Any] = {}
    for native, canonical in values.items():
        result.setdefault(canonical, native)
    return result


NO_DEFAULT = _NO_DEFAULT


# --- string templates ---------------------------------------------------------------------------


def parse_template(text: str) -> list[tuple[str, str | None]]:
    """``"{first} {last}"`` -> [("", "first"), (" ", "last")]: literal text then a native path.

    Raises ``ValueError`` for unbalanced braces, conversions (``!r``) or format specs (``:>10``).
    """
    parts: list[tuple[str, str | None]] = []
    for literal, field, spec, conversion in string.Formatter().parse(text):
        if field is not None and (spec or conversion):
            raise ValueError(f"placeholder {{{field}}} must be a plain native path, without ':' or '!'")
        if field == "":
            raise ValueError("empty placeholder {} : write the native path inside the braces")
        parts.append((literal, field))
    return parts


def template_renderer(parts: list[tuple[str, str | None]], getter_of: Callable[[str], Getter]) -> Getter:
    """A function joining native values into one string; ``None`` when every placeholder is missing."""
    literals = [literal for literal, _ in parts] + ([""] if parts and parts[-1][1] is not None else [])
    fields = [field for _, field in parts if field is not None]
    if len(fields) == 2 and all("." not in f for f in fields):
        # The common "{first} {last}" shape, spelled out: it runs once per contact.
        (first, second), (lead, middle, tail) = fields, literals

        def render_two(record: dict[str, Any]) -> str | None:
            a, b = record.get(first), record.get(second)
            if a is None and b is None:
                return None
            return f"{lead}{'' if a is None else a}{middle}{'' if b is None else b}{tail}"

        return render_two
    getters = [getter_of(f) for f in fields]

    def render(record: dict[str, Any]) -> str | None:
        values = [get(record) for get in getters]
        if all(v is None for v in values):
            return None
        text = [literals[0]]
        for value, literal in zip(values, literals[1:], strict=True):
            text.append("" if value is None else _to_str(value))
            text.append(literal)
        return "".join(text)

    return render


def template_splitter(parts: list[tuple[str, str | None]]) -> Callable[[Any], list[str]]:
    """The inverse of a template: a string -> the placeholder values, cut at the literal text.

    Every placeholder but the last ends at the first occurrence of the text after it, so "Jan van Dijk"
    with "{first} {last}" gives first="Jan", last="van Dijk".
    """
    fields = [(literal, field) for literal, field in parts if field is not None]
    lead = fields[0][0] if fields else ""
    trail = parts[-1][0] if parts and parts[-1][1] is None else ""
    separators = tuple(literal for literal, _ in fields[1:])

    if len(separators) == 1 and not lead and not trail:
        (separator,) = separators

        def split_two(value: Any) -> list[str]:
            head, found, rest = (value if isinstance(value, str) else str(value)).partition(separator)
            if not found:
                raise _no_shape(value)
            return [head, rest]

        return split_two

    def split(value: Any) -> list[str]:
        rest = _to_str(value)
        if not (rest.startswith(lead) and rest.endswith(trail)) or len(rest) < len(lead) + len(trail):
            raise _no_shape(value)
        rest = rest[len(lead) : len(rest) - len(trail)]
        pieces: list[str] = []
        for separator in separators:
            head, found, rest = rest.partition(separator)
            if not found:
                raise _no_shape(value)
            pieces.append(head)
        pieces.append(rest)
        return pieces

    return split


def _no_shape(value: Any) -> MappingError:
    return MappingError(
        f"{value!r} does not have the shape of the template",
        value=value,
        fix="make the value match the template or map this field in one direction only",
    )


def compose(fns: list[Convert]) -> Convert | None:
    """One function applying ``fns`` in order (``None`` when there is nothing to do)."""
    if not fns:
        return None
    if len(fns) == 1:
        return fns[0]
    if len(fns) == 2:
        first, second = fns

        def two(value: Any) -> Any:
            return second(first(value))

        return two
    chain = tuple(fns)

    def many(value: Any) -> Any:
        for fn in chain:
            value = fn(value)
        return value

    return many

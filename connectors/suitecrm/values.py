"""Values on SuiteCRM's wire: every attribute is a string, and SuiteCRM changes some on the way in.

Reading: ``""`` means empty (SuiteCRM does not tell NULL from an empty string); decimals come as
``"12.500000"``, dates as ``"2026-12-31"``, datetimes as ISO 8601 in UTC rendered through the API
user's time format (stock ``H:i`` drops the seconds), booleans as ``"0"``/``"1"``, and text with
``" < > '`` HTML-encoded (``&quot; &lt; &gt; &#039;``; ``&`` itself is not).

Writing: SuiteCRM stores what it makes of a value, silently. Numbers pass through a PHP float shown
with 14 significant digits; text loses HTML tags, control characters and decodes HTML entities;
varchar values are trimmed; unknown booleans become 0; a malformed date becomes another date.
The formatters here therefore refuse, with a :class:`ValueError` that says what to fix, every value
SuiteCRM would not store exactly as given.
"""

from __future__ import annotations

import html.entities
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

__all__ = [
    "DB_DATETIME_FORMAT",
    "MINUTE",
    "SECOND",
    "TextKind",
    "filter_text",
    "format_bool",
    "format_date",
    "format_datetime",
    "format_decimal",
    "format_text",
    "like_literal",
    "parse_bool",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_text",
    "truncate",
    "unescape",
]

MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
DB_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
"""How SuiteCRM stores datetimes (UTC); filters compare against this text, and writes use it."""
SIGNIFICANT_DIGITS = 14
"""PHP's ``precision`` setting: SuiteCRM turns amounts into floats and back to text with it."""
DEFAULT_PRECISION, DEFAULT_SCALE = 26, 6
"""SuiteCRM's currency columns are ``decimal(26,6)``."""

TextKind = Literal["varchar", "text"]
"""``varchar`` (also ``name``, ``enum``, ``phone``, ...) is trimmed on save; ``text`` is not."""

_ENCODED = {"&quot;": '"', "&lt;": "<", "&gt;": ">", "&#039;": "'"}
_ENCODED_RE = re.compile("|".join(map(re.escape, _ENCODED)))
_TAG_RE = re.compile(r"<[A-Za-z/!?]")
_ENTITY_RE = re.compile(r"&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|([A-Za-z][A-Za-z0-9]*));")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PHP_TRIM = " \t\n\r\x00\x0b"
_NAMED_ENTITIES = frozenset(name.rstrip(";") for name in html.entities.html5 if name.endswith(";"))


# ---------------------------------------------------------------- text


def unescape(raw: str) -> str:
    """Undo the API's encoding of ``" < > '`` (SuiteCRM stores no entities, so this is exact)."""
    return _ENCODED_RE.sub(lambda m: _ENCODED[m.group(0)], raw) if "&" in raw else raw


def parse_text(raw: str) -> str | None:
    """A text attribute of a :class:`Record` (already unescaped by the client); ``""`` is None."""
    return None if raw == "" else raw


def filter_text(value: str) -> str:
    """A filter value: SuiteCRM decodes HTML entities in it before comparing, so none may be in it."""
    for match in _ENTITY_RE.finditer(value):
        if match.group(1) is None or match.group(1) in _NAMED_ENTITIES:
            raise ValueError(
                f"filter value {_show(value)} contains the HTML entity {match.group(0)!r}, which SuiteCRM "
                "decodes before comparing; stored values never contain one"
            )
    if "\x00" in value:
        raise ValueError(f"filter value {_show(value)} contains a NUL character")
    return value


def format_text(value: str | None, *, kind: TextKind = "varchar", max_length: int | None = None) -> str:
    """The wire text for ``value`` (None -> ``""``); refuses what SuiteCRM would store differently."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {type(value).__name__} {value!r}")
    if kind == "varchar" and value != value.strip(_PHP_TRIM):
        raise ValueError(f"{_show(value)} starts or ends with white space, which SuiteCRM trims; trim it")
    bad = _CONTROL_RE.search(value)
    if bad:
        raise ValueError(
            f"{_show(value)} contains the control character U+{ord(bad.group(0)):04X}, which SuiteCRM "
            "drops; remove it"
        )
    tag = _TAG_RE.search(value)
    if tag:
        raise ValueError(
            f"{_show(value)} contains {tag.group(0)!r}..., which SuiteCRM's HTML sanitizer removes as a tag; "
            "put a space after '<' or rephrase"
        )
    for match in _ENTITY_RE.finditer(value):
        if match.group(1) is None or match.group(1) in _NAMED_ENTITIES:
            raise ValueError(
                f"{_show(value)} contains the HTML entity {match.group(0)!r}, which SuiteCRM decodes on "
                "save; write the character itself"
            )
    if max_length is not None and len(value) > max_length:
        raise ValueError(
            f"{_show(value)} has {len(value)} characters; the SuiteCRM field holds {max_length} and "
            "would cut it"
        )
    return value


def like_literal(text: str) -> str:
    """``text`` as a LIKE pattern that matches only itself (``%``, ``_`` and ``\\`` escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _show(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


# ---------------------------------------------------------------- numbers


def parse_decimal(raw: str) -> Decimal | None:
    if raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"SuiteCRM sent {raw!r} where a number belongs") from None
    if not value.is_finite():
        raise ValueError(f"SuiteCRM sent {raw!r} where a number belongs")
    return value


def format_decimal(
    value: Decimal | int | None, *, scale: int = DEFAULT_SCALE, precision: int = DEFAULT_PRECISION
) -> str:
    """Plain decimal text; refuses what a ``decimal(precision, scale)`` column or PHP's float would change."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValueError(
            f"expected a Decimal (never a float: it is not exact), got {type(value).__name__} {value!r}"
        )
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{number} is not a number SuiteCRM can store")
    number = number.normalize() if number else Decimal(0)
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite
    places = max(0, -exponent)
    if places > scale:
        raise ValueError(
            f"{number:f} has {places} decimal places; the SuiteCRM field keeps {scale}: round it"
        )
    if number and number.adjusted() + 1 > precision - scale:
        raise ValueError(
            f"{number:f} has {number.adjusted() + 1} digits before the decimal point; the SuiteCRM field "
            f"holds {precision - scale}"
        )
    if len(digits) > SIGNIFICANT_DIGITS:
        raise ValueError(
            f"{number:f} has {len(digits)} significant digits; SuiteCRM keeps {SIGNIFICANT_DIGITS} "
            "(it converts amounts through a PHP float) and would store another number"
        )
    return format(number, "f")


# ---------------------------------------------------------------- booleans


def parse_bool(raw: str) -> bool | None:
    if raw == "":
        return None
    if raw in ("0", "1"):
        return raw == "1"
    raise ValueError(f"SuiteCRM sent {raw!r} where a boolean (0/1) belongs")


def format_bool(value: bool | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, bool):
        # SuiteCRM stores "true", "yes" and other text as 0: only real booleans are sent.
        raise ValueError(f"expected True or False, got {type(value).__name__} {value!r}")
    return "1" if value else "0"


# ---------------------------------------------------------------- dates and datetimes


def parse_date(raw: str) -> date | None:
    if raw == "":
        return None
    if not _DATE_RE.fullmatch(raw):
        return _bad_date(raw)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return _bad_date(raw)


def _bad_date(raw: str) -> date:
    raise ValueError(
        f"SuiteCRM sent {raw!r} where a date (YYYY-MM-DD) belongs; set the API user's date format to Y-m-d"
    )


def format_date(value: date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"expected a date, got {type(value).__name__} {value!r}")
    return value.isoformat()


def parse_datetime(raw: str) -> datetime | None:
    """An aware UTC datetime from the API's ISO 8601 text (``2026-11-30T13:49:00+00:00``)."""
    if raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"SuiteCRM sent {raw!r} where an ISO 8601 datetime belongs") from None
    if value.tzinfo is None:
        raise ValueError(f"SuiteCRM sent {raw!r} without a UTC offset")
    return value.astimezone(UTC)


def format_datetime(value: datetime | None) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in UTC: how SuiteCRM stores datetimes, for filters and writes."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        raise ValueError(f"expected a datetime, got {type(value).__name__} {value!r}")
    if value.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone; SuiteCRM's datetimes are UTC: pass an aware datetime")
    if value.microsecond:
        raise ValueError(f"{value.isoformat()} has fractions of a second; SuiteCRM stores whole seconds")
    return value.astimezone(UTC).strftime(DB_DATETIME_FORMAT)


def truncate(value: datetime, precision: timedelta) -> datetime:
    """``value`` cut down to ``precision`` (a whole number of seconds that divides a day)."""
    step = int(precision.total_seconds())
    if step < 1 or 86400 % step:
        raise ValueError(f"precision must be a whole number of seconds dividing a day, not {precision}")
    midnight = value.replace(hour=0, minute=0, second=0, microsecond=0)
    seconds = int((value - midnight).total_seconds())
    return midnight + timedelta(seconds=seconds - seconds % step)

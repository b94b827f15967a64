"""The domain builder: domains as data, literal matching of odd names, the (write_date, id) keyset."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from connectors.odoo.domains import (
    FALSE,
    after_cursor,
    all_of,
    any_of,
    contains,
    equals,
    escape_like,
    is_in,
    leaf,
    negate,
    normalize,
    odoo_datetime,
)
from tests.odoo.conftest import Clock, Side

ODD_NAMES = [
    "O'Brien & Sons",
    'The "Best" Ltd',
    "100% Cotton",
    "100 Cotton",
    "snake_case",
    "snakeXcase",
    "back\\slash",
    "'; DROP TABLE res_partner; --",
    "Ünïcødé GmbH",
]


def test_leaves_are_checked_data() -> None:
    assert equals("name", "O'Brien") == [["name", "=", "O'Brien"]]
    assert leaf("partner_id.country_id.code", "=", "BE") == [["partner_id.country_id.code", "=", "BE"]]
    assert equals("email", None) == [["email", "=", False]]
    assert is_in("id", (3, 1)) == [["id", "in", [3, 1]]]
    assert leaf("amount", ">", Decimal("1.50")) == [["amount", ">", 1.5]]
    assert leaf("date", "<", date(2026, 1, 2)) == [["date", "<", "2026-01-02"]]
    for bad_field in ("Name", "name; drop", "", "a..b"):
        with pytest.raises(ValueError, match="field path"):
            leaf(bad_field, "=", 1)
    with pytest.raises(ValueError, match="operator"):
        leaf("name", "= 1 OR", 1)
    with pytest.raises(TypeError):
        leaf("name", "=", {"$ne": 1})
    with pytest.raises(TypeError):
        leaf("id", "in", "123")


def test_like_patterns_escape_wildcards() -> None:
    assert escape_like("100%_a\\b") == "100\\%\\_a\\\\b"
    assert contains("name", "50%") == [["name", "ilike", "50\\%"]]
    assert contains("name", "a_b", case_sensitive=True) == [["name", "like", "a\\_b"]]


def test_combinators_make_prefix_notation() -> None:
    a, b, c = equals("a", 1), equals("b", 2), equals("c", 3)
    assert all_of(a, b) == ["&", ["a", "=", 1], ["b", "=", 2]]
    assert all_of(a, [], b) == all_of(a, b)
    assert any_of(a, b, c) == ["|", "|", ["a", "=", 1], ["b", "=", 2], ["c", "=", 3]]
    assert any_of(a, []) == []  # or-ed with "true"
    assert any_of(a + b, c) == ["|", "&", ["a", "=", 1], ["b", "=", 2], ["c", "=", 3]]
    assert negate(a + b) == ["!", "&", ["a", "=", 1], ["b", "=", 2]]
    assert negate([]) == FALSE
    assert normalize(["|", *a, *b, *c]) == ["&", "|", ["a", "=", 1], ["b", "=", 2], ["c", "=", 3]]
    with pytest.raises(ValueError, match="lack operands"):
        normalize(["&", *a])


def test_datetimes_are_odoo_s_utc_text() -> None:
    brussels = timezone(timedelta(hours=1))
    assert odoo_datetime(datetime(2026, 1, 5, 11, 0, 0, 500, tzinfo=brussels)) == "2026-01-05 10:00:00"
    assert odoo_datetime(datetime(2026, 1, 5, 10, 0)) == "2026-01-05 10:00:00"
    assert after_cursor(datetime(2026, 1, 5, 10, 0, tzinfo=UTC), 7) == [
        "|",
        ["write_date", ">", "2026-01-05 10:00:00"],
        "&",
        ["write_date", "=", "2026-01-05 10:00:00"],
        ["id", ">", 7],
    ]


def test_odd_names_match_literally_on_the_server(side: Side) -> None:
    ids = side.call("res.partner", "create", vals_list=[{"name": n} for n in ODD_NAMES])
    by_name = dict(zip(ODD_NAMES, ids, strict=True))
    mine = is_in("id", ids)
    for name in ODD_NAMES:
        exact = side.call("res.partner", "search", domain=all_of(mine, equals("name", name)))
        assert exact == [by_name[name]], name
        found = side.call("res.partner", "search", domain=all_of(mine, contains("name", name)))
        assert found == [by_name[name]], name
    assert side.call("res.partner", "search", domain=all_of(mine, contains("name", "o'brien"))) == [
        by_name[ODD_NAMES[0]]
    ]
    assert side.call("res.partner", "search_count", domain=all_of(mine, contains("name", "%"))) == 1


def test_keyset_paging_sees_every_record_once_when_many_share_a_stamp(side: Side, clock: Clock) -> None:
    start = datetime(2026, 1, 5, 9, 59, 59, tzinfo=UTC)
    first = side.call("res.partner", "create", vals_list=[{"name": f"A{n}", "ref": "page"} for n in range(7)])
    clock.tick(1)
    second = side.call(
        "res.partner", "create", vals_list=[{"name": f"B{n}", "ref": "page"} for n in range(5)]
    )
    seen: list[int] = []
    stamp, last_id = start, 0
    while True:
        page = side.call(
            "res.partner",
            "search_read",
            domain=all_of(equals("ref", "page"), after_cursor(stamp, last_id)),
            fields=["write_date"],
            order="write_date asc, id asc",
            limit=3,
            context={"active_test": False},
        )
        if not page:
            break
        seen += [r["id"] for r in page]
        stamp = datetime.strptime(page[-1]["write_date"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        last_id = page[-1]["id"]
    assert seen == sorted(first) + sorted(second)

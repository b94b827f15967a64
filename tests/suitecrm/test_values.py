"""Wire values: exact parsers and formatters, and proof on the real SuiteCRM that every value the
formatters refuse is one SuiteCRM would store differently, while the accepted ones round-trip."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from connectors.suitecrm import Filter, SuiteCrmClient
from connectors.suitecrm.values import (
    format_bool,
    format_date,
    format_datetime,
    format_decimal,
    format_text,
    like_literal,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_text,
    truncate,
    unescape,
)

# ---------------------------------------------------------------- parsers and formatters alone


def test_decimals_are_exact_and_never_floats() -> None:
    assert parse_decimal("12.500000") == Decimal("12.5")
    assert parse_decimal("-0.000001") == Decimal("-0.000001")
    assert parse_decimal("") is None
    with pytest.raises(ValueError):
        parse_decimal("12,5")
    with pytest.raises(ValueError):
        parse_decimal("NaN")
    assert format_decimal(Decimal("12.50")) == "12.5"
    assert format_decimal(Decimal("1E+3")) == "1000"
    assert format_decimal(7) == "7"
    assert format_decimal(None) == ""
    for bad in (1.5, True, "12.5"):
        with pytest.raises(ValueError, match="expected a Decimal"):
            format_decimal(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="keeps 2"):
        format_decimal(Decimal("0.125"), scale=2)


def test_booleans_are_zero_and_one_only() -> None:
    assert (parse_bool("1"), parse_bool("0"), parse_bool("")) == (True, False, None)
    with pytest.raises(ValueError):
        parse_bool("true")
    assert (format_bool(True), format_bool(False), format_bool(None)) == ("1", "0", "")
    with pytest.raises(ValueError):
        format_bool(1)  # type: ignore[arg-type]


def test_dates_and_datetimes() -> None:
    assert parse_date("2026-12-31") == date(2026, 12, 31)
    assert parse_date("") is None
    for bad in ("2026-W01-1", "31/12/2026", "2026-02-30"):
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            parse_date(bad)
    assert format_date(date(2026, 1, 2)) == "2026-01-02"
    with pytest.raises(ValueError):
        format_date(datetime(2026, 1, 2, tzinfo=UTC))
    assert parse_datetime("2026-11-30T13:49:00+00:00") == datetime(2026, 11, 30, 13, 49, tzinfo=UTC)
    assert parse_datetime("2026-11-30T14:49:00+01:00") == datetime(2026, 11, 30, 13, 49, tzinfo=UTC)
    with pytest.raises(ValueError, match="UTC offset"):
        parse_datetime("2026-11-30T13:49:00")
    plus2 = timezone(timedelta(hours=2))
    assert format_datetime(datetime(2026, 11, 30, 15, 4, 5, tzinfo=plus2)) == "2026-11-30 13:04:05"
    with pytest.raises(ValueError, match="no time zone"):
        format_datetime(datetime(2026, 11, 30))
    with pytest.raises(ValueError, match="fractions"):
        format_datetime(datetime(2026, 11, 30, microsecond=5, tzinfo=UTC))
    moment = datetime(2026, 11, 30, 13, 49, 59, tzinfo=UTC)
    assert truncate(moment, timedelta(minutes=1)) == datetime(2026, 11, 30, 13, 49, tzinfo=UTC)
    assert truncate(moment, timedelta(seconds=1)) == moment


def test_text_decoding_undoes_exactly_the_apis_encoding() -> None:
    assert unescape("&quot;a&quot; &lt;b&gt; &#039;c&#039; & AT&T &amp;") == "\"a\" <b> 'c' & AT&T &amp;"
    assert parse_text("") is None
    assert like_literal("50%_off\\") == "50\\%\\_off\\\\"


# ---------------------------------------------------------------- against the real server

KEPT = [
    'Say "hi"',
    "O'Brien & Söhne",
    "back\\slash \\' \\\"",
    "東京都渋谷区",
    "שלום עולם",
    "مرحبا",
    "emoji 😀",
    "a > b, <3, x<",
    "AT&T R&D; &copy without semicolon",
    "%_ wild cards",
    "non\u00a0breaking",
]
"""Text SuiteCRM stores exactly (varchar: no surrounding white space)."""

CHANGED = {
    " padded": "starts or ends with white space",
    "tab\t": "starts or ends with white space",
    "nul\x00char": "control character",
    "<br>": "tag",
    "<B>bold</B>": "tag",
    "<p>open": "tag",
    '<b onclick="x">y</b>': "tag",
    "<!-- note -->text": "tag",
    "a<b": "tag",
    "mail <a@b.c>": "tag",
    "&amp;": "HTML entity",
    "caf&eacute;": "HTML entity",
    "&#39;": "HTML entity",
}
"""Text SuiteCRM would store differently, and why. (Markup is refused as a whole: the sanitizer keeps
some well-formed tags, such as ``<b>bold</b>``, but rewrites, closes or drops the rest.)"""


def test_text_the_formatter_accepts_round_trips_exactly(client: SuiteCrmClient) -> None:
    for text in KEPT:
        made = client.create(
            "Accounts", {"name": format_text(text), "description": format_text(text, kind="text")}
        )
        read = client.get("Accounts", made.id, fields=["name", "description"]).attributes
        assert (read["name"], read["description"]) == (text, text)


def test_text_the_formatter_refuses_is_text_suitecrm_changes(client: SuiteCrmClient) -> None:
    for text, reason in CHANGED.items():
        with pytest.raises(ValueError, match=reason):
            format_text(text)
        made = client.create("Accounts", {"name": text})  # sent anyway, bypassing the formatter
        assert client.get("Accounts", made.id, fields=["name"]).attributes["name"] != text


def test_long_text_is_refused_because_suitecrm_cuts_it(client: SuiteCrmClient) -> None:
    length = int(client.field_definitions("Accounts")["name"]["len"])
    with pytest.raises(ValueError, match=f"holds {length}"):
        format_text("x" * (length + 1), max_length=length)
    made = client.create("Accounts", {"name": "x" * (length + 1)})
    assert client.get("Accounts", made.id, fields=["name"]).attributes["name"] == "x" * length
    assert format_text("y" * length, max_length=length) == "y" * length


def test_numbers_the_formatter_accepts_round_trip_and_the_refused_ones_change(client: SuiteCrmClient) -> None:
    for value in (
        Decimal("12345678.123456"),
        Decimal("99999999999999"),
        Decimal("0.000001"),
        Decimal("-5.5"),
    ):
        made = client.create("AOS_Products", {"name": "n", "price": format_decimal(value)})
        assert (
            parse_decimal(client.get("AOS_Products", made.id, fields=["price"]).attributes["price"]) == value
        )
    for value in (Decimal("1234567890.12345"), Decimal("1.0000005")):
        with pytest.raises(ValueError):
            format_decimal(value)
        made = client.create("AOS_Products", {"name": "n", "price": str(value)})
        assert (
            parse_decimal(client.get("AOS_Products", made.id, fields=["price"]).attributes["price"]) != value
        )


def test_booleans_are_sent_as_0_and_1_because_other_text_may_become_false(client: SuiteCrmClient) -> None:
    def opt_out(value: str) -> str:
        made = client.create("Accounts", {"name": "b", "email1": "b@example.com", "email_opt_out": value})
        return str(client.get("Accounts", made.id, fields=["email_opt_out"]).attributes["email_opt_out"])

    assert parse_bool(opt_out(format_bool(True))) is True
    assert opt_out("true") == "0"  # what format_bool refuses to send (a database column would take it as 1)


def test_dates_round_trip_and_a_malformed_one_is_silently_another_date(client: SuiteCrmClient) -> None:
    made = client.create("AOS_Quotes", {"name": "d", "expiration": format_date(date(2026, 12, 31))})
    assert parse_date(
        client.get("AOS_Quotes", made.id, fields=["expiration"]).attributes["expiration"]
    ) == date(2026, 12, 31)
    client.update("AOS_Quotes", made.id, {"expiration": "31/12/2026"})
    assert client.get("AOS_Quotes", made.id, fields=["expiration"]).attributes["expiration"] != "2026-12-31"


def test_empty_clears_a_field(client: SuiteCrmClient) -> None:
    made = client.create("AOS_Products", {"name": "e", "price": "1", "cost": "2.5", "part_number": "P-1"})
    client.update("AOS_Products", made.id, {"cost": format_decimal(None), "part_number": format_text(None)})
    read = client.get("AOS_Products", made.id, fields=["cost", "part_number"]).attributes
    assert parse_decimal(read["cost"]) is None and parse_text(read["part_number"]) is None


def test_filters_find_text_with_quotes_backslashes_and_any_script(client: SuiteCrmClient) -> None:
    ids = {text: client.create("Accounts", {"name": text}).id for text in KEPT}
    for text, record_id in ids.items():
        page = client.page("Accounts", fields=["name"], filters=[Filter("name", "eq", text)])
        assert [r.id for r in page.records] == [record_id], text


def test_like_filters_match_wildcards_literally_when_escaped(client: SuiteCrmClient) -> None:
    literal = client.create("Accounts", {"name": "50%_off\\deal"}).id
    client.create("Accounts", {"name": "50 percent off deal"})
    client.create("Accounts", {"name": "50%Xoff\\deal"})
    page = client.page("Accounts", filters=[Filter("name", "like", like_literal("50%_off\\deal"))])
    assert [r.id for r in page.records] == [literal]
    loose = client.page("Accounts", filters=[Filter("name", "like", "50%off%")])
    assert len(loose.records) == 3


def test_filter_values_with_html_entities_are_refused_because_suitecrm_decodes_them(
    client: SuiteCrmClient,
) -> None:
    client.create("Accounts", {"name": "A & B"})
    with pytest.raises(ValueError, match="decodes"):
        Filter("name", "eq", "A &amp; B").param()
    # Sent anyway, SuiteCRM decodes it and finds "A & B": the entity never reaches the comparison.
    reply = client.call(
        "GET", "module/Accounts", params=[("filter[name][eq]", "A &amp; B"), ("page[number]", "1")]
    )
    assert [d["attributes"]["name"] for d in reply["data"]] == ["A & B"]

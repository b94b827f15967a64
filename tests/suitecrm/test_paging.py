"""Paging, id scans and the minute-precision change feed on the real SuiteCRM."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from connectors.suitecrm import Filter, Record, SuiteCrmClient
from connectors.suitecrm.changes import changed_since, window_of
from connectors.suitecrm.values import MINUTE, SECOND, format_datetime
from synchub_dev.peers.suitecrm import SuiteCrmInstance

T0 = datetime(2026, 1, 5, 10, 20, tzinfo=UTC)


def _cases(client: SuiteCrmClient, stamps: list[datetime], prefix: str) -> list[str]:
    """Cases whose date_modified is set to the given moments (V8 lets a client set it)."""
    return [
        client.create("Cases", {"name": f"{prefix} {n}", "date_modified": format_datetime(stamp)}).id
        for n, stamp in enumerate(stamps)
    ]


def test_pages_are_read_by_number_to_the_end(client: SuiteCrmClient) -> None:
    names = [f"acct {n:02d}" for n in range(25)]
    for name in names:
        client.create("Accounts", {"name": name})
    seen: list[str] = []
    for number in itertools.count(1):
        page = client.page("Accounts", fields=["name"], sort="name", page_number=number, page_size=10)
        seen += [r.attributes["name"] for r in page.records]
        if page.is_last:
            break
    assert number == 3 and seen == names
    past = client.page("Accounts", fields=["name"], sort="name", page_number=4, page_size=10)
    assert past.records == [] and past.total_pages is None and past.is_last


def test_scan_by_id_survives_deletes_that_make_offset_paging_skip(client: SuiteCrmClient) -> None:
    ids = sorted(client.create("Accounts", {"name": f"s{n}"}).id for n in range(21))

    first = client.page("Accounts", fields=["id"], sort="id", page_size=7, page_number=1)
    client.delete("Accounts", first.records[0].id)
    second = client.page("Accounts", fields=["id"], sort="id", page_size=7, page_number=2)
    assert second.records[0].id == ids[8]  # offset paging skipped ids[7]

    scanned: list[str] = []
    for record in client.scan("Accounts", page_size=7):
        scanned.append(record.id)
        if len(scanned) == 7:
            client.delete("Accounts", ids[1])  # an id already passed
    assert scanned == [i for i in ids if i != ids[0]]


def test_deletions_show_as_ids_missing_from_an_id_scan(client: SuiteCrmClient) -> None:
    ids = {client.create("AOS_Products", {"name": f"p{n}", "price": "1"}).id for n in range(12)}
    before = {r.id for r in client.scan("AOS_Products", page_size=5)}
    gone = sorted(ids)[3:5]
    for record_id in gone:
        client.delete("AOS_Products", record_id)
    after = {r.id for r in client.scan("AOS_Products", page_size=5)}
    assert before == ids and before - after == set(gone)


def test_the_api_shows_minutes_although_the_database_keeps_seconds(
    suitecrm: SuiteCrmInstance, client: SuiteCrmClient
) -> None:
    (case_id,) = _cases(client, [T0 + timedelta(seconds=37)], "precise")
    assert suitecrm.sql(f"SELECT date_modified FROM cases WHERE id='{case_id}'") == [["2026-01-05 10:20:37"]]
    assert client.get("Cases", case_id, fields=["date_modified"]).modified == T0
    assert client.datetime_precision() == MINUTE


def test_many_records_in_one_minute_are_each_read_once_in_order(client: SuiteCrmClient) -> None:
    busy = [T0 + timedelta(seconds=n % 60) for n in range(130)]  # 130 records in 10:20, more than 5 pages
    before = [T0 - timedelta(seconds=30 - n) for n in range(10)]
    after = [T0 + timedelta(minutes=1, seconds=n) for n in range(10)]
    ids = _cases(client, busy, "busy") + _cases(client, before, "before") + _cases(client, after, "after")

    records = list(changed_since(client, "Cases", None, fields=["name"], page_size=25))
    assert sorted(r.id for r in records) == sorted(ids)
    windows = [window_of(r, MINUTE) for r in records]
    assert windows == sorted(windows)
    assert windows.count(T0) == 130

    since = list(changed_since(client, "Cases", T0 + timedelta(seconds=45), page_size=25))
    assert sorted(r.id for r in since) == sorted(ids[:130] + ids[140:])  # the whole minute 10:20, again


def test_records_changed_or_deleted_during_a_busy_minute_are_not_lost(client: SuiteCrmClient) -> None:
    ids = _cases(client, [T0 + timedelta(seconds=n % 60) for n in range(80)], "busy")
    feed = changed_since(client, "Cases", T0, page_size=20)
    got: list[Record] = [next(feed) for _ in range(30)]  # the minute is being read in id order now
    pending = sorted(set(ids) - {r.id for r in got})
    moved, deleted = pending[-1], pending[-2]
    client.update("Cases", moved, {"name": "changed meanwhile"})
    client.delete("Cases", deleted)
    got += list(feed)

    once = [r.id for r in got if r.id != moved]
    assert sorted(once) == sorted(set(ids) - {moved, deleted}) and len(once) == len(set(once))
    latest = [r for r in got if r.id == moved]
    assert latest and latest[-1].modified is not None and latest[-1].modified > T0 + MINUTE


def test_seconds_precision_instance_reads_to_the_second(
    suitecrm_seconds: SuiteCrmInstance, make_client: Callable[..., SuiteCrmClient]
) -> None:
    client = make_client(suitecrm_seconds)
    assert client.datetime_precision() == SECOND
    same_second = T0 + timedelta(seconds=30)
    ids = _cases(client, [same_second] * 45, "tie") + _cases(client, [same_second + SECOND] * 5, "next")
    assert client.get("Cases", ids[0], fields=["date_modified"]).modified == same_second

    records = list(changed_since(client, "Cases", same_second, precision=SECOND, page_size=20))
    assert sorted(r.id for r in records) == sorted(ids)
    assert [window_of(r, SECOND) for r in records] == [same_second] * 45 + [same_second + SECOND] * 5
    later = list(changed_since(client, "Cases", same_second + SECOND, precision=SECOND, page_size=20))
    assert sorted(r.id for r in later) == sorted(ids[45:])


def test_filters_on_datetimes_compare_in_utc(client: SuiteCrmClient) -> None:
    ids = _cases(client, [T0, T0 + timedelta(hours=2)], "tz")
    paris = timezone(timedelta(hours=1))
    page = client.page(
        "Cases", filters=[Filter("date_modified", "gte", datetime(2026, 1, 5, 12, 0, tzinfo=paris))]
    )
    assert [r.id for r in page.records] == [ids[1]]  # 12:00+01:00 is 11:00 UTC

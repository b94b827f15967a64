"""What BottleCRM refuses is reported per record; what cannot work at all says so for the whole call."""

from __future__ import annotations

import pytest

from connectors.base import ConnectionSettings, PermanentError, StopRun, TransientError, WriteRequest
from connectors.bottlecrm import BottleCrmConnector
from synchub_dev.peers.bottlecrm import BottleCrmInstance
from synchub_dev.peers.process import free_port


def test_a_refused_record_is_reported_with_its_field_and_the_rest_of_the_batch_is_written(
    connector: BottleCrmConnector, unique: str
) -> None:
    taken = f"Ελληνική Εταιρεία {unique}"
    results = connector.write_batch(
        "customer",
        [
            WriteRequest("create", "c1", {"name": taken}),
            WriteRequest("create", "c2", {"name": taken}),  # BottleCRM: account names are unique
            WriteRequest("create", "c3", {"name": f"شركة الاختبار {unique}", "email": "not-an-email"}),
            WriteRequest("create", "c4", {"name": f"第四 {unique}"}),
        ],
    )
    assert [r.ok for r in results] == [True, False, False, True]
    assert [r.ref for r in results] == ["c1", "c2", "c3", "c4"]
    assert results[1].field == "name" and "already exists" in (results[1].error or "")
    assert results[2].field == "email" and "c3" in (results[2].error or "")
    assert not results[1].transient
    written = connector.read_by_ids("customer", [results[0].id or "", results[3].id or ""])
    assert sorted(r.data["name"] for r in written) == sorted([taken, f"第四 {unique}"])


def test_a_customer_whose_contact_is_refused_is_not_left_half_created(
    connector: BottleCrmConnector, unique: str
) -> None:
    email = f"dup-{unique}@example.com"
    ok, bad = connector.write_batch(
        "customer",
        [
            WriteRequest(
                "create",
                "a",
                {
                    "name": f"First {unique}",
                    "contacts": [{"first_name": "A", "last_name": "B", "email": email}],
                },
            ),
            WriteRequest(
                "create",
                "b",
                {
                    "name": f"Second {unique}",
                    "contacts": [{"first_name": "C", "last_name": "D", "email": email}],
                },
            ),
        ],
    )
    assert ok.ok and not bad.ok
    assert "email" in (bad.error or "")
    names = {r.data["name"] for page in connector.read_changes("customer", None) for r in page.records}
    assert f"Second {unique}" not in names  # rolled back, so the next run can create it whole


def test_a_wrong_token_is_a_permanent_error_naming_the_fix(crm: BottleCrmInstance) -> None:
    settings = ConnectionSettings.from_uri(f"bottlecrm://:bcrm_pat_wrong@127.0.0.1:{crm.port}/?scheme=http")
    with BottleCrmConnector(settings) as conn, pytest.raises(PermanentError, match="check the access token"):
        list(conn.read_changes("product", None))


def test_a_wrong_token_stops_a_write_instead_of_failing_every_record(crm: BottleCrmInstance) -> None:
    settings = ConnectionSettings.from_uri(f"bottlecrm://:bcrm_pat_wrong@127.0.0.1:{crm.port}/?scheme=http")
    requests = [WriteRequest("create", f"c{i}", {"name": f"Never {i}"}) for i in range(3)]
    with BottleCrmConnector(settings) as conn, pytest.raises(StopRun, match="check the access token"):
        conn.write_batch("customer", requests)


def test_an_unreachable_server_is_a_transient_error() -> None:
    settings = ConnectionSettings.from_uri(f"bottlecrm://:tok@127.0.0.1:{free_port()}/?scheme=http&timeout=2")
    with BottleCrmConnector(settings) as conn, pytest.raises(TransientError, match="not reachable"):
        list(conn.read_changes("customer", None))


def test_the_token_never_shows_in_repr() -> None:
    settings = ConnectionSettings.from_uri("bottlecrm://:bcrm_pat_secret@127.0.0.1:1/?scheme=http")
    conn = BottleCrmConnector(settings)
    assert "bcrm_pat_secret" not in repr(conn.client) + repr(settings)

"""The JSON-RPC client against a real server: login, re-login, wire types, literal domains."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from connectors.base import ConnectionSettings, PermanentError, StopRun, WriteRequest
from connectors.tryton.client import TrytonClient, decode, encode
from connectors.tryton.connector import TrytonConnector
from connectors.tryton.domains import changed_since, equals, literal_pattern
from synchub_dev.peers.tryton import TrytonInstance


def client_for(tryton: TrytonInstance, password: str | None = None) -> TrytonClient:
    return TrytonClient(tryton.url, tryton.database, tryton.user, password or tryton.password)


def test_wire_types_round_trip_decimal_and_datetime_with_microseconds() -> None:
    value = {"amount": Decimal("1234.5600"), "at": datetime(2026, 1, 31, 23, 59, 58, 123456)}
    import json

    assert decode(json.dumps(encode(value))) == value


def test_first_call_logs_in_and_the_session_context_carries_the_company(tryton: TrytonInstance) -> None:
    client = client_for(tryton)
    assert client.model("party.party", "search_count", []) >= 1
    assert client.logins == 1
    assert client.context.get("company")


def test_an_expired_session_is_replaced_by_a_new_login(tryton: TrytonInstance) -> None:
    client = client_for(tryton)
    client.login()
    client._post("common.db.logout", [], auth=True)  # the server forgets the session
    assert client.model("party.party", "search_count", []) >= 1
    assert client.logins == 2
    client._session = "corrupted"  # a session the server never issued
    assert client.model("party.party", "search_count", []) >= 1
    assert client.logins == 3


def test_a_wrong_password_is_a_permanent_error_without_the_password(tryton: TrytonInstance) -> None:
    client = client_for(tryton, password="not-the-Secret-42")
    with pytest.raises(PermanentError) as caught:
        client.login()
    assert "refused the login of 'admin'" in str(caught.value)
    assert "not-the-Secret-42" not in str(caught.value) + repr(client)


def test_a_refused_login_stops_a_write_instead_of_failing_every_record(tryton: TrytonInstance) -> None:
    uri = tryton.uri.replace(f":{tryton.password}@", ":not-the-Secret-42@")
    erp = TrytonConnector(ConnectionSettings.from_uri(uri))
    with pytest.raises(StopRun, match="refused the login"):
        erp.write_batch(
            "customer", [WriteRequest("create", f"c{i}", {"name": f"Never {i}"}) for i in range(3)]
        )


def test_decimals_and_microsecond_timestamps_survive_the_server(erp: TrytonConnector) -> None:
    (result,) = erp.write_batch(
        "customer",
        [_create("c1", {"name": "Exact", "credit_limit_amount": Decimal("12345.67")})],
    )
    (record,) = erp.read_by_ids("customer", [result.id])
    assert record.data["credit_limit_amount"] == Decimal("12345.67")
    assert record.modified is not None and record.modified.microsecond != 0
    # the timestamp as read finds the record again with an exact comparison
    found = erp.client.model(
        "party.party", "search", [equals("last_modified_at", record.modified)], 0, None, None
    )
    assert int(result.id) in found


NASTY = ['O\'Brien % 100_ "x"', "株式会社テスト", "O'Brien", "O'Brien % 1000"]


def test_domains_match_quotes_percent_and_cjk_literally(erp: TrytonConnector) -> None:
    results = erp.write_batch("customer", [_create(f"n{i}", {"name": n}) for i, n in enumerate(NASTY)])
    ids = {NASTY[i]: int(r.id) for i, r in enumerate(results)}
    for name in NASTY[:2]:
        assert erp.client.model("party.party", "search", [equals("name", name)], 0, None, None) == [ids[name]]
        like = erp.client.model(
            "party.party", "search", [["name", "ilike", literal_pattern(name)]], 0, None, None
        )
        assert like == [ids[name]]


def test_change_domain_is_a_keyset_over_timestamp_and_id() -> None:
    moment = datetime(2026, 1, 1, 12, 0, 0, 5)
    assert changed_since(moment, None) == ["last_modified_at", ">=", moment]
    assert changed_since(moment, 7) == [
        "OR",
        ["last_modified_at", ">", moment],
        ["AND", ["last_modified_at", "=", moment], ["id", ">=", 7]],
    ]


def _create(ref: str, data: dict) -> WriteRequest:
    return WriteRequest(op="create", ref=ref, data=data)

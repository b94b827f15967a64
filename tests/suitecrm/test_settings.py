"""Connection settings: what the connector needs, with errors that say how to write the connection."""

from __future__ import annotations

import pytest

from connectors.base import ConnectionSettings, PermanentError
from connectors.suitecrm import SuiteCrmSettings

CLIENT = {"client_id": "cid", "client_secret": "csecret"}


def test_password_grant_from_an_airflow_uri() -> None:
    conn = ConnectionSettings.from_uri(
        "suitecrm://api%40corp:p%40ss@crm.example.com:8443/suite/?client_id=cid&client_secret=csecret"
    )
    s = SuiteCrmSettings.parse(conn)
    assert s.grant == "password" and (s.username, s.password) == ("api@corp", "p@ss")
    assert s.base_url == "https://crm.example.com:8443/suite"
    assert s.token_url == "https://crm.example.com:8443/suite/Api/access_token"
    assert s.api_url == "https://crm.example.com:8443/suite/Api/V8"
    assert "p@ss" not in repr(s) and "csecret" not in repr(s)
    assert set(s.secrets()) == {"p@ss", "csecret"}


def test_client_credentials_without_a_user() -> None:
    conn = ConnectionSettings("suitecrm", host="crm", extra={**CLIENT, "scheme": "http", "timeout": "5"})
    s = SuiteCrmSettings.parse(conn)
    assert (s.grant, s.username, s.password, s.base_url, s.timeout) == (
        "client_credentials",
        None,
        None,
        "http://crm",
        5.0,
    )


@pytest.mark.parametrize(
    ("conn", "message"),
    [
        (ConnectionSettings("suitecrm", extra=CLIENT), "no host"),
        (ConnectionSettings("suitecrm", host="crm", login="u", password="p"), "client_id and client_secret"),
        (ConnectionSettings("suitecrm", host="crm", login="u", extra=CLIENT), "login and password"),
        (
            ConnectionSettings("suitecrm", host="crm", extra={**CLIENT, "grant_type": "password"}),
            "login and password",
        ),
        (
            ConnectionSettings("suitecrm", host="crm", extra={**CLIENT, "grant_type": "implicit"}),
            "grant_type",
        ),
        (ConnectionSettings("suitecrm", host="crm", extra={**CLIENT, "scheme": "ftp"}), "scheme"),
        (ConnectionSettings("suitecrm", host="crm", extra={**CLIENT, "timeout": "soon"}), "timeout"),
    ],
)
def test_incomplete_connections_say_what_to_add(conn: ConnectionSettings, message: str) -> None:
    with pytest.raises(PermanentError, match=message):
        SuiteCrmSettings.parse(conn)

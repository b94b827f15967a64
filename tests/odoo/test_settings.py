"""Odoo connection settings from a connection URI: what is required, what is defaulted, what is hidden."""

from __future__ import annotations

import pytest

from connectors.base import ConnectionSettings, PermanentError
from connectors.odoo import OdooSettings


def _settings(uri: str, **options: object) -> OdooSettings:
    return OdooSettings.from_connection(ConnectionSettings.from_uri(uri), options)


def test_a_full_uri() -> None:
    s = _settings("odoo://synchub:k3y%2Fx@erp.example.com:8443/prod?scheme=https&transport=json2&timeout=12")
    assert (s.base_url, s.database, s.login, s.secret) == (
        "https://erp.example.com:8443",
        "prod",
        "synchub",
        "k3y/x",
    )
    assert (s.transport, s.timeout, s.verify) == ("json2", 12.0, True)


def test_defaults_https_and_auto() -> None:
    s = _settings("odoo://:key@erp.example.com")
    assert (s.base_url, s.transport, s.database, s.login) == ("https://erp.example.com", "auto", None, None)


def test_options_override_the_connection_extra() -> None:
    s = _settings("odoo://bot:pw@h/db?transport=auto&verify=false", transport="xmlrpc")
    assert (s.transport, s.verify) == ("xmlrpc", False)


@pytest.mark.parametrize(
    "uri, message",
    [
        ("odoo:///db", "no host"),
        ("odoo://bot@h/db", "no password"),
        ("odoo://bot:pw@h/db?transport=soap", "transport must be"),
        ("odoo://:pw@h?transport=xmlrpc", "login and the database"),
    ],
)
def test_what_is_missing_is_named(uri: str, message: str) -> None:
    with pytest.raises(PermanentError, match=message):
        _settings(uri)


def test_the_secret_is_not_in_repr() -> None:
    s = _settings("odoo://bot:sup3r-s3cret@h/db")
    assert "sup3r-s3cret" not in repr(s)

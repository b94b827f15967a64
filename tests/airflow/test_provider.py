"""SyncHub as an Airflow provider: connection types with their form fields, the hooks, the Test button.

The Test button is pressed the way the Airflow UI presses it: ``POST /api/v2/connections/test`` on
Airflow's own api-server app (in process, the real simple auth manager and metadata database),
against a real Tryton, BottleCRM and SuiteCRM, and against the strict SAP, Odoo and Salesforce
emulators on local ports.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from connectors.base import available_connectors
from sync_engine.airflow.hooks import SuiteCrmHook, SyncHubHook
from sync_engine.airflow.provider import CONNECTION_TYPES
from synchub_dev.peers.bottlecrm import BottleCrmInstance
from synchub_dev.peers.suitecrm import SuiteCrmInstance
from synchub_dev.peers.tryton import TrytonInstance
from tests.bottlecrm.helpers import peer_or_skip as bottlecrm_or_skip
from tests.tryton.helpers import peer_or_skip as tryton_or_skip

EVERY_CONNECTOR = {"tryton", "bottlecrm", "suitecrm", "salesforce", "sap_s4hana", "odoo"}


def test_every_connector_has_a_connection_type_with_its_form_fields() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert "synchub" in manager.providers
    assert set(CONNECTION_TYPES) == EVERY_CONNECTOR >= set(available_connectors()) - {"memory"}
    for conn_type in EVERY_CONNECTOR:
        hook = manager.hooks[conn_type]
        assert hook is not None and hook.hook_class_name.startswith("sync_engine.airflow.hooks.")
        assert hook.connection_type == conn_type and "(SyncHub)" in hook.hook_name
        assert conn_type in manager.field_behaviours
        fields = {k for k in manager.connection_form_widgets if k.startswith(f"extra__{conn_type}__")}
        assert fields == {f"extra__{conn_type}__{f}" for f in CONNECTION_TYPES[conn_type][3]}
    assert manager.field_behaviours["tryton"]["relabeling"]["schema"] == "Database"
    assert manager.field_behaviours["bottlecrm"]["relabeling"]["password"] == "Personal access token"
    assert manager.field_behaviours["bottlecrm"]["hidden_fields"] == ["login", "schema"]
    assert manager.connection_form_widgets["extra__suitecrm__client_secret"].is_sensitive


@pytest.fixture(scope="module")
def tryton(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrytonInstance]:
    instance = tryton_or_skip().start(tmp_path_factory.mktemp("tryton"))
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BottleCrmInstance]:
    with bottlecrm_or_skip().start(tmp_path_factory.mktemp("bottlecrm")) as instance:
        yield instance


@pytest.fixture
def press_test(airflow_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``press_test(fields)``: the Test button of the Add Connection form, answered by Airflow."""
    from airflow.api_fastapi.app import create_app, create_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from fastapi.testclient import TestClient

    monkeypatch.setenv("AIRFLOW__CORE__TEST_CONNECTION", "Enabled")  # as airflow.cfg.example sets it
    manager = create_auth_manager()
    manager.init()
    token = manager.generate_jwt(SimpleAuthManagerUser(username="admin", role="ADMIN"))
    with TestClient(create_app("core"), base_url="http://127.0.0.1") as client:

        def press(fields: dict[str, Any]) -> dict[str, Any]:
            answer = client.post(
                "/api/v2/connections/test",
                json={"connection_id": "synchub_test", **fields},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        yield press


def _tryton_fields(tryton: TrytonInstance, password: str) -> dict[str, Any]:
    url = urlsplit(tryton.url)
    return {
        "conn_type": "tryton",
        "host": url.hostname,
        "port": url.port,
        "login": tryton.user,
        "password": password,
        "schema": tryton.database,
        "extra": '{"scheme": "http"}',
    }


def _crm_fields(crm: BottleCrmInstance, token: str) -> dict[str, Any]:
    # the form's own field name for the scheme, as the UI stores it
    return {
        "conn_type": "bottlecrm",
        "host": "127.0.0.1",
        "port": crm.port,
        "password": token,
        "extra": '{"extra__bottlecrm__scheme": "http"}',
    }


@pytest.mark.slow
def test_the_test_button_reaches_the_real_tryton(press_test: Any, tryton: TrytonInstance) -> None:
    answer = press_test(_tryton_fields(tryton, tryton.password))
    assert answer["status"] is True, answer
    assert answer["message"].startswith("Connected to tryton at 127.0.0.1: read ")
    assert "customer record(s)" in answer["message"]


@pytest.mark.slow
def test_the_test_button_says_why_tryton_refused_without_the_password(
    press_test: Any, tryton: TrytonInstance
) -> None:
    wrong = "Wr0ng-pass-" + tryton.password[:3]
    answer = press_test(_tryton_fields(tryton, wrong))
    assert answer["status"] is False
    assert "login" in answer["message"].lower() or "password" in answer["message"].lower(), answer
    assert wrong not in answer["message"]


@pytest.mark.slow
def test_the_test_button_reaches_the_real_bottlecrm(press_test: Any, crm: BottleCrmInstance) -> None:
    answer = press_test(_crm_fields(crm, crm.token))
    assert answer["status"] is True, answer
    assert answer["message"].startswith("Connected to bottlecrm at 127.0.0.1: read ")


@pytest.mark.slow
def test_the_test_button_says_bottlecrm_refused_a_bad_token(press_test: Any, crm: BottleCrmInstance) -> None:
    bad = "bcrm_pat_not-a-real-token-1234"
    answer = press_test(_crm_fields(crm, bad))
    assert answer["status"] is False and bad not in answer["message"]
    assert "BottleCRM" in answer["message"], answer


def _suitecrm_fields(suitecrm: SuiteCrmInstance, password: str) -> dict[str, Any]:
    return {
        "conn_type": "suitecrm",
        "host": "127.0.0.1",
        "port": suitecrm.port,
        "login": suitecrm.user,
        "password": password,
        "extra": json.dumps(
            {"scheme": "http", "client_id": suitecrm.client_id, "client_secret": suitecrm.client_secret}
        ),
    }


@pytest.mark.slow
def test_the_test_button_reaches_the_real_suitecrm(press_test: Any, suitecrm: SuiteCrmInstance) -> None:
    answer = press_test(_suitecrm_fields(suitecrm, suitecrm.password))
    assert answer["status"] is True, answer
    assert answer["message"].startswith("Connected to suitecrm at 127.0.0.1: read "), answer


@pytest.mark.slow
def test_the_test_button_says_suitecrm_refused_a_wrong_password_without_showing_it(
    press_test: Any, suitecrm: SuiteCrmInstance
) -> None:
    # SuiteCRM echoes a wrong password in its own error text; the answer must not.
    wrong = "Wr0ng-pass-" + suitecrm.password[:3]
    answer = press_test(_suitecrm_fields(suitecrm, wrong))
    assert answer["status"] is False, answer
    assert wrong not in answer["message"] and suitecrm.client_secret not in answer["message"]


def test_the_suitecrm_hook_finds_its_connector_through_the_entry_points(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "suitecrm" in available_connectors()
    monkeypatch.setenv("AIRFLOW_CONN_SUITE", "suitecrm://api:pw@127.0.0.1:9/?client_id=a&client_secret=b")
    status, message = SuiteCrmHook("suite").test_connection()
    assert status is False and "127.0.0.1" in message  # nothing listens there, but it was tried
    assert "pw" not in message.replace("password", "")


def test_the_generic_hook_opens_the_connector_of_the_connections_type(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_MEM", f"memory://erp?path={tmp_path / 'erp.json'}")
    hook = SyncHubHook("mem")
    with hook.get_conn() as connector:
        assert connector.name == "memory" and connector.settings.host == "erp"
    assert hook.test_connection() == (True, "Connected to memory at erp: read 0 customer record(s)")


# -- products that cannot run here: the Test button against their strict emulators, over sockets --


@pytest.fixture
def sap_server() -> Iterator[Any]:
    from tests.emulators.sap import SapEmulator
    from tests.sap.conftest import contracts_dir

    with SapEmulator(contracts_dir()) as emulator:
        yield emulator


def _sap_fields(sap: Any, password: str) -> dict[str, Any]:
    return {
        "conn_type": "sap_s4hana",
        "host": "127.0.0.1",
        "port": sap.port,
        "login": sap.user,
        "password": password,
        "extra": json.dumps({"scheme": "http", "sap_client": "100"}),
    }


def test_the_test_button_reaches_the_sap_emulator(press_test: Any, sap_server: Any) -> None:
    answer = press_test(_sap_fields(sap_server, sap_server.password))
    assert answer["status"] is True, answer
    assert answer["message"].startswith("Connected to sap_s4hana at 127.0.0.1: read "), answer


def test_the_test_button_says_sap_refused_a_wrong_password_without_showing_it(
    press_test: Any, sap_server: Any
) -> None:
    wrong = "Wr0ng-sap-password"
    answer = press_test(_sap_fields(sap_server, wrong))
    assert answer["status"] is False, answer
    assert "failed (HTTP 401); check the connection's user/password" in answer["message"], answer
    assert wrong not in answer["message"]


@pytest.fixture
def odoo_server() -> Iterator[Any]:
    from tests.emulators.odoo import OdooEmulator
    from tests.odoo.conftest import contract_note

    contract_note()
    emulator = OdooEmulator(version=19).start()
    yield emulator
    emulator.stop()


def _odoo_fields(odoo: Any, key: str) -> dict[str, Any]:
    return {
        "conn_type": "odoo",
        "host": "127.0.0.1",
        "port": odoo.port,
        "login": odoo.login,
        "password": key,
        "schema": odoo.database,
        "extra": json.dumps({"scheme": "http", "transport": "json2"}),
    }


def test_the_test_button_reaches_the_odoo_emulator(press_test: Any, odoo_server: Any) -> None:
    answer = press_test(_odoo_fields(odoo_server, odoo_server.add_api_key()))
    assert answer["status"] is True, answer
    assert answer["message"].startswith("Connected to odoo at 127.0.0.1: read "), answer


def test_the_test_button_says_odoo_refused_a_bad_api_key_without_showing_it(
    press_test: Any, odoo_server: Any
) -> None:
    bad = "0123456789abcdef0123456789abcdef01234567"
    answer = press_test(_odoo_fields(odoo_server, bad))
    assert answer["status"] is False, answer
    assert "the server refused the credentials" in answer["message"], answer
    assert bad not in answer["message"]


@pytest.fixture
def salesforce_org(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The emulated org on a local port. simple-salesforce always speaks https to the org's host; the
    connector's client is given a session whose route sends the same requests there over plain HTTP."""
    from connectors.salesforce.client import SalesforceClient
    from tests.emulators.salesforce import OrgShape, SalesforceEmulator
    from tests.emulators.salesforce.server import LocalRoute, http_session, serving
    from tests.salesforce.conftest import CLIENT_ID, CLIENT_SECRET, require_contract

    require_contract()
    emulator = SalesforceEmulator(OrgShape())
    emulator.clients[CLIENT_ID] = CLIENT_SECRET
    with serving(emulator) as url:
        opened = SalesforceClient.__init__

        def routed(self: Any, settings: Any, session: Any = None) -> None:
            opened(self, settings, session or http_session(LocalRoute(url)))

        monkeypatch.setattr(SalesforceClient, "__init__", routed)
        yield emulator, CLIENT_ID, CLIENT_SECRET


def _salesforce_fields(client_id: str, secret: str) -> dict[str, Any]:
    return {
        "conn_type": "salesforce",
        "host": "synchub-test.my.salesforce.com",
        "login": client_id,
        "password": secret,
        "extra": json.dumps({"currency": "EUR"}),
    }


def test_the_test_button_reaches_the_salesforce_emulator(press_test: Any, salesforce_org: Any) -> None:
    _, client_id, secret = salesforce_org
    answer = press_test(_salesforce_fields(client_id, secret))
    assert answer["status"] is True, answer
    assert answer["message"].startswith("Connected to salesforce at synchub-test.my.salesforce.com: read ")


def test_the_test_button_says_salesforce_refused_a_wrong_secret_without_showing_it(
    press_test: Any, salesforce_org: Any
) -> None:
    _, client_id, _ = salesforce_org
    wrong = "not-the-client-secret"
    answer = press_test(_salesforce_fields(client_id, wrong))
    assert answer["status"] is False, answer
    assert "invalid client credentials; check the connected app's client id" in answer["message"], answer
    assert wrong not in answer["message"]

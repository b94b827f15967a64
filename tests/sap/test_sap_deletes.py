"""A customer deleted in the CRM, through the engine: SAP forbids deleting business partners.

With ``deletes: archive`` (the default for customers) the partner is blocked; with ``propagate``
nothing is sent and the record waits as a dead letter saying what to configure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.base import ConnectionSettings
from connectors.memory import MemoryConnector, MemoryDatabase
from connectors.sap_s4hana import SapS4HanaConnector
from sync_engine.flows import run_flow
from tests.emulators.sap import SapEmulator
from tests.salesforce.e2e_helpers import FAST_RETRY, check_run, open_store, write_config
from tests.sap.conftest import connection_for, contracts_dir
from tests.sap.sap_data import BP, customer

CRM = "deleteshop"


@pytest.fixture
def sap() -> Iterator[SapEmulator]:
    MemoryDatabase.forget(CRM)
    with SapEmulator(contracts_dir()) as emulator:
        yield emulator
    MemoryDatabase.forget(CRM)


@pytest.mark.parametrize("deletes", ["archive", "propagate"])
def test_a_customer_deleted_in_the_crm_is_blocked_in_sap_or_waits_with_the_reason(
    tmp_path: Path, sap: SapEmulator, deletes: str
) -> None:
    flows = {
        "customers": {
            "entity": "customer",
            "erp": "sap",
            "crm": CRM,
            "direction": "both",
            "match_keys": [["name"]],
            "deletes": deletes,
        }
    }
    systems = {"sap": {"connector": "sap_s4hana"}, CRM: {"connector": "memory"}}
    config = write_config(tmp_path, systems, flows)
    store = open_store(config)
    partner = sap.seed(BP, "A_BusinessPartner", customer("Gelöscht GmbH"))["BusinessPartner"]
    with (
        SapS4HanaConnector(connection_for(sap), {}) as erp,
        MemoryConnector(ConnectionSettings(conn_type="memory", host=CRM), {}) as crm,
    ):

        def run() -> object:
            return run_flow(config, "customers", store, connectors={"erp": erp, "crm": crm}, retry=FAST_RETRY)

        check_run(run(), store)
        [copy] = MemoryDatabase.named(CRM).all("customer")
        MemoryDatabase.named(CRM).delete("customer", copy)
        report = run()
        if deletes == "archive":
            check_run(report, store)
            assert sap.get(BP, "A_BusinessPartner", partner)["BusinessPartnerIsBlocked"] is True
        else:
            [letter] = [d for d in store.list_dead_letters(flow="customers") if d.stage == "write"]
            assert "sap:deletable=false" in letter.reason and "deletes: archive" in letter.reason
            assert sap.get(BP, "A_BusinessPartner", partner)["BusinessPartnerIsBlocked"] is False
        assert [e for e in sap.exchanges if e.method == "DELETE"] == []
    store.close()

"""Initial sync of 1,000 customers Tryton -> SuiteCRM through the engine, beside a plain loop doing the
same SuiteCRM API calls (the floor).  Run: ``.venv/bin/python bench/suitecrm.py [--records N]``.

Both real servers run here: Tryton from ``.peers/`` (``SYNCHUB_PEERS_DIR``), SuiteCRM from the peer
scripts in ``../shared/peers/suitecrm`` with SyncHub's fields package. The engine runs the customers
flow (``mappings/suitecrm/customer.yaml``, one-way ERP -> CRM). Then SuiteCRM is reset and the floor
reads the same Tryton pages and, per party, maps it by hand and sends the calls the connector needs
for it: ``POST /V8/module`` of the account (client-chosen id), one per contact (``account_id`` set),
and the read of the account's contacts that hands the saved record back. No mapping engine, pairing,
store or concurrency: the least any correct sync must send.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
import yaml

from connectors.base import ConnectionSettings, WriteRequest
from connectors.suitecrm.custom_fields import build_package
from connectors.tryton import TrytonConnector
from sync_engine.config import load_config
from sync_engine.flows import run_flow
from sync_engine.store import Store
from synchub_dev.peers import suitecrm
from synchub_dev.peers.tryton import TrytonPeer

REPO = Path(__file__).resolve().parents[1]


def party(i: int) -> dict[str, Any]:
    return {
        "name": f"Bench Party {i:05d}",
        "credit_limit_amount": Decimal("1000.00"),
        "addresses": [{"street": f"Street {i}", "postal_code": "10115", "city": "Berlin", "country": "DE",
                       "invoice": True}],
        "contacts": [{"name": "Ann Lee", "email": f"ann{i}@example.com", "phone": "+49 30 1234"}],
    }  # fmt: skip


def by_hand(data: dict[str, Any]) -> tuple[dict[str, str], list[dict[str, str]]]:
    """A Tryton party as SuiteCRM account attributes and contacts, written out by hand."""
    account = {"name": data["name"]}
    if data.get("credit_limit_amount") is not None:
        account["synchub_credit_limit_c"] = format(Decimal(data["credit_limit_amount"]).normalize(), "f")
    for address in data.get("addresses") or []:
        if address.get("invoice"):
            account |= {
                "billing_address_street": address.get("street") or "",
                "billing_address_postalcode": address.get("postal_code") or "",
                "billing_address_city": address.get("city") or "",
                "billing_address_country": address.get("country") or "",
            }
    contacts = []
    for contact in data.get("contacts") or []:
        first, _, last = (contact.get("name") or "").partition(" ")
        contacts.append({"first_name": first, "last_name": last, "email1": contact.get("email") or "",
                         "phone_work": contact.get("phone") or ""})  # fmt: skip
    return account, contacts


def floor(erp: TrytonConnector, crm: suitecrm.SuiteCrmInstance) -> tuple[float, int]:
    """Seconds for the plain loop, and the accounts it made."""
    session = requests.Session()
    token = session.post(
        f"{crm.url}/Api/access_token",
        data={"grant_type": "password", "client_id": crm.client_id, "client_secret": crm.client_secret,
              "username": crm.user, "password": crm.password},
        timeout=60,
    ).json()["access_token"]  # fmt: skip
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/vnd.api+json"}
    api = f"{crm.url}/Api/V8"
    made = 0
    started = time.perf_counter()
    for page in erp.read_changes("customer", None, page_size=500):
        for record in page.records:
            account, contacts = by_hand(record.data)
            account_id = str(uuid.uuid4())
            body = {"data": {"type": "Accounts", "id": account_id, "attributes": account}}
            session.post(f"{api}/module", json=body, headers=headers, timeout=60).raise_for_status()
            for contact in contacts:
                body = {"data": {"type": "Contacts", "attributes": {**contact, "account_id": account_id}}}
                session.post(f"{api}/module", json=body, headers=headers, timeout=60).raise_for_status()
            url = f"{api}/module/Accounts/{account_id}/relationships/contacts"
            session.get(url, headers=headers, timeout=60).raise_for_status()
            made += 1
    seconds = time.perf_counter() - started
    session.close()
    return seconds, made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tryton = TrytonPeer(log=print).start(Path(tmp) / "tryton")
        crm = suitecrm.start()
        try:
            crm.install_package(build_package(Path(tmp) / "synchub-fields.zip"))
            erp = TrytonConnector(ConnectionSettings.from_uri(tryton.uri))
            for offset in range(0, args.records, 200):
                batch = [
                    WriteRequest("create", str(i), party(i))
                    for i in range(offset, min(offset + 200, args.records))
                ]
                assert all(r.ok for r in erp.write_batch("customer", batch))

            os.environ["SYNCHUB_CONN_TRYTON_BENCH"] = tryton.uri
            os.environ["SYNCHUB_CONN_SUITECRM_BENCH"] = crm.connection_uri()
            doc = {
                "version": 1,
                "state": {"url": f"sqlite:///{Path(tmp) / 'state.db'}"},
                "mappings_dir": str(REPO / "mappings"),
                "systems": {
                    "erp": {"connector": "tryton", "connection": "tryton_bench"},
                    "crm": {"connector": "suitecrm", "connection": "suitecrm_bench",
                            "options": {"currency": "EUR"}},
                },
                "flows": {
                    "customers": {"entity": "customer", "erp": "erp", "crm": "crm", "direction": "erp_to_crm",
                                  "match_keys": [["name"]], "page_size": 500, "batch_size": 50}
                },
            }  # fmt: skip
            path = Path(tmp) / "synchub.yaml"
            path.write_text(yaml.safe_dump(doc))
            config = load_config(path)
            store = Store(config.state.url)
            store.upgrade()
            report = run_flow(config, "customers", store)
            store.close()
            phases = dict(report.phase_seconds)
            # The "read" and "write" phases are mostly the servers' time (Tryton pages, SuiteCRM calls);
            # the engine's own work is the sum of its other phases.
            engine_s = sum(v for k, v in phases.items() if k not in ("read", "write"))
            created = report.sides["crm"].created
            print(f"customers sync Tryton -> SuiteCRM: {report.status}, {created} created, "
                  f"{report.dead_letters} dead letters in {report.duration_s:.2f} s "
                  f"({created / report.duration_s:,.1f} customers/s)")  # fmt: skip
            print("  phases: " + ", ".join(f"{k} {v:.2f}s" for k, v in sorted(phases.items())))
            share = engine_s / report.duration_s
            print(f"  engine share (its phases but read/write): {engine_s:.2f} s = {share:.0%}")

            crm.reset()
            floor_s, made = floor(erp, crm)
            erp.close()
            print(f"floor (plain loop, same SuiteCRM calls, one at a time): {made} accounts in "
                  f"{floor_s:.2f} s ({made / floor_s:,.1f} customers/s)")  # fmt: skip
            print(f"engine / floor: {report.duration_s / floor_s:.2f}x")
        finally:
            crm.stop()
            tryton.stop()


if __name__ == "__main__":
    main()

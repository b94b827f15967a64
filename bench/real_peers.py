"""Customers Tryton -> BottleCRM through the engine, beside the floor: a plain loop with the same calls.

Initial sync of N Tryton parties into an empty BottleCRM, then an incremental run with 10 changed on
each side. The floor reads the same records with the same connector calls (ERP changes since its
cursor, a full BottleCRM scan) and writes them with the same ``write_batch`` calls, with no mapping,
merge or state store. Two BottleCRMs (one per contestant) so each starts empty.
Run: ``.venv/bin/python bench/real_peers.py [--records 1000]`` (minutes: the peers' APIs are slow).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from connectors.base import ConnectionSettings, Connector, Cursor, WriteRequest
from connectors.bottlecrm import BottleCrmConnector
from connectors.tryton import TrytonConnector
from sync_engine.config import load_config
from sync_engine.flows import run_flow
from sync_engine.store import Store
from synchub_dev.peers.bottlecrm import BottleCrmPeer
from synchub_dev.peers.tryton import TrytonPeer

CHANGED = 10


def party(i: int) -> dict[str, Any]:
    return {
        "name": f"Bench Party {i:05d}",
        "addresses": [{"street": f"Street {i}", "postal_code": "10115", "city": "Berlin", "country": "DE",
                       "invoice": True}],
        "contacts": [{"name": "Ann Lee", "email": f"ann{i}@example.com", "phone": "+49 30 1234"}],
    }  # fmt: skip


def to_crm(data: dict[str, Any]) -> dict[str, Any]:
    """The floor's hand-written translation (what the mapping does, without the mapping layer)."""
    address = next(iter(data.get("addresses") or []), None)
    return {
        "name": data["name"],
        "currency": data.get("currency"),
        "is_active": data.get("active", True),
        "addresses": [{"address_line": address["street"], "postcode": address["postal_code"],
                       "city": address["city"], "country": address["country"]}] if address else [],
        "contacts": [{"first_name": c["name"].split(" ", 1)[0], "last_name": c["name"].split(" ", 1)[-1],
                      "email": c.get("email"), "phone": c.get("phone"), "title": c.get("comment")}
                     for c in data.get("contacts") or []],
    }  # fmt: skip


def write(conn: Connector, requests_: list[WriteRequest]) -> list[str]:
    ids = []
    for start in range(0, len(requests_), conn.capabilities.max_batch_size):
        for result in conn.write_batch(
            "customer", requests_[start : start + conn.capabilities.max_batch_size]
        ):
            assert result.ok, result.error
            ids.append(result.id or "")
    return ids


def read(conn: Connector, since: Cursor | None) -> tuple[dict[str, dict[str, Any]], Cursor | None]:
    records, cursor = {}, since
    for page in conn.read_changes("customer", since):
        records.update({r.id: r.data for r in page.records})
        cursor = page.cursor or cursor
    return records, cursor


class Floor:
    def __init__(self, erp: Connector, crm: Connector) -> None:
        self.erp, self.crm = erp, crm
        self.pairs: dict[str, str] = {}
        self.cursor: Cursor | None = None
        self.crm_seen: dict[str, Any] = {}

    def initial(self) -> None:
        erp_rows, self.cursor = read(self.erp, None)
        read(self.crm, None)
        ids = write(self.crm, [WriteRequest("create", i, to_crm(d)) for i, d in erp_rows.items()])
        self.pairs = dict(zip(erp_rows, ids, strict=True))
        self.crm_seen, _ = read(self.crm, None)  # what a floor must remember to spot CRM changes

    def incremental(self) -> None:
        erp_rows, self.cursor = read(self.erp, self.cursor)
        crm_rows, _ = read(self.crm, None)
        back = {crm_id: erp_id for erp_id, crm_id in self.pairs.items()}
        changed_crm = {i: d for i, d in crm_rows.items() if self.crm_seen.get(i) != d}
        write(self.crm, [WriteRequest("update", i, to_crm(d), self.pairs[i]) for i, d in erp_rows.items()])
        write(
            self.erp,
            [WriteRequest("update", i, {"name": d["name"]}, back[i]) for i, d in changed_crm.items()],
        )
        self.crm_seen = crm_rows


def engine_config(workdir: Path) -> Path:
    path = workdir / "synchub.yaml"
    flow = {"entity": "customer", "erp": "erp", "crm": "crm", "direction": "both", "match_keys": [["name"]],
            "batch_size": 50, "page_size": 200}  # fmt: skip
    path.write_text(yaml.safe_dump({
        "version": 1, "state": {"url": f"sqlite:///{workdir / 'state.db'}"},
        "systems": {"erp": {"connector": "tryton", "connection": "bench_erp"},
                    "crm": {"connector": "bottlecrm", "connection": "bench_crm"}},
        "flows": {"customers": flow},
    }))  # fmt: skip
    return path


def change_both_sides(erp: Connector, crm: Connector, erp_ids: list[str], tag: str) -> None:
    write(
        erp, [WriteRequest("update", i, {"name": f"Bench Party {i} ERP {tag}"}, i) for i in erp_ids[:CHANGED]]
    )
    crm_rows, _ = read(crm, None)
    mine = sorted(i for i, d in crm_rows.items() if d["name"].startswith("Bench Party 0"))[:CHANGED]
    write(crm, [WriteRequest("update", i, {"name": crm_rows[i]["name"] + " CRM"}, i) for i in mine])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args()
    n = args.records
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        tryton = TrytonPeer().start(root / "tryton")
        crms = [BottleCrmPeer().start(root / f"crm-{who}") for who in ("floor", "engine")]
        try:
            erp = TrytonConnector(ConnectionSettings.from_uri(tryton.uri), {})
            t0 = time.perf_counter()
            erp_ids = write(erp, [WriteRequest("create", str(i), party(i)) for i in range(n)])
            print(f"seed: {n} Tryton parties in {time.perf_counter() - t0:.1f}s")
            floor_crm = BottleCrmConnector(ConnectionSettings.from_uri(crms[0].connection_uri()), {})
            os.environ["SYNCHUB_CONN_BENCH_ERP"] = tryton.uri
            os.environ["SYNCHUB_CONN_BENCH_CRM"] = crms[1].connection_uri()
            config = load_config(engine_config(root))
            store = Store(config.state.url)
            store.upgrade()
            floor = Floor(erp, floor_crm)
            times: dict[str, tuple[float, float]] = {}
            t0 = time.perf_counter()
            floor.initial()
            f_init = time.perf_counter() - t0
            t0 = time.perf_counter()
            report = run_flow(config, "customers", store)
            e_init = time.perf_counter() - t0
            assert report.sides["crm"].created >= n, report.as_dict()
            times["initial"] = (f_init, e_init)
            # The same 10 + 10 changes for both contestants (each on its own CRM).
            change_both_sides(erp, floor_crm, erp_ids, "floor")
            t0 = time.perf_counter()
            floor.incremental()
            f_inc = time.perf_counter() - t0
            engine_crm = BottleCrmConnector(ConnectionSettings.from_uri(crms[1].connection_uri()), {})
            change_both_sides(erp, engine_crm, erp_ids, "engine")
            t0 = time.perf_counter()
            report = run_flow(config, "customers", store)
            e_inc = time.perf_counter() - t0
            times["incremental"] = (f_inc, e_inc)
            print(f"engine incremental: { ({r: (s.read, s.updated) for r, s in report.sides.items()}) }")
            for name, (f, e) in times.items():
                count = n if name == "initial" else 2 * CHANGED
                print(f"{name:12s} floor {f:7.1f}s ({count / f:6.1f} rec/s)   SyncHub {e:7.1f}s "
                      f"({count / e:6.1f} rec/s)   ratio {e / f:.2f}x (goal <= 1.2x)")  # fmt: skip
        finally:
            tryton.stop()
            for crm in crms:
                crm.stop()


if __name__ == "__main__":
    main()

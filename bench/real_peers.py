"""Customers Tryton -> BottleCRM, real servers: the engine writing one batch at a time, the engine with
write batches in flight at once, and the floor: a plain loop making the same API calls.

N parties are created in one Tryton; each contestant then copies them into a BottleCRM of its own,
started empty for it and stopped after. The floor reads what the engine reads (all Tryton parties,
a full BottleCRM scan), translates by hand, writes with the same ``write_batch`` calls (50 records a
call, 3 HTTP calls per customer) and reads each written batch back by id as the engine does; it runs
one call at a time and, as the floor of the concurrent run, on as many threads as the engine's limit.

Printed per contestant: wall time, records/s, the engine's own share (its phases but read, write and
settle, which are the connectors' I/O), then the end states compared (no duplicate name, N accounts,
the sequential and concurrent runs equal) and the target: concurrent wall time <= 0.5x sequential.
Run: ``.venv/bin/python bench/real_peers.py [--customers 1000 | --quick] [--concurrency 4]``
(minutes: each contestant makes ~4 HTTP calls per customer).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from connectors.base import ConnectionSettings, Connector, WriteRequest
from connectors.bottlecrm import BottleCrmConnector
from connectors.tryton import TrytonConnector
from sync_engine.config import load_config
from sync_engine.flows import run_flow
from sync_engine.store import Store
from synchub_dev.peers.bottlecrm import BottleCrmPeer
from synchub_dev.peers.tryton import TrytonPeer

REPO = Path(__file__).resolve().parents[1]
TARGET = 0.5  # concurrent wall time / sequential wall time, from issue 18
I_O_PHASES = ("read", "write", "settle")  # connector calls (settle reads every written record back)


def party(i: int) -> dict[str, Any]:
    return {
        "name": f"Bench Party {i:05d}",
        "addresses": [{"street": f"Street {i}", "postal_code": "10115", "city": "Berlin", "country": "DE",
                       "invoice": True}],
        "contacts": [{"name": "Ann Lee", "email": f"ann{i}@example.com", "phone": "+49 30 1234"}],
    }  # fmt: skip


def to_crm(data: dict[str, Any]) -> dict[str, Any]:
    """The floor's hand-written translation of a Tryton party (what the two mappings do together)."""
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


@dataclass
class Outcome:
    name: str
    wall_s: float
    engine_s: float | None = None
    phases: dict[str, float] = field(default_factory=dict)
    state: list[dict[str, Any]] = field(default_factory=list)


def read_all(conn: Connector) -> dict[str, dict[str, Any]]:
    return {r.id: r.data for page in conn.read_changes("customer", None, page_size=200) for r in page.records}


def floor(erp: Connector, crm: Connector, threads: int) -> None:
    """Read both sides, translate, write 50 a call and read each call's records back: no engine."""
    parties = read_all(erp)
    read_all(crm)  # the engine scans the CRM for records to match: so does the floor
    requests = [WriteRequest("create", pid, to_crm(data)) for pid, data in parties.items()]
    size = crm.capabilities_for("customer").max_batch_size
    chunks = [requests[i : i + size] for i in range(0, len(requests), size)]

    def one(chunk: list[WriteRequest]) -> None:
        results = crm.write_batch("customer", chunk)
        bad = [r for r in results if not r.ok]
        assert not bad, bad[0].error
        crm.read_by_ids("customer", [r.id or "" for r in results])

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, chunks))


def engine(
    workdir: Path, erp_uri: str, crm_uri: str, concurrency: int, n: int
) -> tuple[float, dict[str, float]]:
    """One initial run of the customers flow Tryton -> BottleCRM; wall time and phase seconds."""
    os.environ["SYNCHUB_CONN_BENCH_ERP"], os.environ["SYNCHUB_CONN_BENCH_CRM"] = erp_uri, crm_uri
    flow = {"entity": "customer", "erp": "erp", "crm": "crm", "direction": "erp_to_crm",
            "match_keys": [["name"]], "batch_size": 50, "page_size": 200}  # fmt: skip
    (workdir / "synchub.yaml").write_text(yaml.safe_dump({
        "version": 1, "state": {"url": f"sqlite:///{workdir / 'state.db'}"},
        "mappings_dir": str(REPO / "mappings"),
        "systems": {"erp": {"connector": "tryton", "connection": "bench_erp"},
                    "crm": {"connector": "bottlecrm", "connection": "bench_crm",
                            "max_concurrency": concurrency}},
        "flows": {"customers": flow},
    }))  # fmt: skip
    config = load_config(workdir / "synchub.yaml")
    store = Store(config.state.url)
    store.upgrade()
    try:
        t0 = time.perf_counter()
        report = run_flow(config, "customers", store)
        wall = time.perf_counter() - t0
        assert report.status == "success" and report.dead_letters == 0, report.as_dict()
        assert report.sides["crm"].created == n, report.as_dict()
        assert store.count_links("customers") == n
    finally:
        store.close()
    return wall, dict(report.phase_seconds)


def end_state(crm: Connector, n: int) -> list[dict[str, Any]]:
    """The CRM's accounts without its own ids, by name; fails on a duplicate or a missing account."""
    rows = list(read_all(crm).values())
    names = Counter(row["name"] for row in rows)
    duplicated = [name for name, k in names.items() if k > 1]
    assert not duplicated, f"duplicated accounts: {duplicated[:3]}"
    assert len(rows) == n, f"{len(rows)} accounts for {n} parties"
    return sorted(
        (
            {**row, "contacts": [{k: v for k, v in c.items() if k != "id"} for c in row["contacts"]]}
            for row in rows
        ),
        key=lambda row: row["name"],
    )


def contest(root: Path, name: str, n: int, run: Callable[[str, Connector], Outcome]) -> Outcome:
    """``run`` against a BottleCRM of its own (fresh, empty); its end state read after."""
    with (
        BottleCrmPeer().start(root / name) as crm,
        BottleCrmConnector(ConnectionSettings.from_uri(crm.connection_uri())) as conn,
    ):
        outcome = run(crm.connection_uri(), conn)
        outcome.state = end_state(conn, n)
    print(f"  {outcome.name}: {outcome.wall_s:.1f}s", flush=True)
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="200 customers")
    parser.add_argument("--concurrency", type=int, default=4, help="write batches in flight (default 4)")
    parser.add_argument("--no-floor", action="store_true", help="only the two engine runs (half the time)")
    args = parser.parse_args()
    seed = 200 if args.quick else args.customers
    c = args.concurrency
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        tryton = TrytonPeer().start(root / "tryton")
        try:
            with TrytonConnector(ConnectionSettings.from_uri(tryton.uri)) as erp:
                t0 = time.perf_counter()
                for i in range(0, seed, 200):
                    created = erp.write_batch(
                        "customer",
                        [WriteRequest("create", str(k), party(k)) for k in range(i, min(i + 200, seed))],
                    )
                    assert all(r.ok for r in created), next(r.error for r in created if not r.ok)
                seeded = time.perf_counter() - t0
                n = len(read_all(erp))  # the template's company is a party too: it is synced as well
                print(f"seed: {seed} parties in {seeded:.1f}s; {n} to sync; "
                      f"BottleCRM called {c} at a time at most by the concurrent contestants")  # fmt: skip

                def timed_floor(threads: int) -> Callable[[str, Connector], Outcome]:
                    def run(_uri: str, conn: Connector) -> Outcome:
                        t0 = time.perf_counter()
                        floor(erp, conn, threads)
                        return Outcome(f"floor, {threads} thread(s)", time.perf_counter() - t0)

                    return run

                def timed_engine(concurrency: int) -> Callable[[str, Connector], Outcome]:
                    def run(uri: str, _conn: Connector) -> Outcome:
                        workdir = root / f"state-{concurrency}"
                        workdir.mkdir()
                        wall, phases = engine(workdir, tryton.uri, uri, concurrency, n)
                        own = sum(v for k, v in phases.items() if k not in I_O_PHASES)
                        return Outcome(f"SyncHub, max_concurrency {concurrency}", wall, own, phases)

                    return run

                floor_1 = None if args.no_floor else contest(root, "floor-1", n, timed_floor(1))
                seq = contest(root, "engine-1", n, timed_engine(1))
                floor_c = None if args.no_floor else contest(root, f"floor-{c}", n, timed_floor(c))
                con = contest(root, f"engine-{c}", n, timed_engine(c))
        finally:
            tryton.stop()
    report(floor_1, seq, floor_c, con, n)


def report(floor_1: Outcome | None, seq: Outcome, floor_c: Outcome | None, con: Outcome, n: int) -> None:
    print(f"\n{n} customers Tryton -> BottleCRM (initial sync into an empty BottleCRM)")
    for o in (x for x in (floor_1, seq, floor_c, con) if x is not None):
        share = (
            f"engine {o.engine_s:6.2f}s ({o.engine_s / o.wall_s:4.1%})"
            if o.engine_s is not None
            else " " * 22
        )
        print(f"  {o.name:32s} {o.wall_s:7.1f}s  {n / o.wall_s:6.1f} rec/s  {share}")
    for o in (seq, con):
        print(f"  {o.name} phases: " + ", ".join(f"{k} {v:.2f}s" for k, v in sorted(o.phases.items())))
    same = seq.state == con.state
    print(f"  end states: {n} accounts each, no duplicate name; sequential == concurrent: {same}")
    if floor_1 is not None and floor_c is not None:
        print(f"  SyncHub / floor: sequential {seq.wall_s / floor_1.wall_s:.2f}x, "
              f"concurrent {con.wall_s / floor_c.wall_s:.2f}x; the floors' end states equal SyncHub's: "
              f"{floor_1.state == seq.state and floor_c.state == con.state}")  # fmt: skip
    ratio = con.wall_s / seq.wall_s
    met = ratio <= TARGET and same
    print(f"  {'MET' if met else 'NOT MET'}: concurrent writes {con.wall_s:.1f}s = {ratio:.2f}x the "
          f"sequential {seq.wall_s:.1f}s (target <= {TARGET}x, same end state, no duplicate)")  # fmt: skip


if __name__ == "__main__":
    main()

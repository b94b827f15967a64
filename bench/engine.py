"""End-to-end speed and memory of one flow run (issue 4 targets).

Run: .venv/bin/python bench/engine.py [--quick] [--cases initial,incremental,snapshot] [--crm-ids scattered]
     .venv/bin/python bench/engine.py --profile [records]   (cProfile of the initial sync)

Customers (15 fields, 2 addresses, 3 contacts) come from synthetic connectors that generate each
record from its index (bench/_synthetic.py), mapped by mappings/memory/customer.yaml; the state
store is a SQLite file in a temporary directory. Each case runs in its own process, which reports
its peak RSS (ru_maxrss) over the measured run only (the peak is reset after the setup runs). Cases:

- initial:     ERP holds N customers, the CRM none; one run of a one-way ERP -> CRM flow creates them.
               Its floor (bench/floor.py) runs twice, in a process of its own before the engine and in
               the engine's process after it; the ratio uses the mean of the two.
- incremental: two-way flow over N linked customers, cursor connectors; 1% changed on each side.
               Setup: the initial sync, then one quiet run (it reads the CRM's N fresh copies once,
               as the first run after an initial sync does), then the edits; only the run after is
               measured. "records" is the number of changes.
- snapshot:    two-way flow over N linked customers, connectors without change tracking, nothing
               changed; "records" counts records read on both sides (2 N).

Columns: µs per record of each engine phase (RunReport.phase_seconds / records); "other" is the
rest of the run: connectors (generating records, accepting writes), mapping to native for writes,
pairing and bookkeeping that no phase timer covers.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import floor
from _synthetic import SyntheticClock, SyntheticCustomers

from sync_engine.config import FlowConfig
from sync_engine.mapping import load_mapping
from sync_engine.report import PHASES, RunReport
from sync_engine.run import FlowRunner
from sync_engine.store import Store

ROOT = Path(__file__).resolve().parent.parent
CASES = ("initial", "incremental", "snapshot", "initial-pg")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HOUR = 3600.0
CRM_IDS_VARIABLE = "SYNCHUB_BENCH_CRM_IDS"  # --crm-ids, for the processes running the cases


# --- one case, inside its own process ------------------------------------------------------------


def _rss_mb(field: str) -> float:
    """VmRSS / VmHWM of this process in MB (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> bool:
    """Start the peak RSS afresh (Linux >= 4.0), so setup runs do not count; False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


@dataclass
class World:
    """Two synthetic systems, the state store and the flow between them."""

    clock: SyntheticClock
    erp: SyntheticCustomers
    crm: SyntheticCustomers
    store: Store
    spec: FlowConfig

    def run(self) -> tuple[RunReport, float]:
        mapping = load_mapping(ROOT / "mappings", "memory", "customer")
        runner = FlowRunner(
            self.spec, self.store, {"erp": self.erp, "crm": self.crm}, {"erp": mapping, "crm": mapping}
        )
        self.erp.spent = self.crm.spent = 0.0  # connector time of this run only
        started = time.perf_counter()
        report = runner.run()
        return report, time.perf_counter() - started


def _world(
    directory: str,
    records: int,
    *,
    tracking: str,
    direction: str,
    schema: str | None = None,
    scattered_crm_ids: bool | None = None,
) -> World:
    """``scattered_crm_ids``: the CRM gives ids in no order (as UUIDs); default: ``--crm-ids``."""
    if scattered_crm_ids is None:
        scattered_crm_ids = os.environ.get(CRM_IDS_VARIABLE) == "scattered"
    clock = SyntheticClock()
    erp = SyntheticCustomers.system(
        "erp", records=records, capacity=records, prefix="E", tracking=tracking, clock=clock
    )
    crm = SyntheticCustomers.system(
        "crm",
        records=0,
        capacity=records,
        prefix="K",
        tracking=tracking,
        clock=clock,
        scattered_ids=scattered_crm_ids,
    )
    store = Store(PG_URL, schema=schema) if schema else Store(f"sqlite:///{directory}/state.db")
    store.upgrade()
    spec = FlowConfig(
        name="customers",
        entity="customer",
        erp="erp",
        crm="crm",
        direction=direction,
        field_owners={"credit_limit": "erp", "payment_terms": "erp", "tax_id": "erp", "contacts": "crm"},
        match_keys=[["tax_id"], ["name"]],
    )
    return World(clock, erp, crm, store, spec)


def _expect(report: RunReport, what: str, **counts: int) -> None:
    """The run did what the case claims, or its figures would mean nothing."""
    got = {
        "erp_created": report.sides["erp"].created,
        "crm_created": report.sides["crm"].created,
        "erp_updated": report.sides["erp"].updated,
        "crm_updated": report.sides["crm"].updated,
        "dead_letters": report.dead_letters,
        "conflicts": report.conflicts,
        "deferred": report.deferred,
    }
    wrong = {k: (got[k], v) for k, v in counts.items() if got[k] != v}
    if wrong or report.status != "success":
        detail = ", ".join(f"{k} = {g:,} (expected {e:,})" for k, (g, e) in wrong.items())
        raise SystemExit(f"{what}: run {report.status} {detail}; the benchmark would measure the wrong thing")


def case_initial(directory: str, n: int) -> dict[str, Any]:
    world = _world(directory, n, tracking="cursor", direction="erp_to_crm")
    start_mb = _rss_mb("VmRSS")
    report, seconds = world.run()
    _expect(report, "initial sync", crm_created=n, erp_created=0, dead_letters=0, conflicts=0)
    result = _result(report, seconds, n, start_mb, world, peak_scope="whole process")
    # the floor, on systems and a state database of its own, in this same process
    result.update(case_floor_initial(directory, n))
    return result


def case_floor_initial(directory: str, n: int) -> dict[str, Any]:
    """The initial sync's floor alone: the parent also runs it before the engine's case (see
    ``run_initial``)."""
    Path(f"{directory}/floor").mkdir()
    twin = _world(f"{directory}/floor", n, tracking="cursor", direction="erp_to_crm")
    version = load_mapping(ROOT / "mappings", "memory", "customer").version
    seconds = floor.initial(twin.erp, twin.crm, f"{directory}/floor/state.db", version)
    return {"floor_s": seconds, "floor_connector_s": twin.erp.spent + twin.crm.spent}


def case_initial_pg(directory: str, n: int) -> dict[str, Any]:
    """The initial sync with the state store on the local PostgreSQL (a schema of its own)."""
    import secrets

    from sqlalchemy import create_engine, text

    schema = f"synchub_bench_{secrets.token_hex(4)}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        world = _world(directory, n, tracking="cursor", direction="erp_to_crm", schema=schema)
        start_mb = _rss_mb("VmRSS")
        report, seconds = world.run()
        _expect(report, "initial sync (PostgreSQL)", crm_created=n, dead_letters=0, conflicts=0)
        world.store.close()
        return _result(report, seconds, n, start_mb, world, peak_scope="whole process")
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def _edit(world: World, erp_indexes: range, crm_indexes: range) -> None:
    """Users at work: a credit limit raised in the ERP, a contact's phone changed in the CRM."""
    for i in erp_indexes:
        limit = world.erp.record(i)["finance"]["credit_limit"]
        world.erp.edit(i, {"finance": {"credit_limit": f"{int(float(limit)) + 1000}.00"}})
    for i in crm_indexes:
        people = world.crm.record(i)["people"]
        world.crm.edit(i, {"people": [{**people[0], "phone": f"+1 555 {i:07d}"}, *people[1:]]})


def case_incremental(directory: str, n: int) -> dict[str, Any]:
    world = _world(directory, n, tracking="cursor", direction="both")
    report, initial_s = world.run()
    _expect(report, "incremental setup (initial sync)", crm_created=n, dead_letters=0)
    # The initial sync wrote N records to the CRM within the cursor's overlap window, and the CRM has
    # no cursor yet: the next runs read them again until a change in the CRM moves its cursor on.
    world.clock.advance(HOUR)
    report, quiet_s = world.run()
    quiet_read = report.records_read
    _expect(report, "incremental setup (quiet run)", crm_created=0, crm_updated=0, erp_updated=0)
    world.clock.advance(HOUR)
    _edit(world, range(1, 2), range(2, 3))
    report, warm_s = world.run()
    warm_read = report.records_read
    _expect(report, "incremental setup (one change per side)", crm_updated=1, erp_updated=1, dead_letters=0)
    world.clock.advance(HOUR)
    # 1% per side, on different customers
    erp_edits, crm_edits = range(0, n, 100), range(50, n, 100)
    _edit(world, erp_edits, crm_edits)
    world.clock.advance(60)
    start_mb = _rss_mb("VmRSS")
    scope = "measured run" if _reset_peak() else "whole process"
    report, seconds = world.run()
    _expect(
        report,
        "incremental run",
        crm_updated=len(erp_edits),
        erp_updated=len(crm_edits),
        crm_created=0,
        erp_created=0,
        dead_letters=0,
        conflicts=0,
    )
    result = _result(report, seconds, len(erp_edits) + len(crm_edits), start_mb, world, peak_scope=scope)
    result.update(
        initial_s=initial_s, quiet_s=quiet_s, quiet_read=quiet_read, warm_s=warm_s, warm_read=warm_read
    )
    return result


def case_snapshot(directory: str, n: int) -> dict[str, Any]:
    world = _world(directory, n, tracking="none", direction="both")
    report, initial_s = world.run()
    _expect(report, "snapshot setup (initial sync)", crm_created=n, dead_letters=0)
    world.clock.advance(HOUR)
    # The first quiet run maps every record once more (the CRM's copies are new to it) and remembers
    # each as seen; the runs after it are the steady state measured here.
    report, first_quiet_s = world.run()
    _expect(report, "snapshot setup (first quiet run)", crm_created=0, crm_updated=0, erp_updated=0)
    world.clock.advance(HOUR)
    start_mb = _rss_mb("VmRSS")
    scope = "measured run" if _reset_peak() else "whole process"
    report, seconds = world.run()
    _expect(
        report, "snapshot run", crm_created=0, crm_updated=0, erp_created=0, erp_updated=0, dead_letters=0
    )
    result = _result(report, seconds, report.records_read, start_mb, world, peak_scope=scope)
    result.update(initial_s=initial_s, first_quiet_s=first_quiet_s, pairs=n)
    spent = world.erp.spent + world.crm.spent
    mapping = load_mapping(ROOT / "mappings", "memory", "customer")
    result["floor_s"], _ = floor.snapshot(
        {"erp": world.erp, "crm": world.crm}, f"{directory}/state.db", mapping.version
    )
    result["floor_connector_s"] = world.erp.spent + world.crm.spent - spent
    return result


def _result(
    report: RunReport, seconds: float, records: int, start_mb: float, world: World, *, peak_scope: str
) -> dict[str, Any]:
    return {
        "records": records,
        "seconds": seconds,
        "read": report.records_read,
        "writes": report.writes,
        "phases": {phase: report.phase_seconds.get(phase, 0.0) for phase in PHASES},
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_scope": peak_scope,
        "start_mb": start_mb,
        "connectors_mb": (world.erp.footprint_bytes() + world.crm.footprint_bytes()) / 2**20,
        "connector_s": world.erp.spent + world.crm.spent,
    }


def child(case: str, n: int) -> None:
    run = {
        "initial": case_initial,
        "incremental": case_incremental,
        "snapshot": case_snapshot,
        "initial-pg": case_initial_pg,
        "floor-initial": case_floor_initial,
    }[case]
    with tempfile.TemporaryDirectory(prefix="synchub-bench-") as directory:
        result = run(directory, n)
    print("RESULT " + json.dumps({"case": case, "n": n, **result}))


# --- the parent: run the cases, print the table and the targets ------------------------------------


def run_case(case: str, n: int) -> dict[str, Any] | None:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", case, str(n)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line.removeprefix("RESULT "))
    print(f"  {case} {n:,} failed (exit {done.returncode}):\n{done.stderr[-3000:]}", flush=True)
    return None


def run_initial(n: int) -> dict[str, Any] | None:
    """The initial case with its floor measured on both sides of it (a process of its own before, the
    engine's process after), the mean of the two compared: the machine's speed drifts by a third
    between runs half a minute apart here, and one floor run would carry all of that drift."""
    before = run_case("floor-initial", n)
    result = run_case("initial", n)
    if result is None or before is None:
        return result
    after = floor_s(result)
    result["floor_runs"] = [before["floor_s"] - before["floor_connector_s"], after]
    for key in ("floor_s", "floor_connector_s"):
        result[key] = (before[key] + result[key]) / 2
    return result


def engine_s(result: dict[str, Any]) -> float:
    """The run's wall time less the time spent inside the connectors."""
    return result["seconds"] - result.get("connector_s", 0.0)


def floor_s(result: dict[str, Any]) -> float | None:
    if "floor_s" not in result:
        return None
    return result["floor_s"] - result.get("floor_connector_s", 0.0)


def row(result: dict[str, Any]) -> str:
    records = result["records"]
    phases = result["phases"]
    other = engine_s(result) - sum(phases.values())
    micro = [phases[p] / records * 1e6 for p in PHASES] + [other / records * 1e6]
    base = floor_s(result)
    versus = f"{records / base:>11,.0f}{engine_s(result) / base:>7.2f}x" if base else f"{'':>11}{'':>8}"
    return (
        f"{result['case']:<12}{result['n']:>10,}{records:>10,}{result['seconds']:>9.2f}"
        f"{result.get('connector_s', 0.0):>8.2f}{records / engine_s(result):>11,.0f}{versus}"
        f"{result['peak_mb']:>8.0f}" + "".join(f"{m:>8.1f}" for m in micro)
    )


def header() -> str:
    return (
        f"{'case':<12}{'N':>10}{'records':>10}{'wall s':>9}{'conn. s':>8}{'engine r/s':>11}{'floor r/s':>11}"
        f"{'ratio':>8}{'peak MB':>8}"
        + "".join(f"{p:>8}" for p in (*PHASES, "other"))
        + "\n"
        + " " * 87
        + "---- engine µs per record "
        + "-" * 50
    )


def verdict(ok: bool) -> str:
    return "MET    " if ok else "NOT MET"


def targets(results: dict[tuple[str, int], dict[str, Any]], small: int, large: int) -> list[str]:
    lines: list[str] = []

    def rate(r: dict[str, Any]) -> float:
        return r["records"] / engine_s(r)

    def against_floor(r: dict[str, Any], what: str) -> None:
        base = floor_s(r)
        if base:
            ratio = engine_s(r) / base
            runs = r.get("floor_runs")
            how = f" (mean of {' and '.join(f'{s:.2f}' for s in runs)} s, before and after)" if runs else ""
            lines.append(
                f"{verdict(ratio <= 1.5)} {what} {r['n']:,}: engine {engine_s(r):.2f} s vs the hand-written "
                f"floor {base:.2f} s{how} in the same run = {ratio:.2f}x (target <= 1.5x)"
            )

    for n in (small, large):
        r = results.get(("initial", n))
        if r:
            lines.append(
                f"{verdict(rate(r) >= 20_000)} initial sync {n:,}: {rate(r):,.0f} records/s of engine time "
                f"(wall {r['records'] / r['seconds']:,.0f}/s; target >= 20,000)"
            )
            against_floor(r, "initial sync")
    big, little = results.get(("initial", large)), results.get(("initial", small))
    if big:
        lines.append(
            f"{verdict(big['peak_mb'] <= 300)} initial sync {large:,}: peak {big['peak_mb']:.0f} MB "
            f"(target <= 300; the synthetic connectors hold {big['connectors_mb']:.0f} MB of it, "
            f"the process held {big['start_mb']:.0f} MB before the run)"
        )
    if big and little:
        ratio = big["seconds"] / little["seconds"]
        scale = large / small
        # the floor writes the same random-key index (canonical ids are hashes): its growth is the store's
        grew = [floor_s(r) for r in (big, little)]
        beside = f"; the floor's own time grew {grew[0] / grew[1]:.1f}x" if grew[0] and grew[1] else ""
        lines.append(
            f"{verdict(ratio <= 1.1 * scale)} initial sync linear: {large:,} took {ratio:.1f}x the time of "
            f"{small:,} (target <= {1.1 * scale:.0f}x){beside}"
        )
    for n in (small, large):
        r = results.get(("incremental", n))
        if r:
            per_change = engine_s(r) / r["records"] * 1e6
            lines.append(
                f"{verdict(per_change <= 200)} incremental {n:,} linked, {r['records']:,} changes: "
                f"{per_change:,.0f} µs of engine time per change (target <= 200); {r['seconds']:.2f} s wall, "
                f"read {r['read']:,} records"
            )
    small_inc, large_inc = results.get(("incremental", small)), results.get(("incremental", large))
    if small_inc and large_inc:
        per = [engine_s(r) / r["records"] * 1e6 for r in (small_inc, large_inc)]
        lines.append(
            f"{verdict(per[1] <= 1.5 * per[0])} incremental cost per change does not grow with the total: "
            f"{per[0]:,.0f} µs at {small:,}, {per[1]:,.0f} µs at {large:,} (target: within 1.5x)"
        )
    for n in (small, large):
        r = results.get(("snapshot", n))
        if r:
            lines.append(
                f"{verdict(rate(r) >= 100_000)} snapshot, nothing changed, {n:,} linked: {rate(r):,.0f} "
                f"records/s of engine time over both sides (connectors {r['connector_s']:.2f} s apart; "
                f"target >= 100,000); the first quiet run after the initial sync took "
                f"{r['first_quiet_s']:.2f} s"
            )
            against_floor(r, "snapshot")
    for n in (small, large):
        pg, lite = results.get(("initial-pg", n)), results.get(("initial", n))
        if pg and lite:
            ratio = engine_s(pg) / engine_s(lite)
            lines.append(
                f"{verdict(ratio <= 1.3)} PostgreSQL state store, initial sync {n:,}: "
                f"{engine_s(pg):.2f} s vs SQLite {engine_s(lite):.2f} s = {ratio:.2f}x (target <= 1.3x)"
            )
    return lines


def profile(n: int) -> None:
    """cProfile of the initial sync of ``n`` customers: where the time goes, by function."""
    with tempfile.TemporaryDirectory(prefix="synchub-bench-") as directory:
        world = _world(directory, n, tracking="cursor", direction="erp_to_crm")
        profiler = cProfile.Profile()
        profiler.enable()
        report, seconds = world.run()
        profiler.disable()
    print(
        f"initial sync of {n:,} customers under cProfile: {seconds:.1f} s "
        f"({report.sides['crm'].created:,} created)"
    )
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    entries = stats.stats  # type: ignore[attr-defined]
    for title, column in (("own time (tottime)", 2), ("including callees (cumtime)", 3)):
        print(f"\ntop functions by {title}, share of {total:.1f} s profiled")
        ranked = sorted(entries.items(), key=lambda item: item[1][column], reverse=True)[:25]
        for (file, line, name), values in ranked:
            where = file.replace(str(ROOT) + "/", "")
            share = values[column] / total
            print(f"{share:>7.1%} {values[column]:>8.2f} s {values[1]:>10,} calls  {where}:{line}({name})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="10,000 and 100,000 records instead of 100,000 and 1,000,000"
    )
    parser.add_argument(
        "--cases", default=",".join(CASES), help="comma-separated subset of: " + ", ".join(CASES)
    )
    parser.add_argument(
        "--crm-ids",
        choices=("sequential", "scattered"),
        default="sequential",
        help="ids the CRM gives new records: in creation order (default) or in none, as UUIDs",
    )
    parser.add_argument("--profile", nargs="?", type=int, const=100_000, metavar="RECORDS")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # a case's process: its parent set the CRM's ids in the environment
        child(args.child[0], int(args.child[1]))
        return
    os.environ[CRM_IDS_VARIABLE] = args.crm_ids  # for the cases' processes, and --profile here
    if args.profile:
        profile(args.profile)
        return
    small, large = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s) {', '.join(sorted(unknown))}; choose from {', '.join(CASES)}")
    print(
        f"engine benchmark: customers {small:,} and {large:,}, SQLite state store, one process per case, "
        f"{args.crm_ids} CRM ids"
    )
    print(header(), flush=True)
    results: dict[tuple[str, int], dict[str, Any]] = {}
    for case in cases:
        for n in (small, large):
            result = run_initial(n) if case == "initial" else run_case(case, n)
            if result is not None:
                results[(case, n)] = result
                print(row(result), flush=True)
    scopes = {r["peak_scope"] for r in results.values() if r["case"] != "initial"}
    if scopes:
        print(f"peak MB: the whole process for initial; for the other cases: {', '.join(sorted(scopes))}")
    print("\ntargets" + (" (quick sizes: indicative only)" if args.quick else ""))
    for line in targets(results, small, large):
        print("  " + line)


if __name__ == "__main__":
    main()

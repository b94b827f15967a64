"""The synchub command line driving the engine: run, status, conflicts and dead letters.

The two systems are in-memory systems of this process (``MemoryDatabase.named``), so a test seeds
them, runs a command through typer's CliRunner and looks at both systems and the state store.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from connectors.memory import MemoryDatabase
from sync_engine.cli import app
from sync_engine.store import Store
from sync_engine.store.base import utcnow
from sync_engine.store.tables import FLOW_LOCKS
from tests.memory_samples import native_customer

runner = CliRunner()


def native_product(code: str, title: str) -> dict[str, Any]:
    return {
        "code": code,
        "title": title,
        "notes": None,
        "uom": "PCE",
        "price": 12.5,
        "price_currency": "EUR",
        "is_active": True,
    }


class Cli:
    """A config file in a temporary folder, the two memory systems, and the commands against them."""

    def __init__(self, root: Path, *, crm_options: dict[str, Any] | None = None) -> None:
        self.root = root
        doc = {
            "version": 1,
            "state": {"url": "sqlite:///state.db"},
            "systems": {
                "erp": {"connector": "memory"},
                "crm": {"connector": "memory", "options": crm_options or {}},
            },
            "flows": {
                "products": {
                    "entity": "product",
                    "erp": "erp",
                    "crm": "crm",
                    "direction": "erp_to_crm",
                    "match_keys": [["sku"]],
                    "depends_on": ["customers"],
                },
                "customers": {
                    "entity": "customer",
                    "erp": "erp",
                    "crm": "crm",
                    "match_keys": [["tax_id"], ["name"]],
                    "field_owners": {"credit_limit": "erp"},
                    "conflict_policy": "manual",
                },
                "complaints": {"entity": "complaint", "erp": "erp", "crm": "crm", "enabled": False},
            },
        }
        self.config = root / "synchub.yaml"
        self.config.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        self.erp = MemoryDatabase.named("erp")
        self.crm = MemoryDatabase.named("crm")

    def __call__(self, *args: str) -> Result:
        # A wide terminal, so rich tables do not fold the words a test looks for.
        return runner.invoke(app, [*args, "--config", str(self.config)], env={"COLUMNS": "200"})

    def json(self, *args: str) -> Any:
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def store(self) -> Store:
        return Store(f"sqlite:///{self.root / 'state.db'}")

    def names(self, side: str) -> set[str]:
        db = self.erp if side == "erp" else self.crm
        return {rec["company"]["name"] for rec in db.all("customer").values()}


@pytest.fixture(autouse=True)
def _fresh_memory_systems() -> Iterator[None]:
    MemoryDatabase.forget()
    yield
    MemoryDatabase.forget()


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def seed_customers(cli: Cli) -> None:
    cli.erp.put("customer", None, native_customer("北京贸易有限公司", "CN1"))
    cli.erp.put("customer", None, native_customer("Acme", "DE1"))
    cli.crm.put("customer", None, native_customer("شركة النور", "AE1"))


# -- run -------------------------------------------------------------------------------------------


def test_run_json_prints_one_object_with_counts_per_system(cli: Cli) -> None:
    seed_customers(cli)

    report = cli.json("run", "customers")

    assert report["flow"] == "customers"
    assert report["status"] == "success"
    assert report["systems"]["erp"]["role"] == "erp" and report["systems"]["crm"]["role"] == "crm"
    erp, crm = report["systems"]["erp"], report["systems"]["crm"]
    assert (erp["read"], erp["created"], erp["updated"], erp["deleted"]) == (2, 1, 0, 0)
    assert (crm["read"], crm["created"], crm["updated"], crm["deleted"]) == (1, 2, 0, 0)
    assert report["conflicts"] == 0 and report["dead_letters"] == 0
    assert isinstance(report["duration_s"], float | int) and report["duration_s"] >= 0
    assert cli.names("erp") == cli.names("crm") == {"北京贸易有限公司", "Acme", "شركة النور"}


def test_the_config_option_may_come_before_the_command(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_customers(cli)
    monkeypatch.setenv("SYNCHUB_CONFIG", str(tmp_path / "not-this.yaml"))  # -c wins, and is undone after
    monkeypatch.chdir(tmp_path.parent)  # a relative -c is resolved against the working folder

    result = runner.invoke(
        app, ["-c", str(cli.config.relative_to(tmp_path.parent)), "run", "--all", "--json"]
    )

    assert result.exit_code == 0, result.output
    assert cli.names("erp") == cli.names("crm") == {"北京贸易有限公司", "Acme", "شركة النور"}


def test_run_json_after_a_run_reports_nothing_written(cli: Cli) -> None:
    seed_customers(cli)
    cli.json("run", "customers")

    again = cli.json("run", "customers")

    assert again["status"] == "success"
    for counts in again["systems"].values():
        assert counts["created"] == counts["updated"] == counts["deleted"] == 0


def test_run_all_runs_the_enabled_flows_in_dependency_order(cli: Cli) -> None:
    seed_customers(cli)
    cli.erp.put("product", None, native_product("SKU-1", "茶杯"))

    result = cli.json("run", "--all")

    assert [r["flow"] for r in result["runs"]] == ["customers", "products"]  # complaints is disabled
    assert all(r["status"] == "success" for r in result["runs"])
    assert [p["title"] for p in cli.crm.all("product").values()] == ["茶杯"]
    assert cli.crm.count("customer") == 3


def test_run_all_prints_a_table_per_flow(cli: Cli) -> None:
    seed_customers(cli)

    result = cli("run", "--all")

    assert result.exit_code == 0, result.output
    assert "flow customers (customer)" in result.stdout and "flow products (product)" in result.stdout


def test_dry_run_prints_the_plan_and_writes_nothing(cli: Cli) -> None:
    seed_customers(cli)
    erp_before, crm_before = cli.erp.all("customer"), cli.crm.all("customer")

    result = cli("run", "customers", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "dry run, nothing written" in result.stdout
    assert "planned writes" in result.stdout
    assert result.stdout.count("create") >= 3
    assert cli.erp.all("customer") == erp_before and cli.crm.all("customer") == crm_before
    store = cli.store()
    try:
        assert store.count_links("customers") == 0
        assert store.list_runs(flow="customers") == []
    finally:
        store.close()


def test_dry_run_json_lists_each_planned_write(cli: Cli) -> None:
    seed_customers(cli)

    report = cli.json("run", "customers", "--dry-run")

    assert report["dry_run"] is True
    planned = sorted((p["system"], p["op"]) for p in report["plan"])
    assert planned == [("crm", "create"), ("crm", "create"), ("erp", "create")]
    assert cli.crm.count("customer") == 1  # still only its own


# -- status --------------------------------------------------------------------------------------------


def test_status_shows_each_flow_with_its_last_run_and_links(cli: Cli) -> None:
    seed_customers(cli)
    cli.json("run", "customers")

    rows = {row["flow"]: row for row in cli.json("status")}

    assert set(rows) == {"customers", "products", "complaints"}
    assert rows["customers"]["links"] == 3
    assert rows["customers"]["last_run"]["status"] == "success"
    assert rows["complaints"]["enabled"] is False
    table = cli("status")
    assert table.exit_code == 0 and "customers" in table.stdout and "(disabled)" in table.stdout


# -- conflicts -------------------------------------------------------------------------------------


def make_name_conflict(cli: Cli, erp_name: str, crm_name: str) -> int:
    """One synced customer renamed differently on both sides; returns the conflict's id."""
    erp_id = cli.erp.put("customer", None, native_customer("Acme", "DE1"))
    cli.json("run", "customers")
    (crm_id,) = cli.crm.all("customer")
    for db, record_id, name in ((cli.erp, erp_id, erp_name), (cli.crm, crm_id, crm_name)):
        data = db.get("customer", record_id)
        assert data is not None
        data["company"]["name"] = name
        db.put("customer", record_id, data)
    report = cli.json("run", "customers")
    assert report["conflicts"] == 1
    (conflict,) = cli.json("conflicts", "list")
    return int(conflict["id"])


def test_conflicts_list_shows_the_field_and_both_values(cli: Cli) -> None:
    conflict_id = make_name_conflict(cli, "Acme 株式会社", "أكمي")

    (row,) = cli.json("conflicts", "list")
    shown = cli("conflicts", "show", str(conflict_id))

    assert (row["id"], row["field"], row["status"]) == (conflict_id, "name", "open")
    assert row["values"] == {"erp": "Acme 株式会社", "crm": "أكمي"}
    assert row["base"] == "Acme"
    assert shown.exit_code == 0, shown.output
    assert "Acme 株式会社" in shown.stdout and "أكمي" in shown.stdout
    assert f"synchub conflicts resolve {conflict_id} --take erp" in shown.stdout


def test_resolving_with_take_is_applied_by_the_next_run(cli: Cli) -> None:
    conflict_id = make_name_conflict(cli, "Acme 株式会社", "أكمي")

    resolved = cli("conflicts", "resolve", str(conflict_id), "--take", "crm", "--user", "ann")
    assert resolved.exit_code == 0, resolved.output
    assert cli.names("erp") == {"Acme 株式会社"}  # nothing written before the run

    report = cli.json("run", "customers")

    assert report["resolutions_applied"] == 1 and report["conflicts"] == 0
    assert cli.names("erp") == cli.names("crm") == {"أكمي"}
    (applied,) = cli.json("conflicts", "list", "--status", "applied")
    assert (applied["id"], applied["resolution"], applied["resolved_by"]) == (conflict_id, "crm", "ann")
    assert cli.json("conflicts", "list") == []
    assert cli.json("run", "customers")["resolutions_applied"] == 0  # applied once only


def test_resolving_with_a_value_writes_that_value_to_both_sides(cli: Cli) -> None:
    conflict_id = make_name_conflict(cli, "Acme 株式会社", "أكمي")

    resolved = cli("conflicts", "resolve", str(conflict_id), "--value", '"Acme 国际"')
    assert resolved.exit_code == 0, resolved.output
    report = cli.json("run", "customers")

    assert report["resolutions_applied"] == 1
    assert cli.names("erp") == cli.names("crm") == {"Acme 国际"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "exactly one of --take"),
        (["--take", "erp", "--value", '"x"'], "exactly one of --take"),
        (["--take", "both"], "--take must be erp or crm"),
        (["--value", "not json"], "--value must be JSON"),
    ],
)
def test_resolve_refuses_unclear_choices_with_exit_2(cli: Cli, args: list[str], message: str) -> None:
    conflict_id = make_name_conflict(cli, "A", "B")

    result = cli("conflicts", "resolve", str(conflict_id), *args)

    assert result.exit_code == 2
    assert message in result.stderr
    assert cli.json("conflicts", "list")[0]["status"] == "open"


def test_resolving_an_unknown_conflict_exits_1_and_says_where_to_look(cli: Cli) -> None:
    result = cli("conflicts", "resolve", "999", "--take", "erp")

    assert result.exit_code == 1
    assert "conflict 999 does not exist" in result.stderr


# -- dead letters -----------------------------------------------------------------------------------


def test_a_rejected_record_is_listed_with_its_reason_and_retry_writes_it_once_fixed(tmp_path: Path) -> None:
    cli = Cli(tmp_path, crm_options={"rules": {"customer": {"required": ["vat_number"]}}})
    erp_id = cli.erp.put("customer", None, native_customer("مؤسسة بلا رقم", None))
    cli.erp.put("customer", None, native_customer("Acme", "DE1"))

    report = cli.json("run", "customers")

    assert report["status"] == "partial" and report["dead_letters"] == 1
    assert cli.names("crm") == {"Acme"}
    (letter,) = cli.json("deadletters", "list")
    assert letter["system"] == "crm" and letter["stage"] == "write" and letter["field"] == "vat_number"
    assert "'vat_number' is required" in letter["reason"]
    table = cli("deadletters", "list")
    assert "vat_number" in table.stdout

    # Fixed in the ERP by hand, then retried: the record is read again and written.
    data = cli.erp.get("customer", erp_id)
    assert data is not None
    data["vat_number"] = "SA1"
    cli.erp.put("customer", erp_id, data)
    retried = cli("deadletters", "retry", str(letter["id"]))

    assert retried.exit_code == 0, retried.output
    assert "0 open dead letter(s) remain" in retried.stdout
    assert cli.names("crm") == {"Acme", "مؤسسة بلا رقم"}
    assert cli.json("deadletters", "list") == []
    (done,) = cli.json("deadletters", "list", "--status", "all")
    assert done["status"] == "resolved"


def test_retry_needs_ids_or_all(cli: Cli) -> None:
    result = cli("deadletters", "retry")

    assert result.exit_code == 2
    assert "Name dead letter ids or pass --all" in result.stderr


# -- errors ------------------------------------------------------------------------------------------


def test_an_unknown_flow_exits_2_and_names_the_known_flows(cli: Cli) -> None:
    result = cli("run", "custmers")

    assert result.exit_code == 2
    assert "no flow named 'custmers'" in result.stderr
    assert "complaints, customers, products" in result.stderr


@pytest.mark.parametrize("args", [["customers", "--all"], []])
def test_run_needs_exactly_one_of_flow_and_all(cli: Cli, args: list[str]) -> None:
    result = cli("run", *args)

    assert result.exit_code == 2
    assert "Name one FLOW or pass --all" in result.stderr
    assert cli.crm.count("customer") == 0


# -- locks -----------------------------------------------------------------------------------------


def test_locks_list_shows_a_lock_left_by_a_killed_run_and_break_frees_it(cli: Cli) -> None:
    seed_customers(cli)
    cli("run", "customers")
    store = cli.store()
    try:
        with store.transaction() as conn:
            conn.execute(
                FLOW_LOCKS.insert().values(flow="customers", holder="lost-host:42", acquired_at=utcnow())
            )
    finally:
        store.close()

    refused = cli("run", "customers")
    assert refused.exit_code != 0
    assert "locked by lost-host:42" in refused.output and "synchub locks break customers" in refused.output
    assert cli.json("locks", "list")[0]["holder"] == "lost-host:42"

    broke = cli("locks", "break", "customers")
    assert broke.exit_code == 0, broke.output
    assert "broke the lock of flow 'customers', held by lost-host:42" in broke.output
    assert (
        cli("locks", "break", "customers").output.strip() == "flow 'customers' is not locked; nothing to do"
    )
    assert cli("locks", "break", "nosuch").exit_code == 2
    assert cli.json("run", "customers")["status"] == "success"
    assert "No flow is locked." in cli("locks", "list").output


# -- logs ------------------------------------------------------------------------------------------


def test_verbose_logs_each_step_of_a_run_and_never_a_secret(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "Pa55-w0rd-never-logged"
    monkeypatch.setenv("SYNCHUB_CONN_CRM_CONN", f"memory://sync:{secret}@crm")
    doc = yaml.safe_load(cli.config.read_text())
    doc["systems"]["crm"]["connection"] = "crm_conn"
    cli.config.write_text(yaml.safe_dump(doc))
    seed_customers(cli)
    cli.crm.put("customer", None, {**native_customer("Kaputt", "DE9"), "status": "?"})

    result = runner.invoke(
        app, ["-v", "run", "customers", "--config", str(cli.config)], env={"COLUMNS": "200"}
    )

    logs = result.stderr or result.output
    assert "flow customers: run 1 started (erp -> crm)" in logs
    assert "flow customers: read 2 records from erp (all)" in logs
    assert "batch of 3 records committed (3 writes, 0 follow-up writes, 0 refused)" in logs
    assert "crm customer C000002 dead-lettered (stage map, field active)" in logs
    assert "flow customers: run 1 partial in" in logs
    assert secret not in result.output and secret not in logs


# -- db copy ---------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_db_copy_moves_sqlite_state_to_postgresql_and_the_next_run_makes_no_duplicate(
    cli: Cli, pg_url: str
) -> None:
    from sqlalchemy import create_engine, text

    seed_customers(cli)
    assert cli.json("run", "customers")["status"] == "success"
    cli.erp.put("customer", None, native_customer("Nachzügler GmbH", "DE-LATE"))  # a change still to sync
    schema = f"synchub_copy_{uuid.uuid4().hex[:8]}"
    engine = create_engine(pg_url)
    try:
        copied = cli("db", "copy", "--to", pg_url, "--to-schema", schema)
        assert copied.exit_code == 0, copied.output
        assert "links 3" in copied.output and "runs 1" in copied.output

        again = cli("db", "copy", "--to", pg_url, "--to-schema", schema)
        assert again.exit_code == 1 and "already holds state" in again.output

        doc = yaml.safe_load(cli.config.read_text())
        doc["state"] = {"url": pg_url, "schema": schema}
        cli.config.write_text(yaml.safe_dump(doc))
        report = cli.json("run", "customers")
        crm = report["systems"]["crm"]
        assert (crm["created"], crm["updated"]) == (1, 0)  # only the new customer; the 3 stay linked
        assert report["run_id"] == 2  # the id sequence continues after the copied runs
        names = [rec["company"]["name"] for rec in cli.crm.all("customer").values()]
        assert sorted(names) == sorted(["北京贸易有限公司", "Acme", "شركة النور", "Nachzügler GmbH"])
        quiet = cli.json("run", "customers")["systems"]
        assert all(s["created"] == s["updated"] == s["deleted"] == 0 for s in quiet.values())
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()

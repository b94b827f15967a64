"""A real Tryton 8.2 server for tests, benchmarks and ``synchub demo``.

The first use builds a venv (``.peers/tryton``) and a template SQLite database with the sale
modules activated and a company set up (~1-2 min, once per machine, keyed by the module list).
Every instance then starts ``trytond`` on a copy of that file (milliseconds) on a free port::

    instance = TrytonPeer().start(workdir)      # TrytonInstance(url, database, user, password)
    ...
    instance.stop()

For PostgreSQL, ``start_postgres(admin_dsn)`` creates a fresh database from a PostgreSQL template
database built the same way. People use ``python -m synchub_dev.peers.tryton start|stop``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from synchub_dev.peers.process import (
    PeerError,
    ServerProcess,
    ensure_venv,
    free_port,
    peers_dir,
    run_checked,
    stop_group,
)

__all__ = ["MODULES", "REQUIREMENTS", "TrytonInstance", "TrytonPeer"]

MODULES = (
    "party",
    "company",
    "currency",
    "product",
    "sale",
    "sale_opportunity",
    "sale_complaint",
    "product_cost_history",
    "sale_credit_limit",
    "account",
)
REQUIREMENTS = (
    "trytond==8.2.*",
    "proteus==8.2.*",
    *(f"trytond-{module.replace('_', '-')}==8.2.*" for module in MODULES),
)
DRIVERS = ("psycopg[binary,pool]>=3.1,<4",)  # trytond's PostgreSQL backend; not part of the template key
ADMIN = "admin"
ADMIN_PASSWORD = "admin"
ADMIN_EMAIL = "admin@example.com"
SETUP_VERSION = "1"  # bump when _set_up_company changes, so templates are rebuilt

CURRENCIES = {
    "EUR": ("Euro", "€"),
    "USD": ("US Dollar", "$"),
    "GBP": ("Pound Sterling", "£"),
    "CHF": ("Swiss Franc", "CHF"),
    "JPY": ("Yen", "¥"),
    "CNY": ("Yuan Renminbi", "¥"),
}
# Tryton ships no countries (they come from `trytond_import_countries`, which needs network):
# the template holds the ones our tests and demo use.
COUNTRIES = {
    "DE": "Germany",
    "AT": "Austria",
    "CH": "Switzerland",
    "FR": "France",
    "IT": "Italy",
    "ES": "Spain",
    "NL": "Netherlands",
    "BE": "Belgium",
    "GB": "United Kingdom",
    "IE": "Ireland",
    "US": "United States",
    "CA": "Canada",
    "JP": "Japan",
    "CN": "China",
    "PL": "Poland",
    "DK": "Denmark",
    "SE": "Sweden",
}
PAYMENT_TERMS = ("14 days net", "30 days net", "60 days net", "prepayment")
COMPLAINT_TYPE = "Sale"


@dataclass
class TrytonInstance:
    """A running Tryton server on one database; ``uri`` is the connection URI for SyncHub."""

    url: str
    database: str
    user: str
    password: str = field(repr=False)
    workdir: Path
    process: ServerProcess | None = None
    cleanup: Callable[[], None] | None = None

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def uri(self) -> str:
        return f"tryton://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def stop(self) -> None:
        if self.process is not None:
            _stop_quickly(self.process)
            self.process = None
        if self.cleanup is not None:
            self.cleanup()
            self.cleanup = None


class TrytonPeer:
    """Installs Tryton once, keeps a template database, and starts servers on copies of it."""

    def __init__(self, *, log: Callable[[str], None] = lambda line: None) -> None:
        self.log = log
        self.key = hashlib.sha256("\n".join([*REQUIREMENTS, SETUP_VERSION]).encode()).hexdigest()[:12]

    # -- installation ------------------------------------------------------------------------------
    def venv(self) -> Path:
        return ensure_venv("tryton", sys.executable, [*REQUIREMENTS, *DRIVERS], log=self.log)

    def _bin(self, name: str) -> str:
        return str(self.venv() / "bin" / name)

    def template(self) -> Path:
        """The template SQLite file, built on first use (about 1-2 minutes)."""
        folder = peers_dir() / f"tryton-template-{self.key}"
        done = folder / "template.sqlite"
        if done.exists():
            return done
        build = Path(tempfile.mkdtemp(prefix="build-", dir=peers_dir()))
        try:
            self.log(f"building the Tryton template database in {build} (first time only)")
            self._initialise(build, "template", f"[database]\nuri = sqlite://\npath = {build}\n")
            _checkpoint(build / "template.sqlite")
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / "template.sqlite.tmp"
            shutil.copyfile(build / "template.sqlite", tmp)
            tmp.replace(done)  # atomic: a half-built template is never used
        finally:
            shutil.rmtree(build, ignore_errors=True)
        return done

    def _initialise(self, workdir: Path, database: str, db_section: str) -> None:
        """Activate the modules in ``database`` and set up the company (server stopped afterwards)."""
        conf = _write_conf(workdir, db_section, free_port())
        if db_section.startswith("[database]\nuri = sqlite"):
            (workdir / f"{database}.sqlite").touch()  # trytond-admin wants the file to exist
        passfile = workdir / "admin-password"
        passfile.write_text(ADMIN_PASSWORD)
        run_checked(
            [
                self._bin("trytond-admin"),
                "-c",
                str(conf),
                "-d",
                database,
                "-u",
                *MODULES,
                "--activate-dependencies",
                "--email",
                ADMIN_EMAIL,
            ],
            what="initialise the Tryton database",
            env={**os.environ, "TRYTONPASSFILE": str(passfile)},
            timeout=600,
        )
        instance = self._serve(workdir, conf, database)
        try:
            _set_up_company(instance)
        finally:
            instance.stop()

    # -- instances ---------------------------------------------------------------------------------
    def start(self, workdir: Path, database: str = "synchub") -> TrytonInstance:
        """A server on a fresh copy of the template, its files in ``workdir``."""
        template = self.template()
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, workdir / f"{database}.sqlite")
        conf = _write_conf(workdir, f"[database]\nuri = sqlite://\npath = {workdir}\n", free_port())
        return self._serve(workdir, conf, database)

    def start_postgres(
        self, workdir: Path, admin_dsn: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    ) -> TrytonInstance:
        """A server on a fresh PostgreSQL database (copied from a template database built once)."""
        import psycopg  # only this path needs it

        template = f"synchub_tryton_tpl_{self.key}"
        database = f"synchub_tryton_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
        server = admin_dsn.rsplit("/", 1)[0] + "/"
        db_section = f"[database]\nuri = {server}\n"
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            # Several test sessions (worktrees, CI shards) may build at once: one builds, the others
            # wait on the lock and then find the template. A `_build` left by a killed builder is
            # stale once we hold the lock.
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (template,))
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (template,)).fetchone()
            if not exists:
                self.log(f"building the PostgreSQL template database {template} (first time only)")
                conn.execute(f'DROP DATABASE IF EXISTS "{template}_build" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{template}_build"')
                try:
                    self._initialise(workdir, f"{template}_build", db_section)
                except BaseException:
                    conn.execute(f'DROP DATABASE IF EXISTS "{template}_build" WITH (FORCE)')
                    raise
                conn.execute(f'ALTER DATABASE "{template}_build" RENAME TO "{template}"')
            conn.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (template,))

        def drop() -> None:
            with psycopg.connect(admin_dsn, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

        conf = _write_conf(workdir, db_section, free_port())
        try:
            instance = self._serve(workdir, conf, database)
        except BaseException:
            drop()
            raise
        instance.cleanup = drop
        return instance

    def _serve(self, workdir: Path, conf: Path, database: str) -> TrytonInstance:
        port = int(_read_listen(conf).rsplit(":", 1)[1])
        process = ServerProcess(
            name="trytond",
            # -d loads the registry at start: 8.2.1 fails logins to a database not loaded yet
            cmd=[self._bin("trytond"), "-c", str(conf), "-d", database],
            cwd=workdir,
            log_path=workdir / "trytond.log",
        )
        process.start()
        url = f"http://127.0.0.1:{port}"
        instance = TrytonInstance(url, database, ADMIN, ADMIN_PASSWORD, workdir, process)
        try:
            process.wait_until(lambda: _answers(url, database), timeout=60, what="serving")
        except BaseException:
            process.stop()
            raise
        (workdir / "trytond.json").write_text(
            json.dumps({"pid": process.pid, "url": url, "database": database, "uri": instance.uri})
        )
        return instance


def _stop_quickly(process: ServerProcess) -> None:
    """SIGTERM, then SIGKILL after half a second: trytond's development server lingers on SIGTERM
    and its database copy needs no care. Reaping the child first keeps ``stop`` from waiting on a
    zombie that still answers ``killpg(pid, 0)``."""
    proc = process.proc
    if proc is not None and proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    process.stop(timeout=1)  # whatever else is left in the group


def _checkpoint(path: Path) -> None:
    """Fold a write-ahead log into the file itself, so copying the one file copies everything."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")


def _answers(url: str, database: str) -> bool:
    body = {"id": 0, "method": "common.db.login", "params": [ADMIN, {"password": ADMIN_PASSWORD}, "en"]}
    response = requests.post(f"{url}/{database}/rpc/", json=body, timeout=5)
    return response.status_code == 200 and bool(response.json().get("result"))


def _write_conf(workdir: Path, db_section: str, port: int) -> Path:
    conf = workdir / "trytond.conf"
    conf.write_text(f"{db_section}\n[web]\nlisten = 127.0.0.1:{port}\n")
    return conf


def _read_listen(conf: Path) -> str:
    for line in conf.read_text().splitlines():
        if line.startswith("listen"):
            return line.split("=", 1)[1].strip()
    raise PeerError(f"{conf} has no [web] listen line")


def _set_up_company(instance: TrytonInstance) -> None:
    """Currencies, countries, payment terms, a company for the admin, a complaint type."""
    from connectors.tryton.client import TrytonClient

    client = TrytonClient(instance.url, instance.database, instance.user, instance.password)
    client.login()

    def create(model: str, values: list[dict[str, Any]]) -> list[int]:
        return list(client.model(model, "create", values))

    currencies = create(
        "currency.currency",
        [
            {
                "code": code,
                "name": name,
                "symbol": symbol,
                "digits": 0 if code == "JPY" else 2,
                "rounding": Decimal(1) if code == "JPY" else Decimal("0.01"),
            }
            for code, (name, symbol) in CURRENCIES.items()
        ],
    )
    create("country.country", [{"code": code, "name": name} for code, name in COUNTRIES.items()])
    create(
        "account.invoice.payment_term",
        [{"name": name, "lines": [["create", [{"type": "remainder"}]]]} for name in PAYMENT_TERMS],
    )
    (party,) = create("party.party", [{"name": "SyncHub Demo GmbH"}])
    (company,) = create("company.company", [{"party": party, "currency": currencies[0]}])
    client.model("res.user", "write", [client.uid], {"companies": [["add", [company]]], "company": company})
    client.login()  # the new preferences (company) enter the context
    (sale_model,) = client.model("ir.model", "search", [["name", "=", "sale.sale"]], 0, 1, None)
    create("sale.complaint.type", [{"name": COMPLAINT_TYPE, "origin": sale_model}])
    client.logout()


# -- command line for people ---------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synchub_dev.peers.tryton")
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start a Tryton server on a fresh copy of the template")
    start.add_argument("--workdir", type=Path, default=peers_dir() / "tryton-run")
    stop = sub.add_parser("stop", help="stop the server started with `start`")
    stop.add_argument("--workdir", type=Path, default=peers_dir() / "tryton-run")
    args = parser.parse_args(argv)
    state = args.workdir / "trytond.json"
    if args.command == "start":
        if state.exists():
            print(f"already started: {json.loads(state.read_text())['url']} (stop it first)")
            return 1
        instance = TrytonPeer(log=print).start(args.workdir)
        instance.process = None  # leave it running
        print(f"Tryton {instance.url} database {instance.database}")
        print(f"export SYNCHUB_CONN_ERP='{instance.uri}'")
        return 0
    if not state.exists():
        print(f"nothing started in {args.workdir}")
        return 1
    stop_group(int(json.loads(state.read_text())["pid"]))
    state.unlink()
    print("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A local BottleCRM (PyPI ``django-crm``) for the integration tests and ``synchub demo``.

BottleCRM needs Python 3.12 and installs generic top-level packages (``crm``, ``common``, ...), so it
gets a venv of its own under ``.peers/bottlecrm``. Its full ``migrate`` takes about two minutes, so
it runs once: the migrated SQLite file, with a user, an organisation and a personal access token
already in it, is kept as a template and copied for every instance. An instance is gunicorn on a
free 127.0.0.1 port in a process group of its own, stopped by PID::

    peer = BottleCrmPeer()
    with peer.start(tmp_path) as crm:          # BottleCrmInstance
        crm.url, crm.token, crm.connection_uri()

From a shell: ``python -m synchub_dev.peers.bottlecrm start DIR`` prints the connection URI and
leaves the server running; ``python -m synchub_dev.peers.bottlecrm stop DIR`` stops it.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from synchub_dev.peers.process import (
    PeerError,
    ServerProcess,
    ensure_venv,
    free_port,
    peers_dir,
    python312,
    run_checked,
    stop_group,
)

__all__ = ["REQUIREMENTS", "BottleCrmInstance", "BottleCrmPeer", "main"]

REQUIREMENTS = ("django-crm==1.35.*", "gunicorn")
SETTINGS_DIR = Path(__file__).resolve().parent / "bottlecrm_settings"
SETTINGS_MODULE = "synchub_bottlecrm_settings"
ADMIN_EMAIL = "synchub-admin@example.com"
ORG_NAME = "SyncHub Test Org"
DB_NAME = "crm.sqlite3"
CREDENTIALS = "credentials.json"
INSTANCE_FILE = "bottlecrm-instance.json"


@dataclass
class BottleCrmInstance:
    """A running BottleCRM: where it is, how to authenticate, and how to stop it."""

    url: str
    token: str = field(repr=False)
    email: str
    org_id: str
    workdir: Path
    pid: int
    server: ServerProcess | None = field(default=None, repr=False)
    venv: Path | None = field(default=None, repr=False)
    env: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def connection_uri(self) -> str:
        """The SyncHub connection URI (``SYNCHUB_CONN_<ID>``) for this instance; it holds the token."""
        return f"bottlecrm://:{self.token}@127.0.0.1:{self.port}/?scheme=http"

    def django_admin(self, *args: str, what: str = "run django-admin") -> str:
        """Run ``django-admin ARGS`` on this instance's database (``shell -c CODE`` seeds data)."""
        if self.venv is None:
            raise PeerError("this BottleCrmInstance was not started here; it has no venv to run django-admin")
        cmd = [str(self.venv / "bin" / "django-admin"), *args]
        return run_checked(cmd, what=what, env={**os.environ, **self.env}, cwd=self.workdir).stdout

    def stop(self) -> None:
        if self.server is not None:
            proc = self.server.proc
            if proc is not None:
                # Reap the master ourselves: stop_group() polls the group, and an unreaped zombie
                # keeps it "alive" until the SIGKILL deadline (10 s per stop).
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
            self.server.stop()  # SIGKILLs whatever is left of the group
        else:
            stop_group(self.pid)
        (self.workdir / INSTANCE_FILE).unlink(missing_ok=True)

    def __enter__(self) -> BottleCrmInstance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class BottleCrmPeer:
    """Installs BottleCRM, keeps the migrated template, and starts instances on copies of it."""

    def __init__(self, root: Path | None = None, *, log: Callable[[str], None] = lambda line: None) -> None:
        self.root = root or peers_dir()
        self.log = log
        self.template_dir = self.root / "bottlecrm-template"

    # -- installation ---------------------------------------------------------------------------
    def venv(self) -> Path:
        """BottleCRM's own venv (created on first use, ~1 minute; needs PyPI)."""
        with _locked(self.root / ".bottlecrm-venv.lock"):
            return ensure_venv("bottlecrm", python312(), list(REQUIREMENTS), log=self.log)

    def _env(self, db: Path, secret_key: str) -> dict[str, str]:
        return {
            "PYTHONPATH": str(SETTINGS_DIR),
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "SYNCHUB_BOTTLECRM_DB": str(db),
            "ENV_TYPE": "dev",
            "DEBUG": "True",
            "SECRET_KEY": secret_key,
            # Keep BottleCRM's settings from finding a Redis or a real mail server by accident.
            "CELERY_BROKER_URL": "memory://",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }

    def _django_admin(self, venv: Path, env: dict[str, str], cwd: Path, *args: str, what: str) -> str:
        cmd = [str(venv / "bin" / "django-admin"), *args]
        return run_checked(cmd, what=what, env={**os.environ, **env}, cwd=cwd, timeout=900).stdout

    # -- the template -----------------------------------------------------------------------------
    def template(self) -> tuple[Path, dict[str, Any]]:
        """The migrated, bootstrapped database file and its credentials (built once, ~2-3 minutes)."""
        db = self.template_dir / DB_NAME
        creds = self.template_dir / CREDENTIALS
        with _locked(self.root / ".bottlecrm-template.lock"):
            if db.exists() and creds.exists():
                known = json.loads(creds.read_text())
                if known.get("requirements") == list(REQUIREMENTS):
                    return db, known
                self.log("BottleCRM's requirements changed: building a new template")
            venv = self.venv()
            building = self.root / f"bottlecrm-template.building-{os.getpid()}"
            shutil.rmtree(building, ignore_errors=True)
            building.mkdir(parents=True)
            secret_key = secrets.token_urlsafe(48)
            env = self._env(building / DB_NAME, secret_key)
            self.log("migrating a new BottleCRM database (first time only, about 2 minutes)")
            self._django_admin(venv, env, building, "migrate", "--noinput", what="migrate BottleCRM")
            credentials = self._bootstrap(venv, env, building, secret_key)
            _checkpoint(building / DB_NAME)
            (building / CREDENTIALS).write_text(json.dumps(credentials))
            (building / CREDENTIALS).chmod(0o600)
            shutil.rmtree(self.template_dir, ignore_errors=True)
            building.rename(self.template_dir)
            return db, credentials

    def _bootstrap(self, venv: Path, env: dict[str, str], workdir: Path, secret_key: str) -> dict[str, str]:
        """A user, an organisation it administers, and a personal access token for the API."""
        out = self._django_admin(
            venv, env, workdir, "devlogin", ADMIN_EMAIL, "--create", what="create the BottleCRM user"
        )
        jwt = _printed(out, "access_token")
        port = free_port()
        server = self._serve(venv, env, workdir, port)
        try:
            base = f"http://127.0.0.1:{port}"
            reply = requests.post(
                f"{base}/api/org/",
                json={"name": ORG_NAME},
                headers={"Authorization": f"Bearer {jwt}"},
                timeout=30,
            )
            org_id = _org_id(reply)
            out = self._django_admin(
                venv, env, workdir, "devlogin", ADMIN_EMAIL, "--org", org_id, what="log in to the org"
            )
            org_jwt = _printed(out, "access_token")
            reply = requests.post(
                f"{base}/api/profile/tokens/",
                json={"name": "synchub"},
                headers={"Authorization": f"Bearer {org_jwt}"},
                timeout=30,
            )
            if reply.status_code >= 300 or "token" not in reply.json():
                raise PeerError(
                    f"BottleCRM refused to create an access token: {reply.status_code} {reply.text}"
                )
            token = str(reply.json()["token"])
        finally:
            server.stop()
        return {
            "token": token,
            "email": ADMIN_EMAIL,
            "org_id": org_id,
            "secret_key": secret_key,
            "requirements": list(REQUIREMENTS),  # a new BottleCRM version needs a new template
        }

    # -- instances --------------------------------------------------------------------------------
    def _serve(
        self, venv: Path, env: dict[str, str], workdir: Path, port: int, workers: int = 2
    ) -> ServerProcess:
        cmd = [
            str(venv / "bin" / "gunicorn"),
            "crm.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--timeout",
            "120",
            "--graceful-timeout",
            "3",
            "--no-control-socket",
        ]
        server = ServerProcess("BottleCRM", cmd, env=env, cwd=workdir, log_path=workdir / "gunicorn.log")
        server.start()
        health = f"http://127.0.0.1:{port}/healthz/"
        server.wait_until(
            lambda: requests.get(health, timeout=2).status_code == 200,
            timeout=90,
            what="answering on " + health,
        )
        return server

    def start(self, workdir: Path, *, port: int | None = None, workers: int = 2) -> BottleCrmInstance:
        """A fresh BottleCRM on a copy of the template, serving on 127.0.0.1 (a free port by default)."""
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        template, creds = self.template()
        venv = self.venv()
        db = workdir / DB_NAME
        shutil.copyfile(template, db)
        env = self._env(db, creds["secret_key"])
        chosen = port or free_port()
        server = self._serve(venv, env, workdir, chosen, workers)
        assert server.pid is not None
        instance = BottleCrmInstance(
            url=f"http://127.0.0.1:{chosen}",
            token=creds["token"],
            email=creds["email"],
            org_id=creds["org_id"],
            workdir=workdir,
            pid=server.pid,
            server=server,
            venv=venv,
            env=env,
        )
        state = workdir / INSTANCE_FILE
        state.write_text(
            json.dumps({"url": instance.url, "pid": instance.pid, "uri": instance.connection_uri()})
        )
        state.chmod(0o600)
        return instance


def stop_instance(workdir: Path) -> bool:
    """Stop the instance started in ``workdir`` by another process; False if none was running there."""
    state = Path(workdir) / INSTANCE_FILE
    if not state.exists():
        return False
    stop_group(int(json.loads(state.read_text())["pid"]))
    state.unlink(missing_ok=True)
    return True


def _printed(output: str, key: str) -> str:
    match = re.search(rf"^{key}:\s*(\S+)", output, re.MULTILINE)
    if not match:
        raise PeerError(f"django-admin devlogin printed no {key}; its output was:\n{output[-2000:]}")
    return match.group(1)


def _org_id(reply: requests.Response) -> str:
    if reply.status_code >= 300:
        raise PeerError(f"BottleCRM refused to create an organisation: {reply.status_code} {reply.text}")
    body: Any = reply.json()
    for candidate in (
        body.get("org", {}).get("id") if isinstance(body.get("org"), dict) else None,
        body.get("id"),
    ):
        if candidate:
            return str(candidate)
    raise PeerError(f"BottleCRM created an organisation but its reply has no id: {body}")


def _checkpoint(db: Path) -> None:
    """Fold any write-ahead log into the file so a plain copy of it is a complete database."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock across processes (parallel test runs build the template once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synchub_dev.peers.bottlecrm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start a BottleCRM in DIR and print its connection URI")
    start.add_argument("dir", type=Path)
    start.add_argument("--port", type=int, default=None)
    stop = sub.add_parser("stop", help="stop the BottleCRM started in DIR")
    stop.add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            began = time.monotonic()
            instance = BottleCrmPeer(log=lambda line: print(line, file=sys.stderr)).start(
                args.dir, port=args.port
            )
            instance.server = None  # leave it running after we exit
            print(f"BottleCRM at {instance.url} (pid {instance.pid}, {time.monotonic() - began:.1f}s)")
            print(f"export SYNCHUB_CONN_CRM='{instance.connection_uri()}'")
            return 0
        if stop_instance(args.dir):
            print(f"stopped the BottleCRM in {args.dir}")
            return 0
        print(f"no BottleCRM is running in {args.dir}", file=sys.stderr)
        return 1
    except PeerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())

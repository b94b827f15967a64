"""The demo's two servers: set up their templates in parallel, start them, remember them, stop them.

The CRM is BottleCRM (default) or SuiteCRM (``synchub demo --crm suitecrm``: the peer scripts in
``../shared/peers/suitecrm`` and SyncHub's fields package installed on it).

``<workdir>/servers.json`` holds what a person (or a later ``synchub demo --stop``) needs: the
URLs, credentials and process ids. The servers run in process groups of their own, so they keep
serving after the command that started them exits.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.suitecrm.custom_fields import build_package
from synchub_dev.peers import suitecrm
from synchub_dev.peers.bottlecrm import BottleCrmInstance, BottleCrmPeer
from synchub_dev.peers.process import stop_group
from synchub_dev.peers.suitecrm import SuiteCrmInstance
from synchub_dev.peers.tryton import TrytonInstance, TrytonPeer

__all__ = ["STATE_FILE", "Servers", "prepare_templates", "read_servers", "start_servers", "stop_servers"]

STATE_FILE = "servers.json"


@dataclass
class Servers:
    tryton: TrytonInstance
    crm: BottleCrmInstance | SuiteCrmInstance

    def describe(self) -> dict[str, Any]:
        """What servers.json keeps: where each server is, how to log in, its process group."""
        if isinstance(self.crm, SuiteCrmInstance):
            return {"tryton": self._tryton(), "suitecrm": _suitecrm(self.crm)}
        return {
            "tryton": self._tryton(),
            "bottlecrm": {
                "pid": self.crm.pid,
                "url": self.crm.url,
                "email": self.crm.email,
                "token": self.crm.token,
                "uri": self.crm.connection_uri(),
                "log": str(self.crm.workdir / "gunicorn.log"),
            },
        }

    def _tryton(self) -> dict[str, Any]:
        return {
            "pid": self.tryton.pid,
            "url": self.tryton.url,
            "database": self.tryton.database,
            "user": self.tryton.user,
            "password": self.tryton.password,
            "uri": self.tryton.uri,
            "log": str(self.tryton.workdir / "trytond.log"),
        }

    def stop(self) -> None:
        self.tryton.stop()
        self.crm.stop()


def _suitecrm(instance: SuiteCrmInstance) -> dict[str, Any]:
    return {
        "port": instance.port,  # stopped by its port (stop_suitecrm.sh), never by a bare pid
        "url": instance.url,
        "user": instance.user,
        "password": instance.password,
        "uri": instance.connection_uri(),
        "log": str(instance.root / "php_errors.log"),
    }


def prepare_templates(crm: str = "bottlecrm") -> None:
    """Build (or find) both servers' venvs and template databases, side by side: each is slow once.
    SuiteCRM's cached install is made by its first start."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(TrytonPeer().template)]
        if crm == "bottlecrm":
            futures.append(pool.submit(BottleCrmPeer().template))
        for future in futures:
            future.result()


def _start_suitecrm(workdir: Path) -> SuiteCrmInstance:
    instance = suitecrm.start(owned=False)
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        instance.install_package(build_package(workdir / "synchub-fields.zip"))
    except BaseException:
        instance.stop()
        raise
    return instance


def start_servers(workdir: Path, crm: str = "bottlecrm") -> Servers:
    """Start Tryton and the CRM on fresh copies of their templates (in parallel) and record them."""
    workdir = Path(workdir)
    with ThreadPoolExecutor(max_workers=2) as pool:
        tryton_future = pool.submit(TrytonPeer().start, workdir / "tryton")
        if crm == "suitecrm":
            crm_future = pool.submit(_start_suitecrm, workdir / "suitecrm")
        else:
            crm_future = pool.submit(BottleCrmPeer().start, workdir / "bottlecrm")
        errors: list[BaseException] = []
        started: list[Any] = []
        for future in (tryton_future, crm_future):
            try:
                started.append(future.result())
            except BaseException as exc:  # stop the other one, then report the first
                errors.append(exc)
        if errors:
            for instance in started:
                instance.stop()
            raise errors[0]
    servers = Servers(tryton=started[0], crm=started[1])
    state = workdir / STATE_FILE
    state.write_text(json.dumps(servers.describe(), indent=2))
    state.chmod(0o600)  # it holds the demo's passwords and token
    return servers


def read_servers(workdir: Path) -> dict[str, Any] | None:
    state = Path(workdir) / STATE_FILE
    return json.loads(state.read_text()) if state.exists() else None


def stop_servers(workdir: Path) -> list[str]:
    """Stop the servers recorded in ``workdir`` (by their process groups); the names of those stopped."""
    state = read_servers(workdir)
    if state is None:
        return []
    stopped = []
    for name, info in state.items():
        pid = info.get("pid")
        if name == "suitecrm" and info.get("port"):
            suitecrm.stop_port(int(info["port"]))
            stopped.append(name)
        elif pid and _alive(int(pid)):
            stop_group(int(pid), timeout=10)
            stopped.append(name)
    (Path(workdir) / STATE_FILE).unlink(missing_ok=True)
    return stopped


def _alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True

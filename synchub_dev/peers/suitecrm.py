"""A real SuiteCRM 7.14 for tests and the demo, run by the peer scripts in ``../shared/peers/suitecrm``.

``start_suitecrm.sh PORT`` prints ``URL CLIENT_ID CLIENT_SECRET USER PASSWORD PID`` and writes the
rest to ``$SUITECRM_PEER_HOME/inst-PORT/peer.env``; ``reset_suitecrm.sh PORT`` restores the freshly
installed rows; ``stop_suitecrm.sh PORT`` stops the server and drops the instance.

On top, each instance gets SyncHub's custom fields the way an administrator adds them (the Module
Loader package, installed with SuiteCRM's own ModuleInstaller by ``suitecrm_install_package.php``). The
scripts' reset knows nothing of them, so after each reset :meth:`SuiteCrmInstance.reset` puts back
the rows the install wrote (``fields_meta_data``, ``upgrade_history``) and empties the tables it
created. An instance records the pytest process that owns it; :func:`sweep_orphans` stops
instances whose owner died without stopping them (e.g. killed with SIGKILL).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from connectors.base import ConnectionSettings

REPO = Path(__file__).resolve().parents[2]
INSTALLER = Path(__file__).with_name("suitecrm_install_package.php")
OWNER_FILE = "synchub-owner"
PHP = "php8.2"


class PeerUnavailable(RuntimeError):
    """The SuiteCRM peer cannot run here; the message says why."""


def peer_scripts() -> Path:
    """The peer's folder: ``$SYNCHUB_SUITECRM_PEER`` or ``<repo>/../shared/peers/suitecrm``."""
    return Path(os.environ.get("SYNCHUB_SUITECRM_PEER") or REPO.parent / "shared" / "peers" / "suitecrm")


def peer_home() -> Path:
    return Path(os.environ.get("SUITECRM_PEER_HOME") or "/var/tmp/suitecrm-peer")


def mysql_args() -> list[str]:
    return shlex.split(os.environ.get("SUITECRM_MYSQL_ROOT") or "-uroot")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(cmd: list[str], *, what: str, timeout: float, **kw: object) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)  # type: ignore[call-overload]
    except subprocess.TimeoutExpired as exc:
        raise PeerUnavailable(f"{what} took more than {timeout:.0f}s") from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise PeerUnavailable(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc


def _process_start(pid: int) -> str | None:
    """The start time of ``pid`` (clock ticks since boot), to tell it from a later process with its pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


@dataclass
class SuiteCrmInstance:
    port: int
    url: str
    client_id: str
    client_secret: str = field(repr=False)
    user: str
    password: str = field(repr=False)
    cc_client_id: str
    cc_client_secret: str = field(repr=False)
    database: str
    root: Path
    seconds: bool
    restore_sql: str = field(default="", repr=False)

    def connection(self, grant: str = "password", **extra: str) -> ConnectionSettings:
        if grant == "client_credentials":
            return ConnectionSettings(
                "suitecrm",
                host="127.0.0.1",
                port=self.port,
                extra={
                    "scheme": "http",
                    "grant_type": "client_credentials",
                    "client_id": self.cc_client_id,
                    "client_secret": self.cc_client_secret,
                    **extra,
                },
            )
        return ConnectionSettings(
            "suitecrm",
            host="127.0.0.1",
            port=self.port,
            login=self.user,
            password=self.password,
            extra={
                "scheme": "http",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                **extra,
            },
        )

    def connection_uri(self, grant: str = "password") -> str:
        """The instance as a SyncHub connection URI (``SYNCHUB_CONN_<ID>``), secrets URL-encoded."""
        conn = self.connection(grant)
        extra = urlencode(dict(conn.extra))
        who = (
            f"{quote(conn.login or '', safe='')}:{quote(conn.password or '', safe='')}@" if conn.login else ""
        )
        return f"suitecrm://{who}{conn.host}:{conn.port}/?{extra}"

    def sql(self, statement: str) -> list[list[str]]:
        """Rows of a query on the instance's database (tests look beneath the API with it)."""
        proc = _run(
            ["mysql", *mysql_args(), "--default-character-set=utf8mb4", "-N", "-B", "--raw", self.database],
            what="mysql",
            timeout=60,
            input=statement,
        )
        return [line.split("\t") for line in proc.stdout.splitlines()]

    def reset(self) -> None:
        """Back to the installed state plus SyncHub's fields, without data (about 0.2-0.5 s)."""
        _run(
            ["bash", str(peer_scripts() / "reset_suitecrm.sh"), str(self.port)],
            what="reset_suitecrm.sh",
            timeout=120,
        )
        if self.restore_sql:
            self.sql(self.restore_sql)

    def install_package(self, package: Path) -> None:
        """Install a Module Loader package; remember what a reset must restore afterwards."""
        before = set(self._tables())
        _run(
            [PHP, str(INSTALLER), str(package)],
            what="installing the SyncHub fields package",
            timeout=300,
            cwd=self.root,
        )
        created = sorted(set(self._tables()) - before)
        kept = ["fields_meta_data", "upgrade_history"]
        dump = _run(
            [
                "mysqldump",
                *mysql_args(),
                "--no-create-info",
                "--skip-triggers",
                "--compact",
                "--complete-insert",
                "--single-transaction",
                self.database,
                *kept,
            ],
            what="mysqldump",
            timeout=120,
        ).stdout
        self.restore_sql = "\n".join(
            [
                "SET FOREIGN_KEY_CHECKS=0;",
                "START TRANSACTION;",
                *(f"DELETE FROM `{t}`;" for t in [*kept, *created]),
                dump,
                "COMMIT;",
            ]
        )

    def stop(self) -> None:
        stop_port(self.port)

    def _tables(self) -> list[str]:
        rows = self.sql(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema='{self.database}'"
        )
        return [row[0] for row in rows]


def start(*, seconds: bool = False, owned: bool = True) -> SuiteCrmInstance:
    """A new instance on a free port (3-5 s with the golden install cached, 60-90 s the first time).

    ``owned``: the instance belongs to this process (a test session), and :func:`sweep_orphans`
    stops it once the process is gone; the demo's instances outlive the command that starts them."""
    scripts = peer_scripts()
    if not (scripts / "start_suitecrm.sh").is_file():
        raise PeerUnavailable(f"no SuiteCRM peer scripts at {scripts} (set SYNCHUB_SUITECRM_PEER)")
    env = {**os.environ, "SUITECRM_SECONDS": "1" if seconds else "0"}
    for attempt in range(3):
        port = free_port()
        try:
            proc = _run(
                ["bash", str(scripts / "start_suitecrm.sh"), str(port)],
                what=f"start_suitecrm.sh {port}",
                timeout=900,
                env=env,
            )
            break
        except PeerUnavailable as exc:  # the free port was taken before the server bound it
            if "already in use" not in str(exc) or attempt == 2:
                raise
    url, client_id, client_secret, user, password, _pid = proc.stdout.split()
    values = dict(
        line.split("=", 1)
        for line in (peer_home() / f"inst-{port}" / "peer.env").read_text().splitlines()
        if "=" in line
    )
    instance = SuiteCrmInstance(
        port=port,
        url=url,
        client_id=client_id,
        client_secret=client_secret,
        user=user,
        password=password,
        cc_client_id=values["SUITECRM_CC_CLIENT_ID"],
        cc_client_secret=values["SUITECRM_CC_CLIENT_SECRET"],
        database=values["SUITECRM_DB"],
        root=Path(values["SUITECRM_ROOT"]),
        seconds=seconds,
    )
    if owned:
        me = os.getpid()
        (peer_home() / f"inst-{port}" / OWNER_FILE).write_text(f"{me} {_process_start(me)}\n")
    return instance


def stop_port(port: int) -> None:
    """``stop_suitecrm.sh PORT``: the server's process group, its database and its folder."""
    subprocess.run(
        ["bash", str(peer_scripts() / "stop_suitecrm.sh"), str(port)],
        capture_output=True,
        timeout=120,
        check=False,
    )


def sweep_orphans() -> list[int]:
    """Stop instances that a test session started and did not stop (its process is gone)."""
    stopped = []
    for owner in peer_home().glob(f"inst-*/{OWNER_FILE}"):
        with contextlib.suppress(OSError, ValueError):
            pid_text, started = owner.read_text().split()
            if _process_start(int(pid_text)) == started:
                continue  # its session is still running
            port = int(owner.parent.name.removeprefix("inst-"))
            stop_port(port)
            # a child of the dead session (e.g. the package installer) may have written on meanwhile
            shutil.rmtree(owner.parent, ignore_errors=True)
            stopped.append(port)
    return stopped

"""Shared plumbing for local peer servers: their venvs, free ports, and process groups."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


class PeerError(RuntimeError):
    """A peer could not be installed, started or reached; the message says what to do."""


def peers_dir() -> Path:
    """Where peer venvs, templates and running instances live (``$SYNCHUB_PEERS_DIR`` or ``.peers/``)."""
    path = Path(os.environ.get("SYNCHUB_PEERS_DIR") or REPO_ROOT / ".peers")
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_venv(
    name: str,
    python: str,
    requirements: Sequence[str],
    *,
    log: Callable[[str], None] = lambda line: None,
) -> Path:
    """A venv ``.peers/<name>`` with ``requirements`` installed; reused while the list is unchanged."""
    venv = peers_dir() / name
    stamp = venv / ".synchub-requirements"
    wanted = hashlib.sha256("\n".join(requirements).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted and (venv / "bin" / "python").exists():
        return venv
    if venv.exists():
        shutil.rmtree(venv)
    log(f"creating {venv} with {python}")
    run_checked([python, "-m", "venv", str(venv)], what=f"create the {name} venv")
    log(f"installing {len(requirements)} packages into {venv} (first time only)")
    run_checked(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *requirements,
        ],
        what=f"install the {name} packages",
    )
    stamp.write_text(wanted)
    return venv


def run_checked(
    cmd: Sequence[str],
    *,
    what: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """Run a setup command; on failure raise :class:`PeerError` with the tail of its output."""
    proc = subprocess.run(
        list(cmd),
        env=dict(env) if env is not None else None,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise PeerError(f"could not {what} (exit {proc.returncode}): {' '.join(cmd[:3])} ...\n{tail}")
    return proc


@dataclass
class ServerProcess:
    """A server started in a process group of its own, so stopping it leaves no workers behind."""

    name: str
    cmd: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    log_path: Path | None = None
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115 - kept open by the child
        self.proc = subprocess.Popen(
            self.cmd,
            env={**os.environ, **self.env},
            cwd=self.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_until(self, ready: Callable[[], bool], *, timeout: float, what: str) -> None:
        """Poll ``ready`` until it is true; fail early (with the log's tail) if the server died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise PeerError(f"{self.name} exited while {what}:\n{self.log_tail()}")
            with contextlib.suppress(Exception):
                if ready():
                    return
            time.sleep(0.2)
        raise PeerError(f"{self.name} was not {what} after {timeout:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path and self.log_path.exists():
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    def stop(self, timeout: float = 10) -> None:
        if self.proc is None:
            return
        stop_group(self.proc.pid, timeout=timeout, reap=self.proc.poll)
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=1)
        self.proc = None


def stop_group(pid: int, *, timeout: float = 10, reap: Callable[[], object] | None = None) -> None:
    """SIGTERM the process group led by ``pid``, then SIGKILL whatever is left.

    ``reap`` (our child's ``poll``) collects the leader once it exits: an unreaped zombie would
    keep the group "alive" and make us wait out the whole timeout.
    """
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if reap is not None:
                reap()
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def python312() -> str:
    """A Python 3.12 interpreter (BottleCRM needs it): $SYNCHUB_PYTHON312, pyenv's 3.12, or python3.12."""
    explicit = os.environ.get("SYNCHUB_PYTHON312")
    if explicit:
        return explicit
    with contextlib.suppress(Exception):
        prefix = subprocess.run(
            ["pyenv", "prefix", "3.12"], capture_output=True, text=True, check=True
        ).stdout.strip()
        candidate = Path(prefix.splitlines()[0]) / "bin" / "python3.12"
        if candidate.exists():
            return str(candidate)
    for root in sorted(Path(os.path.expanduser("~/.pyenv/versions")).glob("3.12*"), reverse=True):
        candidate = root / "bin" / "python3.12"
        if candidate.exists():
            return str(candidate)
    found = shutil.which("python3.12")
    if found:
        return found
    raise PeerError(
        "BottleCRM needs Python 3.12: install it (e.g. `pyenv install 3.12`) or set SYNCHUB_PYTHON312"
    )


def current_python() -> str:
    return sys.executable

"""The Odoo emulator: one database of a chosen version (17, 18 or 19), its users and API keys.

``with OdooEmulator(version=19) as odoo: odoo.url`` serves XML-RPC, JSON-RPC and (19+) JSON-2 on a
127.0.0.1 thread (see ``server.py``). Every call runs in its own transaction stamped with the
emulator clock (UTC, whole seconds; a still clock makes many records share one ``write_date``).
``call()`` changes data as a person working in Odoo would (as the administrator, not the bot).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.emulators.odoo.exceptions import AccessDenied, OperationalError
from tests.emulators.odoo.models import ALL_MODELS
from tests.emulators.odoo.orm import CallState, Environment
from tests.emulators.odoo.registry import Registry
from tests.emulators.odoo.rpc import call_kw
from tests.emulators.odoo.seed import ADMIN_UID, BOT_UID, seed

__all__ = ["DEFAULT_MODULES", "ApiKey", "InjectedFault", "OdooEmulator"]

DEFAULT_MODULES = frozenset({"base", "base_vat", "product", "account", "sale", "project", "sale_project"})
Clock = Callable[[], datetime]
REFERENCE_DATA = {
    "res.country": "Administration/Settings",
    "res.country.state": "Administration/Settings",
    "res.currency": "Administration/Settings",
    "res.company": "Administration/Settings",
    "res.users": "Administration/Access Rights",
    "ir.module.module": "Administration/Settings",
    "account.payment.term": "Invoicing/Administrator",
    "account.tax": "Invoicing/Administrator",
    "uom.uom": "Inventory/Administrator",
}
"""Models a sales integration user only reads (its groups do not allow changes)."""
API_KEY_MAX_DAYS = 90


@dataclass
class ApiKey:
    key: str
    uid: int
    expires: datetime | None

    def valid(self, now: datetime) -> bool:
        return self.expires is None or self.expires >= now


@dataclass
class InjectedFault:
    """What a proxy in front of Odoo might answer instead of Odoo (502, 503, 429...)."""

    status: int
    times: int
    retry_after: int | None = None
    delay: float = 0.0


class OdooEmulator:
    def __init__(
        self,
        *,
        version: int = 19,
        database: str = "synchub",
        login: str = "synchub",
        password: str = "bot-password",
        modules: Iterable[str] = DEFAULT_MODULES,
        languages: Iterable[tuple[str, str]] = (("en_US", "English (US)"), ("fr_FR", "French / Français")),
        lock_confirmed_orders: bool = False,
        legacy_rpc: bool = True,
        clock: Clock | None = None,
    ) -> None:
        if version not in (17, 18, 19):
            raise ValueError("the emulator speaks Odoo 17, 18 and 19")
        self.version = version
        self.legacy_rpc = legacy_rpc
        """False: ``/xmlrpc`` and ``/jsonrpc`` are gone, as announced for Odoo 22."""
        self.database = database
        self.login = login
        self.password = password
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.lock = threading.RLock()
        self.registry = Registry(
            ALL_MODELS,
            version=version,
            modules={"base", *modules},
            settings={"languages": tuple(languages), "lock_confirmed_orders": lock_confirmed_orders},
        )
        self.passwords: dict[int, str] = {ADMIN_UID: "admin", BOT_UID: password}
        self.api_keys: list[ApiKey] = []
        self.faults: list[InjectedFault] = []
        self.log: list[tuple[str, str]] = []
        """(HTTP method, path) of every request, for tests to check what was asked."""
        self.calls: list[tuple[str, str, str]] = []
        """(transport, model, method) of every model call."""
        self.run(1, seed)
        for model, group in REFERENCE_DATA.items():
            for operation in ("create", "write", "unlink"):
                self.deny(model, operation, group)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # -- time and transactions --------------------------------------------------------------------
    def now(self) -> datetime:
        """The clock as Odoo stores it: naive UTC, whole seconds."""
        value = self.clock()
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=0)

    def run(self, uid: int, work: Callable[[Environment], Any], context: dict[str, Any] | None = None) -> Any:
        """One transaction: committed when ``work`` returns, rolled back when it raises."""
        with self.lock:
            env = self.registry.env(uid, dict(context or {}), CallState(self.now()))
            self.registry.db.begin()
            try:
                result = work(env)
            except BaseException:
                self.registry.db.rollback()
                raise
            self.registry.db.commit()
            return result

    def call(self, model: str, method: str, *args: Any, uid: int = ADMIN_UID, **kwargs: Any) -> Any:
        """Call a model method as a user in Odoo would (default: the administrator), in one transaction."""
        return self.run(uid, lambda env: call_kw(env, model, method, list(args), kwargs))

    # -- users and keys ---------------------------------------------------------------------------
    @property
    def uid(self) -> int:
        """The integration user's id (the bot the connection logs in as)."""
        return BOT_UID

    def add_api_key(self, *, uid: int = BOT_UID, days: int = API_KEY_MAX_DAYS, key: str | None = None) -> str:
        """An API key as Preferences > Account Security makes one (at most three months in 19)."""
        if self.version >= 19 and not 1 <= days <= API_KEY_MAX_DAYS:
            raise ValueError("Odoo 19 API keys last at most three months")
        value = key or secrets.token_hex(20)
        self.api_keys.append(ApiKey(value, uid, self.now() + timedelta(days=days)))
        return value

    def key_owner(self, key: str) -> int | None:
        now = self.now()
        for api_key in self.api_keys:
            if secrets.compare_digest(api_key.key, key) and api_key.valid(now):
                return api_key.uid
        return None

    def _active(self, uid: int) -> bool:
        row = self.registry.db.row("res.users", uid)
        return bool(row and row.get("active"))

    def check_credentials(self, uid: int, secret: Any) -> bool:
        if not isinstance(secret, str) or not self._active(uid):
            return False
        password = self.passwords.get(uid)
        if password is not None and secrets.compare_digest(password, secret):
            return True
        return self.key_owner(secret) == uid

    def check_database(self, db: Any) -> None:
        if db != self.database:
            raise OperationalError(
                f'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: '
                f'FATAL:  database "{db}" does not exist'
            )

    def authenticate(self, db: Any, login: Any, password: Any) -> int | bool:
        self.check_database(db)
        for uid, row in self.registry.db.tables["res.users"].items():
            if row.get("login") == login and self.check_credentials(uid, password):
                return uid
        return False

    def check(self, db: Any, uid: Any, password: Any) -> int:
        self.check_database(db)
        uid = int(uid)
        if not self.check_credentials(uid, password):
            raise AccessDenied()
        return uid

    def deny(self, model: str, operation: str, group: str = "Administration/Settings") -> None:
        """The integration user loses ``operation`` (read/write/create/unlink) on ``model``."""
        self.registry.denied[(model, operation)] = group

    # -- faults -----------------------------------------------------------------------------------
    def fail_next(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        self.faults.append(InjectedFault(status, times, retry_after))

    def delay_next(self, seconds: float, *, times: int = 1) -> None:
        self.faults.append(InjectedFault(0, times, delay=seconds))

    def take_fault(self) -> InjectedFault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # -- inspection -------------------------------------------------------------------------------
    def rows(self, model: str) -> dict[int, dict[str, Any]]:
        """Raw rows (stored values, archived included) of a model."""
        with self.lock:
            return {i: dict(row) for i, row in self.registry.db.tables[model].items()}

    def row(self, model: str, record_id: int) -> dict[str, Any] | None:
        with self.lock:
            row = self.registry.db.row(model, record_id)
            return dict(row) if row is not None else None

    # -- life cycle -------------------------------------------------------------------------------
    def start(self) -> OdooEmulator:
        from tests.emulators.odoo.server import serve

        self._server, self._thread = serve(self)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OdooEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the emulator first"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

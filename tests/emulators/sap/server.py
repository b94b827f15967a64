"""An SAP S/4HANA system as SAP Gateway (OData v2) shows it, for the services whose EDMX it loaded.

Runs on a 127.0.0.1 thread. It is as strict as the metadata: operations and properties the EDMX
annotations forbid are refused (``contract.py``), values its facets forbid are refused
(``values.py``), ETags exist only where a property declares ``ConcurrencyMode="Fixed"``. Besides:
authentication (basic or OAuth 2.0 client credentials), CSRF tokens on writes, S/4HANA's own
checks and derivations (``business.py``), a system time zone for the local date/time fields, and
no server-side paging unless ``page_size`` asks for it (Gateway services do not guarantee any).

Every request is journaled (``exchanges``, and ``SapEmulator.journal`` for the whole test session)
with the kind of refusal it got, so a test can prove a client never sent a forbidden request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from tests.emulators.sap.business import Rules
from tests.emulators.sap.data import Clock, Key, Record, ServiceData
from tests.emulators.sap.errors import Kind
from tests.emulators.sap.metadata import ServiceModel, load_service

__all__ = ["SERVICE_ROOT", "Exchange", "Fault", "SapEmulator"]

SERVICE_ROOT = "/sap/opu/odata/sap/"
CreatedHook = Callable[[str, str, Record], None]


@dataclass
class Fault:
    status: int
    method: str | None
    times: int


@dataclass(frozen=True)
class Exchange:
    """One request and how it was answered; ``refusal`` is the error kind, None when accepted."""

    method: str
    path: str
    user_agent: str
    status: int
    refusal: Kind | None = None
    message: str = ""


class SapEmulator:
    """SAP S/4HANA's OData v2 APIs, in process. ``with SapEmulator(dir) as sap: sap.url``."""

    journal: ClassVar[list[Exchange]] = []
    """Every exchange of every emulator in this process (the test session's record)."""

    def __init__(
        self,
        contracts_dir: Path,
        *,
        user: str = "SYNCHUB",
        password: str = "Welcome1!",
        client_id: str = "synchub-client",
        client_secret: str = "s3cret",
        page_size: int | None = None,
        clock: Clock | None = None,
        timezone: str = "UTC",
        list_prices: dict[str, Decimal] | None = None,
        manual_conditions: Iterable[str] = ("PPR0",),
    ) -> None:
        self.user, self.password = user, password
        self.client_id, self.client_secret = client_id, client_secret
        self.page_size = page_size
        """Server-side paging (``__next`` links) after this many entities; None: none at all."""
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.zone = ZoneInfo(timezone)
        self.list_prices: dict[str, Decimal] = dict(list_prices or {})
        """Prices SAP determines by itself (condition records) for items sent without one."""
        self.manual_conditions = frozenset(manual_conditions)
        """Condition types a client may enter on an item (a manual price)."""
        self.lock = threading.RLock()
        self.services: dict[str, ServiceModel] = {}
        self.data: dict[str, ServiceData] = {}
        self.unavailable: list[str] = []
        """Services whose EDMX file is empty: not emulated (SAP answers 404 for them)."""
        for path in sorted(Path(contracts_dir).glob("*.edmx")):
            if not path.read_bytes().strip():
                self.unavailable.append(path.stem)
                continue
            model = load_service(path)
            self.services[model.name] = model
            self.data[model.name] = ServiceData(model, lambda: self.clock(), self.lock, self.zone)
        self.rules = Rules(self)
        self.csrf_tokens: set[str] = set()
        self.access_tokens: set[str] = set()
        self.faults: list[Fault] = []
        self.exchanges: list[Exchange] = []
        self.on_created: CreatedHook | None = None
        """Called after a POST is saved and before it is answered (a test can kill the client here)."""
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle -----------------------------------------------------------------------------
    def start(self) -> SapEmulator:
        from tests.emulators.sap.handler import GatewayHandler

        emulator = self

        class Handler(GatewayHandler):
            sap = emulator

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SapEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the emulator first"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth/token"

    @property
    def log(self) -> list[tuple[str, str]]:
        """(method, path with query) of every request, for tests to check what was asked."""
        return [(e.method, e.path) for e in self.exchanges]

    def record(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)
        SapEmulator.journal.append(exchange)

    # -- test hooks -----------------------------------------------------------------------------
    def expire_csrf_tokens(self) -> None:
        """As when the SAP session times out: every CSRF token handed out so far is refused."""
        self.csrf_tokens.clear()

    def fail_next(self, status: int, *, method: str | None = None, times: int = 1) -> None:
        self.faults.append(Fault(status, method, times))

    def seed(self, service: str, entity_set: str, body: Record) -> Record:
        """Create a record as a user in SAP's own screens would (JSON wire values, deep data allowed):
        SAP's checks and derivations apply, the API's capability annotations do not."""
        target = self.services[service].sets[entity_set]
        with self.lock:
            self.rules.check_create(service, target, body, None)
            record, _ = self.data[service].create(target, body)
            self.rules.after_create(service, target, record)
            return dict(record)

    def change(self, service: str, entity_set: str, key: Key, **values: Any) -> Record:
        """Change a record as a user in SAP would (JSON wire values; new change stamps and ETag)."""
        target = self.services[service].sets[entity_set]
        data = self.data[service]
        with self.lock:
            typed, _ = data.typed(target.type, values)
            return dict(data.update(target, key, typed))

    def rows(self, service: str, entity_set: str) -> list[Record]:
        with self.lock:
            return [dict(r) for r in self.data[service].rows[entity_set].values()]

    def get(self, service: str, entity_set: str, *key: Any) -> Record | None:
        with self.lock:
            row = self.data[service].rows[entity_set].get(tuple(key))
            return dict(row) if row is not None else None

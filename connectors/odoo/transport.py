"""The one operation every Odoo transport offers: call a model method, by parameter name.

``call("res.partner", "search_read", params={"domain": [...], "fields": [...]}, context={...})``
works the same over JSON-2 (19+) and XML-RPC (16-18): parameters are named as in JSON-2 and the
XML-RPC transport turns them into ``execute_kw``'s positional and keyword arguments. ``ids`` is for
record methods (``read``, ``write``, ``unlink``, ``action_confirm``); leave it ``None`` for
``@api.model`` methods (``search_read``, ``create``, ``fields_get``). Every failure is a
``connectors.base`` error (see ``errors.py``); nothing of ``requests`` or ``xmlrpc.client`` escapes.

``open_transport`` picks the transport from the settings, or for ``auto`` from ``GET /web/version``
(Odoo 18+ answers it; 19+ gets JSON-2, anything else XML-RPC).
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import requests

from connectors.base import PermanentError, TransientError
from connectors.odoo.settings import OdooSettings

__all__ = ["OdooTransport", "detect_major_version", "encode", "http_date", "open_transport", "parse_major"]

log = logging.getLogger("connectors.odoo")


def encode(value: Any) -> Any:
    """Python values as Odoo takes them: datetimes as UTC ``YYYY-MM-DD HH:MM:SS``, dates as
    ``YYYY-MM-DD``, Decimals as floats, tuples as lists (mappings and lists recursively)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def http_date(value: str | None) -> datetime | None:
    """An HTTP ``Date`` header as an aware UTC datetime."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def parse_major(version_info: Any) -> int | None:
    """``[19, 0, 0, 'final', 0, '']`` -> 19; SaaS builds say ``'saas~18'`` first."""
    if not isinstance(version_info, list | tuple) or not version_info:
        return None
    head = version_info[0]
    if isinstance(head, int):
        return head
    digits = str(head).rsplit("~", 1)[-1]
    return int(digits) if digits.isdigit() else None


class OdooTransport(abc.ABC):
    """A connection to one Odoo database as one user."""

    name: ClassVar[str]

    def __init__(self, settings: OdooSettings) -> None:
        self.settings = settings

    @abc.abstractmethod
    def call(
        self,
        model: str,
        method: str,
        *,
        ids: Sequence[int] | None = None,
        params: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Any:
        """The method's result as Odoo returns it (recordsets as id lists)."""

    @property
    @abc.abstractmethod
    def uid(self) -> int:
        """The id of the user the calls run as (write_uid of what it writes)."""

    @abc.abstractmethod
    def server_version(self) -> int | None:
        """The server's major version, when it says."""

    @abc.abstractmethod
    def server_time(self) -> datetime | None:
        """The server's clock now (UTC, whole seconds), from the ``Date`` header of a light request;
        ``None`` when the server sends none. Odoo stamps ``write_date`` with its own clock."""

    def close(self) -> None:  # noqa: B027 - transports without resources need nothing
        """Release the connection."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.settings.base_url} db={self.settings.database!r}>"


def detect_major_version(settings: OdooSettings, session: requests.Session | None = None) -> int | None:
    """``GET /web/version`` (no authentication); ``None`` when the server does not answer it (<= 17)."""
    getter = session or requests
    url = f"{settings.base_url}/web/version"
    try:
        response = getter.get(url, timeout=settings.timeout, verify=settings.verify)
    except requests.Timeout as exc:
        raise TransientError(f"odoo: GET {url} timed out after {settings.timeout}s") from exc
    except requests.RequestException as exc:
        raise TransientError(f"odoo: cannot reach {url}: {exc}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientError(f"odoo: GET {url} answered HTTP {response.status_code}")
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return parse_major(body.get("version_info")) if isinstance(body, dict) else None


def open_transport(settings: OdooSettings) -> OdooTransport:
    from connectors.odoo.json2 import Json2Transport
    from connectors.odoo.xmlrpc import XmlRpcTransport

    choice = settings.transport
    if choice == "auto":
        major = detect_major_version(settings)
        choice = "json2" if major is not None and major >= 19 else "xmlrpc"
        log.info("odoo: %s reports major version %s; using %s", settings.base_url, major, choice)
        if choice == "xmlrpc" and not (settings.login and settings.database):
            raise PermanentError(
                "odoo: this server speaks XML-RPC (Odoo <= 18), which needs the login and the database "
                "name in the connection (odoo://LOGIN:SECRET@HOST/DATABASE)"
            )
    if choice == "json2":
        return Json2Transport(settings)
    return XmlRpcTransport(settings)

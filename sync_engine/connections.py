"""Where a configured system's connection settings (host, credentials) come from.

On the command line a system's ``connection`` id names an environment variable
``SYNCHUB_CONN_<ID>`` holding a URI in Airflow's format (the same as ``AIRFLOW_CONN_<ID>``).
Under Airflow the Airflow layer registers a lookup that reads Airflow Connections instead
(:func:`register_lookup`); the engine calls :func:`resolve_connection` either way.
Secrets never appear in error messages: only variable names and the URI *format* do.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping

from connectors.base import ConnectionSettings
from sync_engine.config import SystemConfig

__all__ = [
    "ConnectionLookup",
    "MissingConnection",
    "clear_lookups",
    "env_var_name",
    "register_lookup",
    "resolve_connection",
]

ENV_PREFIX = "SYNCHUB_CONN_"
URI_FORMAT = (
    "type://login:password@host:port/schema?key=value (e.g. tryton://admin:secret@127.0.0.1:8000/sales)"
)

ConnectionLookup = Callable[[str], ConnectionSettings | None]
"""Connection id -> settings, or ``None`` when this source does not know the id."""

_lookups: list[ConnectionLookup] = []


class MissingConnection(LookupError):
    """A system names a connection id that no source provides (or provides unparsable)."""


def register_lookup(lookup: ConnectionLookup) -> None:
    """Consult ``lookup`` before the environment (the Airflow layer registers Airflow Connections)."""
    _lookups.append(lookup)


def clear_lookups() -> None:
    """Forget registered lookups (tests, or leaving an Airflow task)."""
    _lookups.clear()


def env_var_name(connection_id: str) -> str:
    """``erp-conn`` -> ``SYNCHUB_CONN_ERP_CONN``: upper-cased, anything not alphanumeric becomes ``_``."""
    return ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", connection_id.upper())


def resolve_connection(
    system_name: str,
    system: SystemConfig,
    *,
    environ: Mapping[str, str] | None = None,
    lookups: list[ConnectionLookup] | None = None,
) -> ConnectionSettings:
    """The settings to reach ``system``.

    Without a ``connection`` id the system needs no credentials (the in-memory connector): the
    settings carry the connector type and the system name as host (its database name).
    """
    if system.connection is None:
        return ConnectionSettings(conn_type=system.connector, host=system_name)
    for lookup in _lookups if lookups is None else lookups:
        found = lookup(system.connection)
        if found is not None:
            return found
    env = os.environ if environ is None else environ
    variable = env_var_name(system.connection)
    uri = env.get(variable)
    if not uri:
        raise MissingConnection(
            f"system {system_name!r}: connection {system.connection!r} is not set; "
            f"export {variable} with a connection URI: {URI_FORMAT}"
        )
    try:
        return ConnectionSettings.from_uri(uri)
    except ValueError:
        # The parser's message may quote the URI, which holds the password: do not pass it on.
        raise MissingConnection(
            f"system {system_name!r}: {variable} is not a valid connection URI; expected {URI_FORMAT}"
        ) from None

"""Airflow Connections as a source of connector settings (the engine's :func:`register_lookup` seam)."""

from __future__ import annotations

from typing import Any

from connectors.base import ConnectionSettings
from sync_engine import connections

_installed = False


def airflow_connection(conn_id: str) -> ConnectionSettings | None:
    """The Airflow Connection ``conn_id`` as settings, or ``None`` when Airflow does not know it.

    ``None`` lets the engine fall back to ``SYNCHUB_CONN_<ID>``, so one config works from both faces.
    """
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None
    return settings_from(conn)


def settings_from(conn: Any) -> ConnectionSettings:
    """Map an Airflow Connection's fields one to one; ``extra`` is its JSON object.

    Form fields may be stored as ``extra__<type>__<field>`` (older Airflow forms); they count as
    ``<field>``, and a plain key wins over a prefixed one.
    """
    conn_type = (conn.conn_type or "").replace("-", "_")
    raw = conn.extra_dejson if conn.extra else {}
    raw = dict(raw) if isinstance(raw, dict) else {}
    prefix = f"extra__{conn.conn_type}__"
    extra = {
        k.removeprefix(prefix): v for k, v in raw.items() if k.startswith(prefix) and v not in ("", None)
    }
    extra.update({k: v for k, v in raw.items() if not k.startswith("extra__")})
    return ConnectionSettings(
        conn_type=conn_type,
        host=conn.host or None,
        port=int(conn.port) if conn.port else None,
        login=conn.login or None,
        password=conn.password or None,
        schema=conn.schema or None,
        extra=extra,
    )


def install() -> None:
    """Register the Airflow lookup once per process (every task calls this)."""
    global _installed
    if not _installed:
        connections.register_lookup(airflow_connection)
        _installed = True

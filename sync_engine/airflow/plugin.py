"""The SyncHub Airflow plugin: the ops page (a React app in the Airflow UI and its API) and the
run-note listener.

Registered through the ``airflow.plugins`` entry point (``synchub``), so installing SyncHub into
Airflow's environment is enough. The API and the page's script are served at ``/synchub`` on the
api-server; the page is **SyncHub** in the Airflow navigation (``/plugin/synchub``), rendered by the
Airflow UI itself with its own components and theme.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from airflow.plugins_manager import AirflowPlugin
from fastapi import FastAPI

from sync_engine.airflow import run_notes
from sync_engine.airflow.auth import AirflowAuthorizer
from sync_engine.airflow.ops.audit import AirflowAuditLog
from sync_engine.airflow.ops.dag_runs import AirflowDagRuns
from sync_engine.airflow.phases import config_from_env
from sync_engine.airflow.review_app import State, create_app
from sync_engine.flows import open_store

URL_PREFIX = "/synchub"
PAGE_ROUTE = "synchub"
# The Airflow UI imports this (relative to its own base URL) and renders the component it defines.
BUNDLE_URL = f"{URL_PREFIX.lstrip('/')}/ui/ops.js"


class _LazyState:
    """Loads config and store on first request (the api-server may start before the config exists)."""

    def __init__(self) -> None:
        self._state: State | None = None
        self._lock = threading.Lock()

    def __call__(self) -> State:
        with self._lock:
            if self._state is None:
                config = config_from_env()
                self._state = State(config, open_store(config))
            return self._state


def ops_app() -> FastAPI:
    from airflow.configuration import conf

    return create_app(
        _LazyState(),
        AirflowAuthorizer(),
        secret=conf.get("api", "secret_key"),
        dag_runs=AirflowDagRuns(),
        audit=AirflowAuditLog(),
    )


class SyncHubPlugin(AirflowPlugin):
    name = "synchub"
    fastapi_apps: ClassVar[list[dict[str, Any]]] = [
        {"app": ops_app(), "url_prefix": URL_PREFIX, "name": "SyncHub ops API"}
    ]
    react_apps: ClassVar[list[dict[str, Any]]] = [
        {
            "name": "SyncHub",
            "bundle_url": BUNDLE_URL,
            "destination": "nav",
            "url_route": PAGE_ROUTE,
        }
    ]
    listeners: ClassVar[list[Any]] = [run_notes]

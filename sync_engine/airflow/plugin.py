"""The SyncHub Airflow plugin: conflict review app, its navigation entry, and the run-note listener.

Registered through the ``airflow.plugins`` entry point (``synchub``), so installing SyncHub into
Airflow's environment is enough. The review app is mounted at ``/synchub`` on the api-server and
shown inside the Airflow UI at ``/plugin/synchub``.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from airflow.plugins_manager import AirflowPlugin
from fastapi import FastAPI

from sync_engine.airflow import run_notes
from sync_engine.airflow.auth import AirflowAuthorizer
from sync_engine.airflow.phases import config_from_env
from sync_engine.airflow.review_app import State, create_app
from sync_engine.flows import open_store

URL_PREFIX = "/synchub"


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


def review_app() -> FastAPI:
    from airflow.configuration import conf

    return create_app(_LazyState(), AirflowAuthorizer(), secret=conf.get("api", "secret_key"))


class SyncHubPlugin(AirflowPlugin):
    name = "synchub"
    fastapi_apps: ClassVar[list[dict[str, Any]]] = [
        {"app": review_app(), "url_prefix": URL_PREFIX, "name": "SyncHub conflict review"}
    ]
    external_views: ClassVar[list[dict[str, Any]]] = [
        {
            "name": "SyncHub",
            "href": f"{URL_PREFIX}/conflicts",
            "destination": "nav",
            "category": "SyncHub",
            "url_route": "synchub",
        }
    ]
    listeners: ClassVar[list[Any]] = [run_notes]

"""SyncHub: one DAG per flow of the config named by ``SYNCHUB_CONFIG``.

A missing or broken config raises here, so it shows as a DAG import error in the Airflow UI with
the config's ``file:line: message`` lines, rather than silently producing no DAGs.
"""

from __future__ import annotations

from sync_engine.airflow.dag_factory import build_dags
from sync_engine.airflow.phases import config_from_env

globals().update(build_dags(config_from_env()))

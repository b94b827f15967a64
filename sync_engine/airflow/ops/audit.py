"""Every decision taken on the ops page goes to Airflow's own audit log, one entry per record.

The store already keeps who resolved a conflict and when; the Airflow audit log ("Browse > Audit
Log", filterable by DAG) puts it where Airflow admins look for who changed what.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

__all__ = ["AirflowAuditLog", "AuditSink"]


class AuditSink(Protocol):
    def record(self, *, event: str, dag_id: str, user: str, extra: dict[str, Any]) -> None: ...


class AirflowAuditLog:
    """Writes ``airflow.models.log.Log`` rows (the api-server may write the metadata database)."""

    def record(self, *, event: str, dag_id: str, user: str, extra: dict[str, Any]) -> None:
        from airflow.models.log import Log
        from airflow.utils.session import create_session

        with create_session() as session:
            session.add(
                Log(
                    event=event,
                    dag_id=dag_id,
                    owner=user,
                    extra=json.dumps(extra, ensure_ascii=False, default=str),
                )
            )

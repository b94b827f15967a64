"""Airflow listener: when a SyncHub DAG run ends, put the ``report`` task's summary in the run's note.

Tasks cannot write a DAG run's note (the Task SDK has no such call and no database access), but
listeners run in the scheduler with the run's own database session: the note is set there.
"""

from __future__ import annotations

from typing import Any

from airflow.listeners import hookimpl
from sqlalchemy.orm import object_session

from sync_engine.airflow.dag_factory import flow_of

REPORT_TASK = "report"


def report_of(dag_run: Any, session: Any) -> dict[str, Any] | None:
    """The ``report`` task's XCom of this run, if it got that far."""
    from airflow.models.xcom import XComModel

    query = XComModel.get_many(
        run_id=dag_run.run_id, key="return_value", task_ids=REPORT_TASK, dag_ids=dag_run.dag_id, limit=1
    )
    row = session.scalars(query).first()
    value = XComModel.deserialize_value(row) if row is not None else None
    return value if isinstance(value, dict) else None


def note_for(dag_run: Any, session: Any) -> str | None:
    result = report_of(dag_run, session)
    if result is None:
        return None
    note = result.get("note")
    return note if isinstance(note, str) else None


def _set_note(dag_run: Any, failed_msg: str | None = None) -> None:
    if flow_of(dag_run.dag_id) is None:
        return
    session = object_session(dag_run)
    if session is not None:  # the scheduler: write within its transaction, it commits
        _write_note(dag_run, session, failed_msg)
        return
    # ``dag.test()`` hands over a detached run: use a session of our own.
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as own:
        attached = own.get(DagRun, dag_run.id)
        if attached is not None:
            _write_note(attached, own, failed_msg)


def _write_note(dag_run: Any, session: Any, failed_msg: str | None) -> None:
    note = note_for(dag_run, session)
    if note is None and failed_msg is not None:
        note = f"SyncHub run failed before its report: {failed_msg}. See the `sync` task log."
    if note is not None and dag_run.note is None:  # never overwrite a note a person wrote
        dag_run.note = note


@hookimpl
def on_dag_run_success(dag_run: Any, msg: str) -> None:
    _set_note(dag_run)


@hookimpl
def on_dag_run_failed(dag_run: Any, msg: str) -> None:
    _set_note(dag_run, failed_msg=msg or "failed")

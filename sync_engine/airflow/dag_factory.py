"""One Airflow DAG per SyncHub flow, built from a loaded config.

Layout of every DAG: ``plan`` (dry run) -> ``sync`` (the real run) -> ``report`` (summary, asset
event). Flows with ``depends_on`` are scheduled by the Assets of the flows they depend on (and by
their own cron, if any), so quotes, costs and complaints run after customers and products.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Asset, AssetAll, AssetOrTimeSchedule, CronTriggerTimetable, task

from sync_engine.airflow import phases
from sync_engine.airflow.operators import FLOW_PARAMS, SyncHubFlowOperator
from sync_engine.config import Config, FlowConfig

DAG_PREFIX = "synchub_"
POOL_PREFIX = "synchub_"
START_DATE = datetime(2024, 1, 1, tzinfo=UTC)
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "synchub",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,  # 30 s, 1 min, 2 min ... capped below
    "max_retry_delay": timedelta(minutes=15),
}


def dag_id(flow: str) -> str:
    return f"{DAG_PREFIX}{flow}"


def flow_of(dag_id_: str) -> str | None:
    """The flow a SyncHub DAG id belongs to, or ``None`` for other DAGs."""
    return dag_id_[len(DAG_PREFIX) :] if dag_id_.startswith(DAG_PREFIX) else None


def pool_name(system: str) -> str:
    """One pool per system bounds concurrent API use across all flows touching it."""
    return f"{POOL_PREFIX}{system}"


def flow_asset(flow: str) -> Asset:
    """Updated by every successful run of ``flow``; dependants are scheduled on it."""
    return Asset(name=f"{DAG_PREFIX}{flow}", uri=f"synchub://flows/{flow}")


def write_pool(flow: FlowConfig) -> str:
    """The pool of the system a flow writes to; two-way flows count against the ERP (the scarcer API)."""
    return pool_name(flow.crm if flow.direction == "erp_to_crm" else flow.erp)


def schedule_of(config: Config, flow: FlowConfig) -> Any:
    deps = [flow_asset(d) for d in flow.depends_on if d in config.flows and config.flows[d].enabled]
    if not deps:
        return flow.schedule
    condition = deps[0] if len(deps) == 1 else AssetAll(*deps)
    if flow.schedule is None:
        return condition
    return AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(flow.schedule, timezone="UTC"), assets=condition
    )


def tags_of(config: Config, flow: FlowConfig) -> list[str]:
    systems = {flow.erp, flow.crm}
    connectors = {config.systems[s].connector for s in systems}
    return sorted(
        {"synchub", f"entity:{flow.entity}"}
        | {f"system:{s}" for s in systems}
        | {f"connector:{c}" for c in connectors}
    )


def build_dag(config: Config, flow: FlowConfig, alert: Any = None) -> DAG:
    name = flow.name
    asset = flow_asset(name)
    with DAG(
        dag_id=dag_id(name),
        description=f"SyncHub: {flow.entity} between {flow.erp} (ERP) and {flow.crm} (CRM), {flow.direction}",
        schedule=schedule_of(config, flow),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        tags=tags_of(config, flow),
        doc_md=_doc(flow),
        params=dict(FLOW_PARAMS),
    ) as dag:
        plan = SyncHubFlowOperator(task_id="plan", flow=name, mode="plan", pool=pool_name(flow.erp))
        synced = SyncHubFlowOperator(task_id="sync", flow=name, pool=write_pool(flow))

        @task(task_id="report", outlets=[asset], retries=1, multiple_outputs=False)
        def report_task(synced: dict[str, Any], **context: Any) -> dict[str, Any]:
            result = phases.report(phases.config_from_env(), name, synced)
            # The asset event carries counts only; dependants can read them from the event.
            context["outlet_events"][asset].extra = {
                k: result[k] for k in ("run_id", "status", "new_conflicts", "open_conflicts")
            }
            return result

        @task(task_id="review", retries=0, on_failure_callback=alert, multiple_outputs=False)
        def review_task(reported: dict[str, Any]) -> dict[str, Any]:
            # A run that needs a person fails here (after the asset event), not green.
            phases.raise_if_attention(reported)
            return {"needs_attention": False}

        plan >> synced
        review_task(report_task(synced.output))
    return dag


def build_dags(config: Config, *, alert: Any = None) -> dict[str, DAG]:
    """Every enabled flow's DAG, keyed by DAG id.

    ``alert``: an Airflow failure callback or notifier (e.g. ``SmtpNotifier``) called when a run's
    ``review`` task fails because the run opened conflicts or left dead letters.
    """
    return {dag_id(f.name): build_dag(config, f, alert) for f in config.flows.values() if f.enabled}


def _doc(flow: FlowConfig) -> str:
    deps = ", ".join(flow.depends_on) or "none"
    return (
        f"### SyncHub flow `{flow.name}`\n\n"
        f"- entity: `{flow.entity}`; ERP `{flow.erp}`, CRM `{flow.crm}`; direction `{flow.direction}`\n"
        f"- schedule: `{flow.schedule}`; runs after: {deps}\n"
        f"- pools: `{pool_name(flow.erp)}`, `{write_pool(flow)}` (create them: `airflow pools set ...`)\n\n"
        "Tasks: `plan` (dry run) -> `sync` (the real run) -> `report` (note, asset event) -> `review`\n"
        "(fails when the run opened conflicts or left dead letters).\n"
        "Trigger with config: `dry_run`, `reconcile_deletes`, `page_size`, `batch_size`.\n"
        "Conflicts are reviewed under **SyncHub** in the navigation."
    )

"""``SyncHubFlowOperator``: run (or dry-run) one SyncHub flow as an Airflow task, in any DAG.

The generated DAGs use it for ``plan`` and ``sync``; your own DAGs can too::

    SyncHubFlowOperator(task_id="customers", flow="customers", config_path="/opt/synchub/synchub.yaml")

Connections come from Airflow (then ``SYNCHUB_CONN_<ID>``). The run's options come from the
operator's arguments, else from the DAG run's params (``dry_run``, ``reconcile_deletes``,
``page_size``, ``batch_size``: ``FLOW_PARAMS``, which the generated DAGs declare), validated by
:class:`~sync_engine.airflow.phases.RunOptions`. Only ids and counts go to XCom.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from airflow.sdk import BaseOperator, Param
from pydantic import ValidationError

from sync_engine.airflow import phases
from sync_engine.airflow.connections import install as install_connection_lookup
from sync_engine.config import Config, load_config

SIZE = {"type": ["null", "integer"], "minimum": 1, "maximum": 10_000}
FLOW_PARAMS: dict[str, Param] = {
    "dry_run": Param(False, type="boolean", description="Plan only: read and merge, write nothing."),
    "reconcile_deletes": Param(
        False,
        type="boolean",
        description="Compare every id with the links now, whatever the flow's schedule.",
    ),
    "page_size": Param(
        None, description="Records per read call for this run (1-10000; empty: the flow's).", **SIZE
    ),
    "batch_size": Param(
        None, description="Records per write call for this run (1-10000; empty: the flow's).", **SIZE
    ),
}
OPTION_NAMES = tuple(FLOW_PARAMS)


class SyncHubFlowOperator(BaseOperator):
    """One run of ``flow``: ``mode="sync"`` the real run (a dry run when asked), ``"plan"`` always dry."""

    template_fields: Sequence[str] = ("flow", "config_path")
    ui_color = "#d8ecf3"

    def __init__(
        self,
        *,
        flow: str,
        mode: Literal["sync", "plan"] = "sync",
        config_path: str | None = None,
        dry_run: bool | None = None,
        reconcile_deletes: bool | None = None,
        page_size: int | None = None,
        batch_size: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if mode not in ("sync", "plan"):
            raise ValueError(f"SyncHubFlowOperator mode must be 'sync' or 'plan', not {mode!r}")
        self.flow = flow
        self.mode = mode
        self.config_path = config_path
        self._done: tuple[Config, dict[str, Any]] | None = None  # for OpenLineage, after execute
        self.explicit = {
            k: v
            for k, v in (
                ("dry_run", dry_run),
                ("reconcile_deletes", reconcile_deletes),
                ("page_size", page_size),
                ("batch_size", batch_size),
            )
            if v is not None
        }

    def options(self, params: Any) -> phases.RunOptions:
        """This run's options: the operator's arguments, else the DAG run's params."""
        given = {k: params[k] for k in OPTION_NAMES if params is not None and k in params}
        try:
            return phases.RunOptions.model_validate({**given, **self.explicit})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ValueError(f"SyncHub flow {self.flow!r}: bad run options ({problems})") from None

    def execute(self, context: Any) -> dict[str, Any]:
        install_connection_lookup()
        config = load_config(Path(self.config_path)) if self.config_path else phases.config_from_env()
        options = self.options(context.get("params"))
        run = phases.plan if self.mode == "plan" else phases.sync
        result = run(config, self.flow, options)
        self._done = (config, result)
        return result

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """Called by the OpenLineage provider's listener when the task succeeded (lineage.py)."""
        from sync_engine.airflow.lineage import flow_lineage  # only where the provider is installed

        if self._done is None:
            return None
        config, result = self._done
        return flow_lineage(config, self.flow, result)

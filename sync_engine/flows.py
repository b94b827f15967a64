"""From a loaded config to running flows: connectors, mappings, order of flows, the store."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack
from graphlib import CycleError, TopologicalSorter

from connectors.base import Connector, load_connector
from sync_engine.config import Config, FlowConfig
from sync_engine.connections import resolve_connection
from sync_engine.mapping import load_mapping
from sync_engine.report import RunReport
from sync_engine.retrying import RetryPolicy
from sync_engine.run import FlowRunner, Progress, StepHook
from sync_engine.store import Store


class FlowNotFound(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def open_store(config: Config) -> Store:
    """The state store named by the config (migrations must already be applied)."""
    store = Store(config.state.url, schema=config.state.schema_)
    store.ensure_current()
    return store


def open_connector(config: Config, system: str) -> Connector:
    """A connector for ``system`` with its connection resolved from the environment or Airflow."""
    sys_cfg = config.systems[system]
    cls = load_connector(sys_cfg.connector)
    return cls(resolve_connection(system, sys_cfg), sys_cfg.options)


def get_flow(config: Config, name: str) -> FlowConfig:
    try:
        return config.flows[name]
    except KeyError:
        known = ", ".join(sorted(config.flows)) or "none"
        raise FlowNotFound(f"no flow named {name!r} in {config.path} (flows: {known})") from None


def flow_order(config: Config, names: Iterable[str] | None = None) -> list[str]:
    """Flows in an order that respects ``depends_on`` (customers before quotes, ...)."""
    wanted = list(names) if names is not None else [n for n, f in config.flows.items() if f.enabled]
    graph = {name: [d for d in get_flow(config, name).depends_on if d in wanted] for name in wanted}
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise ValueError(f"flows depend on each other in a cycle: {exc.args[1]}") from None


def run_flow(
    config: Config,
    name: str,
    store: Store,
    *,
    dry_run: bool = False,
    reconcile_deletes: bool = False,
    connectors: dict[str, Connector] | None = None,
    retry: RetryPolicy | None = None,
    hook: StepHook | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """Run one flow of the config; connectors are opened (and closed) here unless given."""
    flow = get_flow(config, name)
    with ExitStack() as stack:
        if connectors is None:
            connectors = {}
            for role, system in (("erp", flow.erp), ("crm", flow.crm)):
                connectors[role] = stack.enter_context(open_connector(config, system))
        mappings = {
            role: load_mapping(config.mappings_dir, config.systems[system].connector, flow.entity)
            for role, system in (("erp", flow.erp), ("crm", flow.crm))
        }
        concurrency = {
            role: config.systems[system].max_concurrency
            for role, system in (("erp", flow.erp), ("crm", flow.crm))
        }
        runner = FlowRunner(
            flow,
            store,
            connectors,
            mappings,
            retry=retry,
            hook=hook,
            progress=progress,
            concurrency=concurrency,
        )
        return runner.run(dry_run=dry_run, reconcile_deletes=reconcile_deletes)

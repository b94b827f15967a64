"""OpenLineage for a flow run: the real systems and objects it read and wrote, with its counts.

The ``apache-airflow-providers-openlineage`` listener asks ``SyncHubFlowOperator`` for these when a
task ends (``get_openlineage_facets_on_complete``). A dataset is one native object of one system:

- namespace: the system's address, ``<connector>://<host>[:<port>]`` (``memory://<system>``);
- name: the native object, after the database where the system has one (``sales.party.party``
  for Tryton's database ``sales``, ``account`` for BottleCRM).

Inputs: both sides (each is read), with the records read. Outputs: the side(s) the flow writes to,
with the records created, updated and deleted (none for a dry run). The run facet ``synchub`` has
the run's id, status and per-system counts, conflicts opened, dead letters and deferred records.
Connection passwords never reach an event: only host, port and database name are used.
"""

from __future__ import annotations

from typing import Any

import attr
from airflow.providers.openlineage.extractors import OperatorLineage
from openlineage.client.event_v2 import InputDataset, OutputDataset
from openlineage.client.facet_v2 import RunFacet, datasource_dataset
from openlineage.client.generated.input_statistics_input_dataset import InputStatisticsInputDatasetFacet
from openlineage.client.generated.output_statistics_output_dataset import OutputStatisticsOutputDatasetFacet

from connectors.base import PermanentError, load_connector
from sync_engine.config import Config, SystemConfig
from sync_engine.connections import MissingConnection, resolve_connection


@attr.define
class SyncHubRunFacet(RunFacet):
    """What one SyncHub run did: its id, outcome and counts per system."""

    flow: str
    entity: str
    runId: str | None
    status: str | None
    dryRun: bool
    conflicts: int
    deadLetters: int
    deferred: int
    systems: dict[str, dict[str, Any]]

    @staticmethod
    def _get_schema() -> str:
        return "urn:synchub:openlineage:SyncHubRunFacet:1"  # described in docs/airflow.md, OpenLineage


def namespace(system_name: str, system: SystemConfig) -> str:
    """``<connector>://host:port`` from the system's connection (no credentials); the system's name
    when its connection cannot be read here."""
    try:
        settings = resolve_connection(system_name, system)
    except MissingConnection:
        return f"{system.connector}://{system_name}"
    where = settings.host or system_name
    return f"{system.connector}://{where}" + (f":{settings.port}" if settings.port else "")


def object_name(system_name: str, system: SystemConfig, entity: str) -> str:
    """The native object of ``entity`` (``party.party``), after the database (Connection schema)."""
    try:
        native = next(
            (e.native for e in load_connector(system.connector).entity_types if e.name == entity), entity
        )
    except PermanentError:
        native = entity
    try:
        database = resolve_connection(system_name, system).schema
    except MissingConnection:
        database = None
    return f"{database}.{native}" if database else native


def flow_lineage(config: Config, flow_name: str, result: dict[str, Any]) -> OperatorLineage:
    """Inputs, outputs and the run facet of one ``plan``/``sync`` result (phases.py)."""
    flow = config.flows[flow_name]
    writes_to = {"both": {flow.erp, flow.crm}, "erp_to_crm": {flow.crm}, "crm_to_erp": {flow.erp}}[
        flow.direction
    ]
    counts: dict[str, dict[str, Any]] = result.get("systems") or {}
    dry_run = bool(result.get("dry_run")) or "planned" in result
    inputs: list[InputDataset] = []
    outputs: list[OutputDataset] = []
    for system_name in dict.fromkeys((flow.erp, flow.crm)):
        system = config.systems[system_name]
        space, name = namespace(system_name, system), object_name(system_name, system, flow.entity)
        source = {"dataSource": datasource_dataset.DatasourceDatasetFacet(name=system_name, uri=space)}
        mine = counts.get(system_name, {})
        inputs.append(
            InputDataset(
                space,
                name,
                facets=dict(source),
                inputFacets={
                    "inputStatistics": InputStatisticsInputDatasetFacet(rowCount=int(mine.get("read", 0)))
                },
            )
        )
        if system_name in writes_to and not dry_run:
            written = sum(int(mine.get(k, 0)) for k in ("created", "updated", "deleted"))
            outputs.append(
                OutputDataset(
                    space,
                    name,
                    facets=dict(source),
                    outputFacets={"outputStatistics": OutputStatisticsOutputDatasetFacet(rowCount=written)},
                )
            )
    facet = SyncHubRunFacet(
        flow=flow_name,
        entity=flow.entity,
        runId=None if result.get("run_id") is None else str(result["run_id"]),
        status=result.get("status"),
        dryRun=dry_run,
        conflicts=int(result.get("conflicts", 0)),
        deadLetters=int(result.get("dead_letters", 0)),
        deferred=int(result.get("deferred", 0)),
        systems=counts,
    )
    return OperatorLineage(inputs=inputs, outputs=outputs, run_facets={"synchub": facet})

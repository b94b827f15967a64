"""``synchub status``: per flow, the last run, links, open conflicts and dead letters."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sync_engine.cli.config_cmds import ConfigOption
from sync_engine.cli.state import open_state


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if hasattr(value, "strftime") else str(value or "")


def status(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    config: ConfigOption = None,
) -> None:
    """Show each flow's state: last run, linked records, open conflicts and dead letters."""
    with open_state(config) as (cfg, store):
        summary = {row["flow"]: row for row in store.status_summary()}
        rows = []
        for name, flow in cfg.flows.items():
            row = summary.get(name, {"flow": name})
            rows.append({"flow": name, "entity": flow.entity, "enabled": flow.enabled, **row})
    if json_output:
        typer.echo(json.dumps(rows, default=str, ensure_ascii=False, indent=2))
        return
    table = Table(title="SyncHub flows", title_justify="left")
    for column in ("flow", "entity", "links", "last run", "status", "finished", "conflicts", "dead letters"):
        table.add_column(column)
    for row in rows:
        last = row.get("last_run") or {}
        table.add_row(
            row["flow"] + ("" if row["enabled"] else " (disabled)"),
            row["entity"],
            str(row.get("links", 0)),
            f"#{last['id']}" if last else "never",
            str(last.get("status", "")),
            _when(last.get("finished_at")),
            str(row.get("open_conflicts", 0)),
            str(row.get("open_dead_letters", 0)),
        )
    Console().print(table)

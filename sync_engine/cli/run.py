"""``synchub run``: run one flow, or all enabled flows in dependency order."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from connectors.base import ConnectorError
from sync_engine.cli.config_cmds import ConfigOption
from sync_engine.cli.state import open_state
from sync_engine.connections import MissingConnection
from sync_engine.flows import FlowNotFound, flow_order, run_flow
from sync_engine.report import RunReport
from sync_engine.store import FlowLocked


def run(
    flow: Annotated[str | None, typer.Argument(help="Flow to run (a key under `flows:`).")] = None,
    all_flows: Annotated[
        bool, typer.Option("--all", help="Run every enabled flow in dependency order.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read, map and merge, but write nothing.")
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the run report as one JSON object.")
    ] = False,
    reconcile_deletes: Annotated[
        bool,
        typer.Option("--reconcile-deletes", help="Also list every id to find records deleted without trace."),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Run FLOW (or --all flows) once: read changes, merge, write, report."""
    if (flow is None) == (not all_flows):
        typer.echo("Name one FLOW or pass --all (not both).", err=True)
        raise typer.Exit(2)
    console = Console(stderr=json_output)
    reports: list[RunReport] = []
    failed = False
    with open_state(config) as (cfg, store):
        try:
            names = flow_order(cfg) if all_flows else [flow or ""]
            for name in names:
                with _progress(console, enabled=console.is_terminal and not json_output) as tick:
                    try:
                        report = run_flow(
                            cfg,
                            name,
                            store,
                            dry_run=dry_run,
                            reconcile_deletes=reconcile_deletes,
                            progress=tick,
                        )
                    except (FlowLocked, MissingConnection, ConnectorError) as exc:
                        console.print(f"[red]flow {name}: {exc}[/red]")
                        failed = True
                        continue
                reports.append(report)
                if not json_output:
                    _print_report(console, report)
        except FlowNotFound as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
    if json_output:
        payload = (
            reports[0].as_dict() if flow is not None and reports else {"runs": [r.as_dict() for r in reports]}
        )
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    if failed or any(r.status == "failed" for r in reports):
        raise typer.Exit(1)


class _progress:
    """A rich progress display on a terminal; a no-op callback elsewhere (logs, CI, --json)."""

    def __init__(self, console: Console, *, enabled: bool) -> None:
        self.enabled = enabled
        self.console = console
        self._tasks: dict[str, int] = {}

    def __enter__(self):  # type: ignore[no-untyped-def]
        if not self.enabled:
            return lambda event, n: None
        self._bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self._bar.__enter__()

        def tick(event: str, n: int) -> None:
            if event not in self._tasks:
                self._tasks[event] = self._bar.add_task(event, total=None)
            self._bar.advance(self._tasks[event], n)  # type: ignore[arg-type]

        return tick

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._bar.__exit__(None, None, None)


def _print_report(console: Console, report: RunReport) -> None:
    colour = {"success": "green", "partial": "yellow", "failed": "red"}.get(report.status, "white")
    title = f"flow [bold]{report.flow}[/bold] ({report.entity})" + (
        " — dry run, nothing written" if report.dry_run else ""
    )
    table = Table(title=title, title_justify="left")
    for column in ("system", "role", "read", "unchanged", "created", "updated", "deleted", "failed"):
        table.add_column(column, justify="left" if column in ("system", "role") else "right")
    for role, side in report.sides.items():
        table.add_row(
            side.system,
            role,
            *(
                str(getattr(side, k))
                for k in ("read", "unchanged", "created", "updated", "deleted", "failed")
            ),
        )
    console.print(table)
    console.print(
        f"[{colour}]{report.status}[/{colour}] in {report.duration_s:.2f}s — "
        f"conflicts opened: {report.conflicts} (open: {report.open_conflicts}), "
        f"dead letters: {report.dead_letters}, deferred: {report.deferred}, "
        f"resolutions applied: {report.resolutions_applied}"
        + (f", run #{report.run_id}" if report.run_id else "")
    )
    if report.dry_run and report.plan:
        plan = Table(title="planned writes", title_justify="left")
        for column in ("system", "op", "canonical id", "external id", "fields"):
            plan.add_column(column)
        for p in report.plan[:200]:
            plan.add_row(p.system, p.op, p.canonical_id, p.external_id or "", ", ".join(p.fields))
        console.print(plan)
        if len(report.plan) > 200:
            console.print(f"... and {len(report.plan) - 200} more (use --json for all)")
    if report.open_conflicts:
        console.print("Review conflicts with [bold]synchub conflicts list[/bold].")
    if report.dead_letters:
        console.print("See what failed with [bold]synchub deadletters list[/bold].")

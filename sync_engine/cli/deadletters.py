"""``synchub deadletters``: records that could not be read, mapped, validated or written."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sync_engine.cli.config_cmds import ConfigOption
from sync_engine.cli.state import open_state
from sync_engine.flows import run_flow

app = typer.Typer(help="Records that failed, with their reasons; retry them.", no_args_is_help=True)


@app.command("list")
def list_dead_letters(
    flow: Annotated[str | None, typer.Option("--flow", help="Only this flow.")] = None,
    state: Annotated[str, typer.Option("--status", help="open, retrying, resolved or all.")] = "open",
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON (with payloads).")] = False,
    config: ConfigOption = None,
) -> None:
    """List dead letters (open ones by default) with the field and the reason."""
    with open_state(config) as (_, store):
        rows = store.list_dead_letters(status=None if state == "all" else state, flow=flow, limit=1000)
    if json_output:
        typer.echo(
            json.dumps(
                [{k: getattr(d, k) for k in d.__dataclass_fields__} for d in rows], default=str, indent=2
            )
        )
        return
    if not rows:
        Console().print("No dead letters." if state == "open" else f"No {state} dead letters.")
        return
    table = Table(title=f"{len(rows)} dead letter(s)", title_justify="left")
    for column in ("id", "flow", "system", "record", "stage", "field", "reason", "tries", "status"):
        table.add_column(column, overflow="fold")
    for d in rows:
        table.add_row(
            str(d.id),
            d.flow,
            d.system,
            d.external_id or "",
            d.stage,
            d.field or "",
            d.reason,
            str(d.attempts),
            d.status,
        )
    Console().print(table)


@app.command()
def retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Dead letter ids (see `deadletters list`).")] = None,
    all_open: Annotated[
        bool, typer.Option("--all", help="Every open dead letter (of --flow, if given).")
    ] = False,
    flow: Annotated[str | None, typer.Option("--flow", help="With --all: only this flow.")] = None,
    no_run: Annotated[
        bool, typer.Option("--no-run", help="Only mark them; the next scheduled run retries.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Retry dead letters: the records are read again and go through the whole flow."""
    if not ids and not all_open:
        typer.echo("Name dead letter ids or pass --all.", err=True)
        raise typer.Exit(2)
    console = Console()
    with open_state(config) as (cfg, store):
        if all_open:
            chosen = store.list_dead_letters(status="open", flow=flow, limit=100_000)
        else:
            chosen = [d for d in (store.get_dead_letter(i) for i in ids or []) if d is not None]
            missing = sorted(set(ids or []) - {d.id for d in chosen})
            if missing:
                typer.echo(f"No dead letter(s) {', '.join(map(str, missing))}.", err=True)
                raise typer.Exit(1)
        if not chosen:
            console.print("Nothing to retry.")
            return
        store.set_dead_letter_status([d.id for d in chosen], "retrying")
        flows = sorted({d.flow for d in chosen})
        console.print(f"Marked {len(chosen)} dead letter(s) for retry in flow(s): {', '.join(flows)}.")
        if no_run:
            return
        for name in flows:
            if name not in cfg.flows:
                console.print(f"[yellow]flow {name} is no longer in the config; left for retry[/yellow]")
                continue
            report = run_flow(cfg, name, store)
            still = store.count_dead_letters(status="open", flow=name)
            console.print(
                f"flow {name}: {report.status}; {report.writes} write(s); {still} open dead letter(s) remain."
            )

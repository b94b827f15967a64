"""``synchub locks``: which flows are running (or were left locked by a run that crashed); break one."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sync_engine.cli.config_cmds import ConfigOption
from sync_engine.cli.state import open_state
from sync_engine.store import FlowLocked

app = typer.Typer(
    help="Flow locks: see who runs a flow; free the lock of a run that is dead.", no_args_is_help=True
)


@app.command("list")
def list_locks(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    config: ConfigOption = None,
) -> None:
    """List held flow locks: the flow, the holder (host:pid), since when, and whether it is gone."""
    with open_state(config) as (_, store):
        locks = store.list_locks()
    if json_output:
        typer.echo(json.dumps([vars(lock) for lock in locks], default=str, indent=2))
        return
    if not locks:
        Console().print("No flow is locked.")
        return
    table = Table(title="Flow locks", title_justify="left")
    for column in ("flow", "holder", "since", "holder process"):
        table.add_column(column)
    for lock in locks:
        table.add_row(
            lock.flow,
            lock.holder,
            lock.since.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "gone (the next run takes the lock over)" if lock.dead else "running, or on another host",
        )
    Console().print(table)


@app.command("break")
def break_lock(
    flow: Annotated[str, typer.Argument(help="The flow whose lock to free.")],
    config: ConfigOption = None,
) -> None:
    """Free a flow's lock whose run you know is dead (e.g. its machine was lost).

    Breaking the lock of a run that is still alive lets a second run start beside it: stop the run
    first. A lock whose holder process on this host is gone is taken over by the next run anyway.
    """
    with open_state(config) as (cfg, store):
        if flow not in cfg.flows:
            known = ", ".join(sorted(cfg.flows)) or "none"
            typer.echo(f"no flow named {flow!r} in the config (flows: {known})", err=True)
            raise typer.Exit(2)
        try:
            broken = store.break_lock(flow)
        except FlowLocked as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
    if broken is None:
        typer.echo(f"flow {flow!r} is not locked; nothing to do")
        return
    state = "its process is gone" if broken.dead else "its process may still run: make sure it is stopped"
    typer.echo(
        f"broke the lock of flow {flow!r}, held by {broken.holder} since "
        f"{broken.since.strftime('%Y-%m-%d %H:%M:%S UTC')} ({state})"
    )

"""``synchub demo``: start a real Tryton ERP and a CRM (BottleCRM or SuiteCRM) here, seed them, sync
them, report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from synchub_dev.demo import DemoFailed, run_demo, stop_servers
from synchub_dev.demo.report import print_report

DEFAULT_WORKDIR = Path(".synchub-demo")


def demo(
    workdir: Annotated[
        Path, typer.Option("--workdir", help="Where the servers' databases, config, state and logs go.")
    ] = DEFAULT_WORKDIR,
    stop: Annotated[bool, typer.Option("--stop", help="Stop the demo's servers and exit.")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Wipe the work directory first.")] = False,
    crm: Annotated[
        str, typer.Option("--crm", help="The CRM to run against Tryton: bottlecrm or suitecrm.")
    ] = "bottlecrm",
) -> None:
    """Start Tryton and a CRM (BottleCRM or SuiteCRM) locally, fill them with sample data, sync all
    five flows, report."""
    console = Console()
    if stop:
        stopped = stop_servers(workdir)
        console.print(
            f"stopped: {', '.join(stopped)}" if stopped else f"no demo servers running in {workdir}"
        )
        return

    def on_phase(name: str, seconds: float | None) -> None:
        if seconds is None:
            console.print(f"[cyan]▶[/cyan] {name} ...")
        else:
            console.print(f"  [green]✓[/green] {name} [dim]({seconds:.1f}s)[/dim]")

    try:
        result = run_demo(workdir, fresh=fresh, on_phase=on_phase, crm=crm)
    except DemoFailed as exc:
        console.print(
            f"[red]The demo stopped in phase “{exc.phase}”:[/red] {type(exc.cause).__name__}: {exc.cause}"
        )
        for server, tail in exc.logs.items():
            console.print(f"[dim]--- last lines of the {server} log ---[/dim]\n{tail}", markup=False)
        console.print(
            f"Servers that started keep running; `synchub demo --stop --workdir {workdir}` ends them."
        )
        raise typer.Exit(1) from None
    print_report(console, result)

"""The ``synchub`` command line: typer app, global ``--version``, and every command group."""

from __future__ import annotations

import logging
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer

from sync_engine import __version__
from sync_engine.cli import conflicts, db, deadletters, locks, report
from sync_engine.cli.config_cmds import init, validate
from sync_engine.cli.run import run
from sync_engine.cli.status import status
from sync_engine.config import CONFIG_ENV

__all__ = ["COMMANDS_GROUP", "app", "main"]

COMMANDS_GROUP = "synchub.commands"

app = typer.Typer(
    name="synchub",
    help="SyncHub keeps an ERP and a CRM in agreement.",
    no_args_is_help=True,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"synchub {__version__}")
        raise typer.Exit()


@app.callback()
def _global_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose", "-v", count=True, help="Log what runs do to stderr (-v: steps, -vv: every page)."
        ),
    ] = 0,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Config file for every command (`synchub -c FILE run ...`); a command's own -c wins.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """SyncHub keeps an ERP and a CRM in agreement."""
    if config is not None:
        # Commands look for $SYNCHUB_CONFIG after their own --config; so does anything they start.
        os.environ[CONFIG_ENV] = str(config.resolve())
    if verbose:
        logging.basicConfig(
            level=logging.DEBUG if verbose > 1 else logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
            force=True,  # the command line owns its process's logging
        )


app.command()(init)
app.command()(validate)
app.command()(run)
app.command()(status)
app.add_typer(db.app, name="db")
app.add_typer(conflicts.app, name="conflicts")
app.add_typer(deadletters.app, name="deadletters")
app.add_typer(locks.app, name="locks")
app.add_typer(report.app, name="report")

try:  # written by the mapping layer; the CLI works without it (but a broken module must not hide)
    from sync_engine.cli.mappings import app as mappings_app
except ModuleNotFoundError as exc:
    if exc.name != "sync_engine.cli.mappings":
        raise
else:
    app.add_typer(mappings_app, name="mappings")


def _add_plugin_commands() -> None:
    """Commands other packages add through the ``synchub.commands`` entry-point group (``demo`` comes
    from the developer tooling this way, so the product never imports it)."""
    for entry in entry_points(group=COMMANDS_GROUP):
        command = entry.load()
        if isinstance(command, typer.Typer):
            app.add_typer(command, name=entry.name)
        else:
            app.command(name=entry.name)(command)


_add_plugin_commands()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="synchub")

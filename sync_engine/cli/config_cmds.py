"""The config side of the CLI: the shared ``--config`` option, ``synchub init`` and ``synchub validate``.

Also home of the two helpers every command module uses: loading the config with errors printed
as ``file:line: message``, and the honest "not available yet" answer of unfinished commands.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from sync_engine.config import Config, ConfigError, find_config, load_config
from sync_engine.problems import Problem

__all__ = ["ConfigOption", "init", "load_config_or_exit", "not_available", "print_problems", "validate"]

NOT_AVAILABLE_EXIT = 2

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Config file (default: $SYNCHUB_CONFIG, else ./synchub.yaml).",
        show_default=False,
    ),
]


def print_problems(problems: list[Problem]) -> None:
    """One plain ``file:line: message (hint: ...)`` line per problem on stdout (no wrapping, no markup)."""
    for problem in problems:
        typer.echo(str(problem))


def load_config_or_exit(config: Path | None) -> Config:
    """Load the config chosen by ``--config``; print every problem and exit 1 if it has any."""
    try:
        return load_config(find_config(config))
    except ConfigError as exc:
        print_problems(exc.problems)
        raise typer.Exit(1) from None


def not_available(command: str, brought_by: str) -> NoReturn:
    """Say plainly that ``command`` does not exist yet, and which part of SyncHub brings it."""
    typer.echo(f"`synchub {command}` is not available yet: it arrives with {brought_by}.", err=True)
    raise typer.Exit(NOT_AVAILABLE_EXIT)


def _template_text() -> str:
    return resources.files("sync_engine").joinpath("templates/synchub.yaml").read_text(encoding="utf-8")


def init(
    path: Annotated[
        Path | None, typer.Argument(help="Where to write (default: --config or synchub.yaml).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    config: ConfigOption = None,
) -> None:
    """Write a commented example synchub.yaml (two in-memory systems, customers and products flows)."""
    target = path if path is not None else find_config(config)
    if target.exists() and not force:
        typer.echo(f"{target} already exists; use --force to overwrite it.", err=True)
        raise typer.Exit(1)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_template_text(), encoding="utf-8")
    option = "" if target == find_config(None) else f" -c {target}"
    Console().print(f"Wrote [bold]{target}[/bold]. Next: [bold]synchub validate{option}[/bold]")


def _mapping_problems(config: Config) -> list[Problem]:
    # The mapping layer is optional here so `validate` works before (and without) it.
    try:
        from sync_engine.mapping import validate_config_mappings
    except ImportError:
        return []
    return list(validate_config_mappings(config))


def validate(config: ConfigOption = None) -> None:
    """Check the config file (and the mappings its flows use); print every problem as file:line."""
    loaded = load_config_or_exit(config)
    problems = _mapping_problems(loaded)
    if problems:
        print_problems(problems)
        raise typer.Exit(1)
    systems = ", ".join(f"{name} ({s.connector})" for name, s in loaded.systems.items())
    flows = ", ".join(loaded.flows) or "none"
    Console().print(
        f"[green]OK[/green] {loaded.path}: {len(loaded.systems)} systems: {systems}; "
        f"{len(loaded.flows)} flows: {flows}",
        soft_wrap=True,
    )

"""``synchub db``: create and migrate SyncHub's state database (Alembic, through the store)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sync_engine.cli.config_cmds import ConfigOption, load_config_or_exit
from sync_engine.config import StateConfig, find_config

if TYPE_CHECKING:
    from sync_engine.store import Store

app = typer.Typer(help="Create and migrate the state database.", no_args_is_help=True)

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="State database URL (default: state.url of the config, else SQLite file)."),
]
SchemaOption = Annotated[
    str | None, typer.Option("--schema", help="PostgreSQL schema (default: state.schema).")
]


def _open_store(config: Path | None, url: str | None, schema: str | None) -> Store:
    """The store named by --url, else by the config file, else the default SQLite file."""
    try:
        from sync_engine.store import Store
    except ImportError:
        typer.echo("`synchub db` is not available yet: it arrives with the state store.", err=True)
        raise typer.Exit(2) from None
    if url is None:
        if find_config(config).exists():
            state = load_config_or_exit(config).state
            url, schema = state.url, schema if schema is not None else state.schema_
        else:
            url = StateConfig().url
    return Store(url, schema=schema)


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    config: ConfigOption = None,
    url: UrlOption = None,
    schema: SchemaOption = None,
) -> None:
    """Migrate the state database up to REVISION (default: the latest)."""
    store = _open_store(config, url, schema)
    try:
        store.upgrade(revision)
        typer.echo(f"State database {store.url} is at revision {store.current_revision()}.")
    finally:
        store.close()


@app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision ('base' removes every table).")],
    config: ConfigOption = None,
    url: UrlOption = None,
    schema: SchemaOption = None,
) -> None:
    """Migrate the state database down to REVISION."""
    store = _open_store(config, url, schema)
    try:
        store.downgrade(revision)
        typer.echo(f"State database {store.url} is at revision {store.current_revision() or 'base'}.")
    finally:
        store.close()


@app.command()
def current(config: ConfigOption = None, url: UrlOption = None, schema: SchemaOption = None) -> None:
    """Print the state database's current revision."""
    store = _open_store(config, url, schema)
    try:
        revision = store.current_revision()
        typer.echo(revision or "none (not migrated; run `synchub db upgrade`)")
    finally:
        store.close()


@app.command()
def copy(
    to: Annotated[str, typer.Option("--to", help="URL of the (empty) state database to copy into.")],
    to_schema: Annotated[
        str | None, typer.Option("--to-schema", help="PostgreSQL schema there (e.g. synchub).")
    ] = None,
    config: ConfigOption = None,
    url: UrlOption = None,
    schema: SchemaOption = None,
) -> None:
    """Copy the whole state (links, cursors, conflicts, runs, dead letters, audit log) into another
    database, e.g. SQLite -> PostgreSQL; then point state.url (and state.schema) at it."""
    from sync_engine.store import Store, StoreError
    from sync_engine.store.copying import copy_state

    source = _open_store(config, url, schema)
    target = Store(to, schema=to_schema)
    try:
        copied = copy_state(source, target)
    except StoreError as exc:
        typer.echo(f"synchub db copy: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        source.close()
        target.close()
    rows = ", ".join(f"{table} {count}" for table, count in copied.items())
    typer.echo(f"Copied {source.url} to {target.url}: {rows}.")
    typer.echo("Now set state.url (and state.schema) in synchub.yaml to the new database.")

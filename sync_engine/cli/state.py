"""Opening the config and the state store for a command, with errors a person can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from sync_engine.cli.config_cmds import load_config_or_exit
from sync_engine.config import Config
from sync_engine.store import Store, StoreError


@contextmanager
def open_state(config_path: Path | None) -> Iterator[tuple[Config, Store]]:
    """The config and its migrated store; a fresh local SQLite file is migrated on first use."""
    config = load_config_or_exit(config_path)
    store = Store(config.state.url, schema=config.state.schema_)
    try:
        if store.current_revision() is None and config.state.url.startswith("sqlite"):
            # A local demo database: creating it is what the user wants. Shared databases are
            # migrated deliberately with `synchub db upgrade`.
            store.upgrade()
        try:
            store.ensure_current()
        except StoreError as exc:
            typer.echo(f"{exc}", err=True)
            raise typer.Exit(1) from None
        yield config, store
    finally:
        store.close()

"""Alembic, driven from code: no alembic.ini, the store's own engine and schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# not "alembic_version": SyncHub may share a database (and schema) with Airflow, which owns that name
VERSION_TABLE = "synchub_alembic_version"


def alembic_config(connection: Connection | None = None, schema: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    config.attributes["schema"] = schema
    return config


def context_options() -> dict[str, object]:
    """Options every MigrationContext of the store uses (env.py and revision checks alike).

    No schema here: the engine's search_path already puts every unqualified table, the version table
    included, in the store's schema. Naming it would make autogenerate see the version table as foreign.
    """
    return {"version_table": VERSION_TABLE}


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection, opts=context_options()).get_current_revision()


def upgrade(connection: Connection, schema: str | None, revision: str = "head") -> None:
    command.upgrade(alembic_config(connection, schema), revision)


def downgrade(connection: Connection, schema: str | None, revision: str = "base") -> None:
    command.downgrade(alembic_config(connection, schema), revision)

"""Alembic environment of the state store.

Normally run through :class:`sync_engine.store.Store` (``upgrade``/``downgrade``), which passes its own
connection and schema in ``config.attributes``. The ``alembic`` command line also works for writing new
revisions: it reads ``sqlalchemy.url`` (and optionally ``synchub.schema``) from its config.
"""

from __future__ import annotations

from alembic import context

from sync_engine.store.database import make_engine
from sync_engine.store.migrate import context_options
from sync_engine.store.tables import Base

config = context.config
schema: str | None = config.attributes.get("schema") or config.get_main_option("synchub.schema")


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        literal_binds=True,
        **context_options(),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "", schema)
    try:
        with engine.connect() as own_connection:
            _migrate(own_connection)
            own_connection.commit()
    finally:
        engine.dispose()


def _migrate(connection: object) -> None:
    context.configure(
        connection=connection, target_metadata=Base.metadata, compare_type=True, **context_options()
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()

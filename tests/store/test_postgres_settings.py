"""What PostgreSQL state connections are told (durability and write cost depend on it)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from sync_engine.store import Store

pytestmark = pytest.mark.postgres


def _servers(setting: str, url: str) -> str:
    """The server's own value of ``setting``, on a connection SyncHub did not configure."""
    plain = create_engine(url)
    try:
        with plain.connect() as conn:
            return str(conn.execute(text(f"SHOW {setting}")).scalar())
    finally:
        plain.dispose()


def _with_options(url: str, options: str) -> str:
    return url + ("&" if "?" in url else "?") + "options=" + options


def test_a_runs_batches_commit_without_waiting_for_the_disk_and_everything_else_waits(pg_url: str) -> None:
    store = Store(pg_url)
    try:
        with store.transaction() as conn:
            default = conn.execute(text("SHOW synchronous_commit")).scalar()
        with store.transaction(wait_for_disk=False) as conn:
            batch = conn.execute(text("SHOW synchronous_commit")).scalar()
        with store.transaction() as conn:  # SET LOCAL: the pooled connection is not left changed
            after = conn.execute(text("SHOW synchronous_commit")).scalar()
    finally:
        store.close()
    # off: as SQLite's synchronous=NORMAL, a server crash may roll back the last batches, which a rerun
    # repairs (the claim of written-but-unlinked records); conflicts, resolutions and cursors wait
    assert (default, batch, after) == (_servers("synchronous_commit", pg_url), "off", default)


def test_with_a_schema_the_urls_own_options_are_kept(pg_url: str) -> None:
    store = Store(_with_options(pg_url, "-cstatement_timeout%3D4321"), schema="synchub_settings_check")
    try:
        with store.transaction() as conn:
            path = conn.execute(text("SHOW search_path")).scalar()
            timeout = conn.execute(text("SHOW statement_timeout")).scalar()
    finally:
        store.close()
    assert (path, timeout) == ("synchub_settings_check", "4321ms")


def test_without_a_schema_the_servers_search_path_stands(pg_url: str) -> None:
    servers = _servers("search_path", pg_url)
    store = Store(pg_url)
    try:
        with store.transaction() as conn:
            assert conn.execute(text("SHOW search_path")).scalar() == servers
    finally:
        store.close()

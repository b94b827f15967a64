"""The same connector against Tryton on PostgreSQL (a fresh database, dropped afterwards)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from connectors.base import Cursor, WriteRequest
from synchub_dev.peers.tryton import TrytonPeer

from .helpers import connect, party

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.mark.postgres
@pytest.mark.slow
def test_customers_round_trip_and_change_tracking_on_postgresql(
    tryton_peer: TrytonPeer, tmp_path: Path
) -> None:
    try:
        psycopg.connect(ADMIN_DSN, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server on 127.0.0.1:5432: {exc}")
    instance = tryton_peer.start_postgres(tmp_path / "pg", ADMIN_DSN)
    database = instance.database
    try:
        erp = connect(instance)
        results = erp.write_batch(
            "customer",
            [
                WriteRequest("create", str(i), party(f"PG {i}", credit_limit_amount=Decimal("9.99")))
                for i in range(4)
            ],
        )
        assert all(r.ok for r in results)
        (stamp,) = {r.modified for r in erp.read_by_ids("customer", [r.id for r in results if r.id])}
        assert stamp is not None and stamp.microsecond != 0
        pages = list(erp.read_changes("customer", Cursor(stamp, ""), page_size=3))
        assert [r.data["name"] for p in pages for r in p.records] == [f"PG {i}" for i in range(4)]
        assert pages[0].records[0].data["credit_limit_amount"] == Decimal("9.99")
        erp.close()
    finally:
        instance.stop()
    with psycopg.connect(ADMIN_DSN) as conn:
        gone = conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (database,)).fetchone()
    assert gone == (0,), "the test database is dropped"

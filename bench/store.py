"""How fast the state store moves links, the engine's hot path.

Run: .venv/bin/python bench/store.py [links]   (default 100000)
For a SQLite file and (if reachable; URL from SYNCHUB_TEST_PG_URL) PostgreSQL in a scratch schema:
saves that many links in pages of 1000 (one transaction each, like the engine), finds them all
by external id, re-saves them all with a changed snapshot, then iterates them; prints links/s.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from sync_engine.store import LinkRecord, Store

PAGE = 1000
PG_URL = os.environ.get("SYNCHUB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def page_of_links(start: int, version: int) -> list[LinkRecord]:
    now = datetime.now(UTC)
    return [
        LinkRecord(
            flow="customers",
            entity="customer",
            canonical_id=f"cust-{i:08d}",
            external_ids={"erp": f"P-{i}", "crm": f"001{i:015d}"},
            snapshot={
                "name": f"Müller Maschinenbau {i}",
                "tax_id": f"DE{i:09d}",
                "credit_limit": {"amount": "25000.00", "currency": "EUR"},
                "contacts": [{"email": f"buyer{i}@example.com", "name": "佐藤"}],
                "version": version,
            },
            hash=f"{i:064x}",
            synced_at=now,
        )
        for i in range(start, start + PAGE)
    ]


def timed(label: str, count: int, action: Callable[[], object]) -> None:
    started = time.perf_counter()
    action()
    elapsed = time.perf_counter() - started
    print(f"  {label:<32} {elapsed:8.2f} s  {count / elapsed:10,.0f} links/s")


def run(store: Store, total: int) -> None:
    store.upgrade()

    def save(version: int) -> None:
        for start in range(0, total, PAGE):
            with store.transaction() as tx:
                store.save_links(page_of_links(start, version), tx=tx)

    def find() -> None:
        for start in range(0, total, PAGE):
            found = store.find_links("customers", "crm", (f"001{i:015d}" for i in range(start, start + PAGE)))
            assert len(found) == min(PAGE, total - start)

    def iterate() -> None:
        assert sum(1 for _ in store.iter_links("customers")) == total

    timed("save (new)", total, lambda: save(1))
    timed("find by external id", total, find)
    timed("save (update snapshot)", total, lambda: save(2))
    timed("iter_links", total, iterate)


def scratch_pg_schema() -> Iterator[str]:
    engine = create_engine(PG_URL)
    schema = f"synchub_bench_{secrets.token_hex(4)}"
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        print(f"PostgreSQL: skipped, not reachable ({exc.orig})")
        engine.dispose()
        return
    try:
        yield schema
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    total -= total % PAGE
    print(f"{total:,} links, pages of {PAGE}")
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite (file, WAL) {Path(tmp) / 'state.db'}")
        store = Store(f"sqlite:///{Path(tmp) / 'state.db'}")
        run(store, total)
        store.close()
    for schema in scratch_pg_schema():
        print(f"PostgreSQL {Store(PG_URL).url} schema {schema}")
        store = Store(PG_URL, schema=schema)
        run(store, total)
        store.close()


if __name__ == "__main__":
    main()

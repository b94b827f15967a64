"""The floor: hand-written loops doing the engine's essential work, measured in the same run.

- initial: read the ERP's pages; per record hash the native record (as the engine does, for the next
  run to skip it unchanged), map by hand (bench/mapping.py), validate with the model, dump to JSON,
  hash; map back by hand and write to the CRM in batches; then store links, link ids with the ERP's
  native hashes and audit rows set-based (sqlite3 ``executemany``, one transaction per batch) in the
  engine's own schema.
- snapshot (nothing changed): read both systems' pages; per record hash the native record the way the
  engine does; compare, a page at a time, with the stored hashes of the links (one ``IN`` query).

No pairing, merging, conflicts, dead letters, read backs or logging: what is left is the least any
correct engine must do. Connector time is measured apart, as for the engine.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from mapping import hand_to_canonical, hand_to_native

from connectors.base import WriteRequest
from sync_engine.identity import record_hash
from sync_engine.model import Customer
from sync_engine.run.pairing import canonical_id_for
from sync_engine.store.database import SQLITE_CHECKPOINT_PAGES

BATCH = 200


def _dump(value: Any) -> str:
    return orjson.dumps(value).decode()


def initial(erp: Any, crm: Any, database: str, version: str, page_size: int = 500) -> float:
    """Seconds of wall time to sync every ERP customer into the (empty) CRM and record the links."""
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA cache_size=-65536")
    db.execute(f"PRAGMA wal_autocheckpoint={SQLITE_CHECKPOINT_PAGES}")  # as the engine's store
    key = version.encode()
    started = time.perf_counter()
    for page in erp.read_changes("customer", None, page_size=page_size):
        done = []
        for rec in page.records:
            native = _native_hash(rec.data, key)
            canon = Customer.model_validate(hand_to_canonical(rec.data)).model_dump(mode="json")
            cid = canonical_id_for("customers", "erp", rec.id)
            done.append((rec.id, cid, canon, record_hash(canon), native))
        for start in range(0, len(done), BATCH):
            chunk = done[start : start + BATCH]
            requests = [WriteRequest("create", cid, hand_to_native(canon)) for _, cid, canon, _, _ in chunk]
            results = crm.write_batch("customer", requests)
            _store(db, chunk, results)
    db.close()
    return time.perf_counter() - started


def _store(db: sqlite3.Connection, chunk: list[tuple[str, str, dict, str, str]], results: list) -> None:
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    links, ids, audit = [], [], []
    for (erp_id, cid, canon, digest, native), result in zip(chunk, results, strict=True):
        links.append(("customers", cid, "customer", _dump(canon), digest, now, "{}"))
        ids.append(("customers", "customer", "erp", erp_id, cid, native))
        ids.append(("customers", "customer", "crm", result.id, cid, None))
        audit.append((None, "customers", "crm", "customer", result.id, "create", None, _dump(canon), now))
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO links (flow, canonical_id, entity, snapshot, hash, synced_at, meta) "
        "VALUES (?,?,?,?,?,?,?)",
        links,
    )
    # link ids reference the links' integer keys: read them back for the batch
    keys = dict(
        db.execute(
            "SELECT canonical_id, id FROM links WHERE flow = 'customers' "
            "AND canonical_id IN (SELECT value FROM json_each(?))",
            (orjson.dumps([link[1] for link in links]).decode(),),
        ).fetchall()
    )
    db.executemany(
        "INSERT INTO link_ids (link_id, flow, entity, system, external_id, canonical_id, native_hash) "
        "VALUES (?,?,?,?,?,?,?)",
        [(keys[row[4]], *row) for row in ids],
    )
    db.executemany(
        'INSERT INTO audit_log (run_id, flow, system, entity, external_id, op, "before", "after", at) '
        "VALUES (?,?,?,?,?,?,?,?,?)",
        audit,
    )
    db.execute("COMMIT")


def _native_hash(data: dict[str, Any], key: bytes) -> str:
    raw = orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return hashlib.blake2b(raw, digest_size=16, key=key).hexdigest()


def snapshot(systems: dict[str, Any], database: str, version: str, page_size: int = 500) -> tuple[float, int]:
    """Seconds of wall time to read both systems and find every record unchanged; records read."""
    db = sqlite3.connect(database, isolation_level=None)
    key = version.encode()
    read = unchanged = 0
    started = time.perf_counter()
    for system, connector in systems.items():
        for page in connector.read_changes("customer", None, page_size=page_size):
            hashes = {
                rec.id: hashlib.blake2b(
                    orjson.dumps(rec.data, option=orjson.OPT_SORT_KEYS), digest_size=16, key=key
                ).hexdigest()
                for rec in page.records
            }
            marks = ",".join("?" * len(hashes))
            stored = db.execute(
                f"SELECT external_id, native_hash FROM link_ids WHERE flow = 'customers' AND system = ? "
                f"AND external_id IN ({marks})",
                [system, *hashes],
            ).fetchall()
            unchanged += sum(1 for ext, digest in stored if digest == hashes[ext])
            read += len(page.records)
    db.close()
    seconds = time.perf_counter() - started
    if unchanged != read:
        raise SystemExit(f"floor snapshot: {read - unchanged} of {read} records not found unchanged")
    return seconds, read

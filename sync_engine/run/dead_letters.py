"""Dead letters: records that could not be read, mapped, validated or written, kept with the reason.

A dead letter remembers which source record to read again and a hash of it: transient failures and
unresolved references are re-read by the next run; a record that failed for good waits until it
changes (or ``synchub deadletters retry``), so it does not fail again on every run.
"""

from __future__ import annotations

import logging
from typing import Any

from connectors.base import WriteRequest, WriteResult
from sync_engine.identity import record_hash
from sync_engine.run.context import RunContext, RunLedger
from sync_engine.run.items import Item
from sync_engine.run.sides import Rejection, Side

__all__ = ["defer", "load_retries", "load_waiting", "reject", "write_failed"]

log = logging.getLogger("synchub.run")


def _source(system: str, record_id: str, native: Any) -> dict[str, Any]:
    """A dead letter's source record, with the hash that tells a later run whether it changed."""
    digest = record_hash(native) if isinstance(native, dict) else None
    return {"system": system, "id": record_id, "hash": digest}


def reject(ctx: RunContext, ledger: RunLedger, rej: Rejection) -> None:
    """A record that could not be read, mapped or validated (or waits for a reference)."""
    ledger.fail(rej.side.system, rej.ext_id)
    log.warning("flow %s: %s %s %s %s (stage %s%s): %s", ctx.name, rej.side.system, ctx.entity, rej.ext_id,
                "deferred" if rej.deferred else "dead-lettered", rej.stage,
                f", field {rej.field}" if rej.field else "", rej.reason)  # fmt: skip
    if rej.deferred:
        ctx.report.deferred += 1
    else:
        ctx.report.dead_letters += 1
        ctx.report.sides[rej.side.role].failed += 1
    if ctx.dry_run:
        return
    dl_id = ctx.store.add_dead_letter(
        flow=ctx.name,
        entity=ctx.entity,
        system=rej.side.system,
        external_id=rej.ext_id,
        stage=rej.stage,
        reason=rej.reason,
        field=rej.field,
        payload={
            "native": rej.payload,
            "retry": {"role": rej.side.role, "system": rej.side.system, "id": rej.ext_id},
            "sources": [_source(rej.side.system, rej.ext_id, rej.payload)],
        },
        run_id=ctx.report.run_id,
    )
    if rej.deferred:
        # Deferred records wait for their reference; every run re-reads them until it is linked.
        ctx.store.set_dead_letter_status([dl_id], "retrying")


def defer(ctx: RunContext, ledger: RunLedger, item: Item, reason: str, field: str | None) -> None:
    """Every source of ``item`` waits for a reference that is not linked yet."""
    for src in item.sources:
        reject(
            ctx,
            ledger,
            Rejection(src.side, src.ext_id, "reference", reason, field, src.record, deferred=True),
        )


def write_failed(
    ctx: RunContext, ledger: RunLedger, item: Item, side: Side, req: WriteRequest, res: WriteResult, tx: Any
) -> None:
    """A record the target refused: dead letter it, with what to re-read to try again."""
    src = item.sources[0] if item.sources else None
    ledger.failed.update((s.side.system, s.ext_id) for s in item.sources)
    ctx.report.dead_letters += 1
    reason = f"{side.system} refused {req.op} of {ctx.entity} {req.id or item.cid}: {res.error}"
    log.warning("flow %s: dead letter (%s%s): %s", ctx.name, "transient" if res.transient else "write",
                f", field {res.field}" if res.field else "", reason)  # fmt: skip
    dl_id = ctx.store.add_dead_letter(
        flow=ctx.name,
        entity=ctx.entity,
        system=side.system,
        external_id=req.id or f"canonical:{item.cid}",
        stage="write",
        reason=reason,
        field=res.field,
        payload={
            "native": req.data,
            "canonical_id": item.cid,
            "retry": {"role": src.side.role, "system": src.side.system, "id": src.ext_id} if src else None,
            "sources": [_source(s.side.system, s.ext_id, s.native) for s in item.sources],
        },
        run_id=ctx.report.run_id,
        tx=tx,
    )
    if res.transient:
        # Worth another try on its own: the next run re-reads the source record.
        ctx.store.set_dead_letter_status([dl_id], "retrying", tx=tx)


def load_retries(ctx: RunContext) -> dict[str, list[tuple[int, str, str]]]:
    """Dead letters marked for retry, grouped by the role whose record must be re-read."""
    out: dict[str, list[tuple[int, str, str]]] = {}
    by_system = {side.system: role for role, side in ctx.sides.items()}
    for dl in ctx.store.list_dead_letters(status="retrying", flow=ctx.name, limit=100_000):
        retry = (dl.payload or {}).get("retry") if isinstance(dl.payload, dict) else None
        if not retry or retry.get("system") not in by_system:
            continue
        role = by_system[retry["system"]]
        out.setdefault(role, []).append((dl.id, retry["system"], str(retry["id"])))
    return out


def load_waiting(ctx: RunContext) -> dict[tuple[str, str], tuple[int, str]]:
    """(system, record id) -> (dead letter id, hash of the native record when it failed), for the
    source records of this flow's open dead letters."""
    systems = {side.system for side in ctx.sides.values()}
    out: dict[tuple[str, str], tuple[int, str]] = {}
    for dl in ctx.store.list_dead_letters(status="open", flow=ctx.name, limit=100_000):
        payload = dl.payload if isinstance(dl.payload, dict) else {}
        for src in payload.get("sources") or ():
            if src.get("system") in systems and src.get("hash"):
                out[(src["system"], str(src["id"]))] = (dl.id, src["hash"])
    return out

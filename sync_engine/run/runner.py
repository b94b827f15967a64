"""One run of a flow, as the steps of DESIGN.md's algorithm; each step is a stage module of its own.

1. read the first side completely (the target of a one-way flow, else the CRM), keeping what changed;
2. stream the second side: pair each change with its counterpart, decide (merge), write in batches;
3. decide what changed on the first side only;
4. apply resolutions people made on records nobody touched;
5. per batch: write, settle (snapshot = what the targets saved), commit; at the end the cursors.

Writes are idempotent: a new record's canonical id is derived from its first system and id, and a
create is sent as an upsert keyed by that id where the connector supports it. A crash between the
write and the commit is therefore repaired by the rerun without a duplicate: the rerun derives the
same id (and upserts again), or recognises the created record by the id it carries or by its
natural key.
"""

from __future__ import annotations

import logging

from connectors.base import Connector
from sync_engine.config import FlowConfig
from sync_engine.mapping import Mapping
from sync_engine.merge import MergePolicy
from sync_engine.model import entity_model
from sync_engine.report import RunReport, SideCounts
from sync_engine.retrying import RetryPolicy
from sync_engine.run import conflicts, dead_letters, reading, resolutions
from sync_engine.run.context import Progress, RunContext, RunLedger, StepHook
from sync_engine.run.deciding import Unwritable, decide, requests_for
from sync_engine.run.flushing import Flusher
from sync_engine.run.garbage import fewer_collections
from sync_engine.run.items import Item
from sync_engine.run.pairing import Duplicate, Pair, Spool, pair_with
from sync_engine.run.sides import OTHER, ReferenceLookup, Side
from sync_engine.store import Store

__all__ = ["FlowRunner"]

log = logging.getLogger("synchub.run")

CHECKPOINT_AFTER_LINKS = 5_000
"""A run that saved this many links copies its SQLite write-ahead log back when it ends (tens of MB
after an initial sync), so the next run starts with a short log. After a smaller run the log is short
anyway, and copying it back would cost more than it saves (40 us per change of a 600-change run): the
periodic checkpoint takes it, with the runs that follow."""


class FlowRunner:
    """Runs one flow between two connectors against the state store (``hook``, ``progress``: see
    :mod:`sync_engine.run.context`)."""

    def __init__(
        self,
        flow: FlowConfig,
        store: Store,
        connectors: dict[str, Connector],
        mappings: dict[str, Mapping],
        *,
        retry: RetryPolicy | None = None,
        hook: StepHook | None = None,
        progress: Progress | None = None,
        concurrency: dict[str, int] | None = None,
    ) -> None:
        self.flow = flow
        self.concurrency = concurrency or {}
        self.store = store
        self.retry = retry or RetryPolicy()
        self.hook = hook or (lambda step: None)
        self.progress = progress or (lambda event, n: None)
        self.policy = MergePolicy(
            conflict_policy=flow.conflict_policy,
            field_owners=dict(flow.field_owners),
            direction=flow.direction,
            deletes=flow.deletes or "propagate",
        )
        model = entity_model(flow.entity)
        self.sides: dict[str, Side] = {
            role: Side(
                role=role,  # type: ignore[arg-type]
                system=system,
                entity=flow.entity,
                connector=connectors[role],
                mapping=mappings[role],
                model=model,
                writable=flow.direction == "both" or flow.direction.endswith(f"to_{role}"),
                refs=ReferenceLookup(store, system),
                read_fields=frozenset(getattr(mappings[role], "canonical_fields", ()) or ()),
            )
            for role, system in (("erp", flow.erp), ("crm", flow.crm))
        }
        for role, side in self.sides.items():
            # a default is worth storing only where it is written and the other side reads the field
            other = self.sides["crm" if role == "erp" else "erp"].read_fields
            side.store_defaults = frozenset(
                name
                for name, _ in getattr(side.mapping, "stored_defaults", ())
                if side.writable and (not other or name in other)
            )

    def _concurrency(self) -> int:
        """Write batches in flight at once: the smallest limit of the sides the flow writes, 1 unless
        each of their connectors may be called from several threads. A side the flow never writes is
        not called from the write threads (no requests, no read-back), so it does not limit them."""
        limits = [
            self.concurrency.get(role, 1) if side.capabilities.concurrent_writes else 1
            for role, side in self.sides.items()
            if side.writable
        ]
        return min(limits, default=1)

    def run(self, *, dry_run: bool = False, reconcile_deletes: bool = False) -> RunReport:
        flow = self.flow
        report = RunReport(
            flow=flow.name,
            entity=flow.entity,
            sides={role: SideCounts(system=side.system) for role, side in self.sides.items()},
            dry_run=dry_run,
        )
        ctx = RunContext(
            flow, self.store, self.sides, self.policy, self.retry, report, dry_run, self.hook, self.progress
        )
        with self.store.lock_flow(flow.name), fewer_collections():
            if not dry_run:
                report.run_id = self.store.start_run(flow.name, dry_run=False)
            log.info("flow %s: run %s started (%s -> %s%s)", flow.name, report.run_id or "-", flow.erp,
                     flow.crm, ", dry run" if dry_run else "")  # fmt: skip
            run: _Run | None = None
            try:
                run = _Run(ctx, self._concurrency())
                try:
                    run.steps(reconcile_deletes=reconcile_deletes)
                finally:
                    run.flusher.close()
            except BaseException as exc:
                report.finish("failed", f"{type(exc).__name__}: {exc}")
                log.error("flow %s: run %s failed: %s", flow.name, report.run_id or "-", report.error)
                if report.run_id is not None:
                    self.store.finish_run(
                        report.run_id, status="failed", counts=report.counts(), error=report.error
                    )
                raise
            status = "partial" if report.dead_letters or report.deferred else "success"
            report.open_conflicts = self.store.count_conflicts(flow=flow.name)
            report.finish(status)
            log.info("flow %s: run %s %s", flow.name, report.run_id or "-", report.summary())
            if report.run_id is not None:
                self.store.finish_run(report.run_id, status=status, counts=report.counts())
                if run is not None and run.ledger.links_saved >= CHECKPOINT_AFTER_LINKS:
                    self.store.checkpoint()
        return report


class _Run:
    """The steps of one run, in order; the batch of decided records waits here between flushes."""

    def __init__(self, ctx: RunContext, concurrency: int) -> None:
        self.ctx = ctx
        self.ledger = RunLedger(
            resolutions=resolutions.load_resolutions(ctx),
            # Most runs of a settled flow have no open conflict to supersede: skip that lookup per batch.
            conflicts_open=ctx.store.count_conflicts(flow=ctx.name) > 0,
            waiting=dead_letters.load_waiting(ctx),
        )
        self.batch: list[Item] = []
        self.flusher = Flusher(ctx, self.ledger, concurrency)

    def steps(self, *, reconcile_deletes: bool) -> None:
        ctx, ledger = self.ctx, self.ledger
        first = "crm" if ctx.flow.direction in ("both", "erp_to_crm") else "erp"
        second = OTHER[first]
        retries = dead_letters.load_retries(ctx)
        reads = {role: reading.start(side) for role, side in ctx.sides.items()}

        def read(role: str):
            return reading.read_side(
                ctx,
                ledger,
                ctx.sides[role],
                retries.get(role, []),
                reads[role],
                reconcile_deletes=reconcile_deletes,
            )

        # 1. the first side, completely; keep what changed
        spool = Spool(ctx.name, ctx.sides[second].system, ctx.flow.match_keys)
        for changes in read(first):
            for change in changes:
                spool.add(change)
        ctx.hook("after_read")
        # 2. stream the second side: pair, decide, write in batches
        for changes in read(second):
            for change in changes:
                with ctx.report.timed("identify"):
                    found = pair_with(change, first, ctx.sides[first].system, spool, ctx.entity)
                self.take(found)
                self.flush_if_full()  # within the page too: batch_size holds whatever the page size
        # 3. what changed on the first side only
        for pair in spool.leftovers(first):
            self.take(pair)
            self.flush_if_full()
        # 4. resolutions on records nobody touched this run
        for pair in resolutions.untouched(ctx, ledger):
            self.take(pair)
            self.flush_if_full()
        self.flush()
        self.flusher.drain()
        # 5. cursors, reconciliations and dead letters this run settled
        if not ctx.dry_run:
            self.finish_reads(reads, retries)
        ctx.hook("after_commit")

    def take(self, found: Pair | Duplicate | None) -> None:
        """Decide a pair (or open a duplicate conflict) and queue its writes."""
        ctx, ledger = self.ctx, self.ledger
        if isinstance(found, Duplicate):
            conflicts.open_duplicate(ctx, ledger, found)
            return
        if found is None:
            return
        with ctx.report.timed("merge"):
            item = decide(
                found,
                ctx.sides,
                ctx.policy,
                ledger.resolutions.pop(found.cid, None),
                flow=ctx.name,
                entity=ctx.entity,
            )
        try:
            self.batch.append(requests_for(item, ctx.sides))
        except Unwritable as exc:
            for rejection in exc.rejections:
                dead_letters.reject(ctx, ledger, rejection)

    def flush_if_full(self) -> None:
        if len(self.batch) >= self.ctx.flow.batch_size:
            self.flush()

    def flush(self) -> None:
        items, self.batch = self.batch, []
        self.flusher.flush(items)

    def finish_reads(
        self, reads: dict[str, reading.ReadState], retries: dict[str, list[tuple[int, str, str]]]
    ) -> None:
        ctx, ledger = self.ctx, self.ledger
        with ctx.store.transaction() as tx:
            for role, read in reads.items():
                system = ctx.sides[role].system
                if read.high is not None:
                    ctx.store.set_cursor(
                        ctx.name, system, read.high.modified, read.high.id, read_at=read.started, tx=tx
                    )
                if read.reconciled:
                    ctx.store.set_reconciled(ctx.name, system, read.started, tx=tx)
            done = [
                dl_id
                for role_retries in retries.values()
                for dl_id, system, ext_id in role_retries
                if (system, ext_id) not in ledger.failed
            ]
            # records that waited on an open dead letter, changed, and went through this time
            done += [dl_id for dl_id, key in ledger.resumed.items() if key not in ledger.failed]
            if done:
                ctx.store.set_dead_letter_status(done, "resolved", tx=tx)

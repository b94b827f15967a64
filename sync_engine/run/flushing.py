"""Flushing: a full batch is written, settled and committed; with concurrent writes, several batches
are in flight at once and each is committed as it finishes.

A batch's writes and follow-up writes run on a worker thread (connector calls only); its commit runs on
the run's own thread, in the order batches were sent, after the "after_write" step hook. A batch is
committed only after its writes, as in the sequential run, so a crash at any point leaves at most
written-but-uncommitted records, which the rerun claims without duplicates.
"""

from __future__ import annotations

import logging
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from sync_engine.report import PlannedWrite
from sync_engine.run import conflicts
from sync_engine.run.committing import commit, count_write
from sync_engine.run.context import RunContext, RunLedger
from sync_engine.run.items import Item
from sync_engine.run.settling import settle
from sync_engine.run.writing import Results, write_items

__all__ = ["Flusher"]

log = logging.getLogger("synchub.run")


@dataclass
class _Written:
    items: list[Item]
    results: Results
    settled: Results


class Flusher:
    """Takes full batches; ``concurrency`` > 1 keeps that many in flight (connectors that allow it)."""

    def __init__(self, ctx: RunContext, ledger: RunLedger, concurrency: int) -> None:
        self.ctx = ctx
        self.ledger = ledger
        self.concurrency = max(1, concurrency)
        self.pool = (
            ThreadPoolExecutor(self.concurrency, thread_name_prefix="synchub-write")
            if self.concurrency > 1
            else None
        )
        self.in_flight: deque[Future[_Written]] = deque()

    def flush(self, items: list[Item]) -> None:
        if not items:
            return
        if self.ctx.dry_run:
            self._plan(items)
            return
        if self.pool is None:
            self._commit(self._write(items))
            return
        self.in_flight.append(self.pool.submit(self._write, items))
        while self.in_flight and (self.in_flight[0].done() or len(self.in_flight) >= self.concurrency):
            self._commit(self.in_flight.popleft().result())

    def drain(self) -> None:
        """Commit every batch still in flight."""
        while self.in_flight:
            self._commit(self.in_flight.popleft().result())

    def close(self) -> None:
        """Wait for writes still running (they cannot be called back), commit nothing more."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _write(self, items: list[Item]) -> _Written:
        ctx = self.ctx
        with ctx.report.timed("write"):
            results = write_items(ctx.sides, items, lambda item: item.requests, ctx.retry)
        with ctx.report.timed("settle"):
            settled = settle(ctx, items, results)
        return _Written(items, results, settled)

    def _commit(self, written: _Written) -> None:
        ctx = self.ctx
        ctx.hook("after_write")
        with ctx.report.timed("commit"):
            commit(ctx, self.ledger, written.items, written.results, written.settled)
        ctx.progress("written", len(written.items))
        failed = sum(not r.ok for r in (*written.results.values(), *written.settled.values()))
        items, writes, follow_ups = len(written.items), len(written.results), len(written.settled)
        log.info("flow %s: batch of %d records committed (%d writes, %d follow-up writes, %d refused)",
                 ctx.name, items, writes, follow_ups, failed)  # fmt: skip

    def _plan(self, items: list[Item]) -> None:
        """Dry run: what the batch would write, and the conflicts it would open."""
        ctx, report = self.ctx, self.ctx.report
        conflicts.count_planned(ctx, items)
        for item in items:
            for role, req in item.requests.items():
                system = ctx.sides[role].system
                report.plan.append(PlannedWrite(role, system, req.op, item.cid, req.id, sorted(req.data)))
                count_write(ctx, role, req.op)

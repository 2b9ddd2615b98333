"""A pool of workers for one stage of one job, inside one scheduler process.

Workers claim leased items until none is left (or the job stops running),
process them, and record each outcome in one transaction with the item's
compare-and-set. A flusher writes the workers' live state (current item,
bytes, speed) to ``job_workers`` and renews the leases of the items in hand.
Several processes may run pools for the same stage: SKIP LOCKED shares the items.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import grpc
import psycopg

from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn
from services.scheduler.engine import leases
from services.scheduler.engine.context import EngineContext, JobInfo, Precheck, Processor, WorkerState
from services.scheduler.engine.journal import record
from services.scheduler.engine.notify import notify
from services.scheduler.engine.outcome import Outcome
from services.scheduler.text import clean

log = logging.getLogger(__name__)
FLUSH_SECONDS = 1.0
MAX_BATCH = 32
DEFER_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 60.0
RECORD_FAILURE_PAUSE_SECONDS = 1.0
TRANSIENT_GRPC = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED}
)


class StagePool:
    def __init__(
        self,
        ctx: EngineContext,
        job: JobInfo,
        stage_id: int,
        stage: str,
        workers: int,
        processor: Processor,
        precheck: Precheck | None = None,
    ) -> None:
        self.ctx = ctx
        self.job = job
        self.stage_id = stage_id
        self.stage = stage
        self.processor = processor
        self.precheck = precheck
        short = ctx.instance_id.rsplit(":", 1)[-1]
        self.states = [WorkerState(stage_id, f"{short}-{n + 1}") for n in range(workers)]
        self.in_hand: dict[int, leases.Lease] = {}
        self.task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def done(self) -> bool:
        return self.task is not None and self.task.done()

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"pool:{self.job.id}:{self.stage}")

    def stop_claiming(self) -> None:
        self._stopping = True

    async def cancel(self) -> None:
        """Stop now: in-flight items are abandoned (their leases no longer match)."""
        self._stopping = True
        if self.task is not None and not self.task.done():
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass

    async def shutdown(self, grace: float) -> None:
        """Finish in-flight items within ``grace`` seconds, then give the rest back to the queue."""
        self._stopping = True
        if self.task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self.task), grace)
        except TimeoutError:
            held = list(self.in_hand.values())
            await self.cancel()
            async with self.ctx.pool.connection() as conn:
                for lease in held:
                    await leases.release(conn, lease, "released: the scheduler process was shutting down")

    async def _run(self) -> None:
        async with self.ctx.pool.connection() as conn:
            for state in self.states:
                await conn.execute(
                    Q["upsert_worker"],
                    {
                        "job_id": self.job.id,
                        "stage_id": self.stage_id,
                        "worker_key": state.worker_key,
                        "owner": self.ctx.instance_id,
                    },
                )
        flusher = asyncio.create_task(self._flush_loop())
        try:
            await asyncio.gather(*(self._work(state) for state in self.states))
        finally:
            flusher.cancel()
            try:
                async with self.ctx.pool.connection() as conn:
                    await self._flush(conn)
                    await conn.execute(
                        Q["stop_workers_of_stage"], {"stage_id": self.stage_id, "owner": self.ctx.instance_id}
                    )
                    await notify(conn, self.job.id, "workers_stopped")
            except psycopg.Error:
                log.warning("could not mark the workers of stage %s stopped", self.stage_id)

    async def _work(self, state: WorkerState) -> None:
        settings = self.ctx.settings
        batch = 1
        while not self._stopping:
            try:
                async with self.ctx.pool.connection() as conn:
                    claimed = await leases.claim(
                        conn,
                        self.stage_id,
                        self.ctx.instance_id,
                        state.worker_key,
                        settings.lease_seconds,
                        batch,
                    )
                if not claimed:
                    wait = await self._next_due()
                    if wait is None:
                        return
                    await asyncio.sleep(wait)
                    continue
                rest, settled = await self._settle_cheap(state, claimed)
            except psycopg.OperationalError as exc:
                log.warning("claim failed (database unavailable?): %s", exc)
                await asyncio.sleep(1.0)
                continue
            # Grow the batch while items are cheap; one at a time once they need real work.
            batch = min(MAX_BATCH, 1 + 2 * settled) if self.precheck is not None else 1
            for lease in rest:
                await self._process(state, lease)

    async def _next_due(self) -> float | None:
        """Seconds until a backed-off item of this stage is due (at most 1), or None when there is none
        or the job no longer runs (paused, canceled): then the worker stops."""
        async with self.ctx.pool.connection() as conn:
            row = await (
                await conn.execute(Q["stage_wait_state"], {"stage_id": self.stage_id, "job_id": self.job.id})
            ).fetchone()
        if row is None or row["job_status"] != "running" or row["next_due"] is None or self._stopping:
            return None
        return min(1.0, max(0.05, float(row["next_due"].total_seconds())))

    async def _settle_cheap(
        self, state: WorkerState, claimed: list[leases.Lease]
    ) -> tuple[list[leases.Lease], int]:
        """Record the items the stage's precheck settles without I/O; give back all but one of the rest."""
        if self.precheck is None:
            return claimed, 0
        for lease in claimed:
            self.in_hand[lease.item_id] = lease
        try:
            decided = await self.precheck(self.ctx, self.job, claimed)
            rest = [lease for lease in claimed if lease.item_id not in decided]
            async with self.ctx.pool.connection() as conn:
                if decided:
                    cheap = [lease for lease in claimed if lease.item_id in decided]
                    recorded = await leases.finish_many(
                        conn, cheap, [decided[lease.item_id] for lease in cheap]
                    )
                    state.processed += recorded
                    state.label = cheap[-1].label
                if len(rest) > 1:
                    await leases.release_many(conn, rest[1:])
        finally:
            for lease in claimed:
                self.in_hand.pop(lease.item_id, None)
        return rest[:1], len(decided)

    async def _process(self, state: WorkerState, lease: leases.Lease) -> None:
        self.in_hand[lease.item_id] = lease
        state.start(lease.item_id, lease.label)
        started = time.monotonic()
        try:
            outcome = await self._outcome(state, lease)
            await self._record(lease, outcome)
            state.done(outcome.status == "failed")
        except leases.LeaseLost as exc:
            log.info("%s", exc)
            state.done(False)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Recording failed (database gone, a query error, a bug): give the item back instead of
            # ending this worker; when even that fails, its lease expires and the sweep requeues it.
            log.warning("could not record item %s: %s", lease.item_id, exc, exc_info=True)
            state.done(True)
            await self._give_back(lease, "released: its outcome could not be recorded")
            await asyncio.sleep(RECORD_FAILURE_PAUSE_SECONDS)
        finally:
            self.in_hand.pop(lease.item_id, None)
            log.debug("item %s took %.3fs", lease.item_id, time.monotonic() - started)

    async def _outcome(self, state: WorkerState, lease: leases.Lease) -> Outcome:
        try:
            return await self.processor(self.ctx, self.job, lease, state)
        except grpc.aio.AioRpcError as exc:
            message = f"{exc.code().name}: {exc.details()}"
            if exc.code() == grpc.StatusCode.UNAVAILABLE:
                # One of our own services is down or restarting: not the item's fault.
                return Outcome.defer(message)
            return Outcome.retry(message) if exc.code() in TRANSIENT_GRPC else Outcome.failed(message)
        except (asyncio.CancelledError, leases.LeaseLost, psycopg.OperationalError):
            raise
        except Exception as exc:
            log.exception("item %s (%s) failed unexpectedly", lease.item_id, lease.label)
            return Outcome.failed(f"internal error (see the scheduler log): {exc}")

    async def _record(self, lease: leases.Lease, outcome: Outcome) -> None:
        """Record the outcome; a deadlock or serialization failure is retried (the writes are idempotent)."""
        async with outcome.gate or contextlib.nullcontext():
            await self._record_retrying(lease, outcome)

    async def _record_retrying(self, lease: leases.Lease, outcome: Outcome) -> None:
        for attempt in range(1, 4):
            try:
                await self._record_once(lease, outcome)
                return
            except psycopg.errors.TransactionRollback:
                if attempt == 3:
                    raise
                await asyncio.sleep(0.05 * attempt)

    async def _give_back(self, lease: leases.Lease, reason: str) -> None:
        try:
            async with self.ctx.pool.connection() as conn:
                await leases.release(conn, lease, reason, DEFER_SECONDS)
        except Exception as exc:
            log.warning("could not release item %s either (its lease will expire): %s", lease.item_id, exc)

    async def _record_once(self, lease: leases.Lease, outcome: Outcome) -> None:
        status: str = outcome.status
        if status == "retry":
            status = "queued" if lease.attempt < self.ctx.settings.item_attempts else "failed"
        explained = outcome.candidates is not None or outcome.failure_class is not None
        if status in ("succeeded", "skipped") and outcome.commit is None and not explained:
            # The cheap common case (e.g. "already downloaded"): one statement, no transaction;
            # watchers hear about it through the flusher's progress notification.
            async with self.ctx.pool.connection() as conn:
                await leases.finish(
                    conn, lease, status, result=outcome.result, skip_reason=outcome.skip_reason
                )
            return
        async with self.ctx.pool.connection() as conn, conn.transaction():
            if outcome.status == "release":
                delay = 0.0 if outcome.pause_reason else DEFER_SECONDS
                if outcome.delay is not None:
                    delay = outcome.delay
                released = await leases.release(
                    conn, lease, outcome.error or "released", delay, outcome.result, outcome.failure_class
                )
                if not released:
                    raise leases.LeaseLost(f"item {lease.item_id} was no longer ours to release")
                if outcome.commit is not None:
                    await outcome.commit(conn)
                if outcome.pause_reason:
                    await self._pause_job(conn, outcome.pause_reason)
                else:
                    log.warning("item %s deferred %.0fs: %s", lease.item_id, delay, outcome.error)
                return
            location_id = await outcome.commit(conn) if outcome.commit is not None else None
            await leases.finish(
                conn,
                lease,
                status,
                result=outcome.result,
                error=outcome.error,
                skip_reason=outcome.skip_reason,
                file_location_id=location_id,
                delay=min(MAX_BACKOFF_SECONDS, 2.0**lease.attempt),
                candidates=outcome.candidates,
                failure_class=outcome.failure_class,
            )
            if status == "failed":
                await record(
                    conn,
                    self.job.id,
                    "item_failed",
                    f"{lease.label}: {outcome.error}",
                    stage=self.stage,
                    item_id=lease.item_id,
                    level="warning",
                )
            elif status == "queued":
                await record(
                    conn,
                    self.job.id,
                    "item_retry",
                    f"{lease.label}: attempt {lease.attempt} failed, will retry: {outcome.error}",
                    stage=self.stage,
                    item_id=lease.item_id,
                    level="warning",
                )
            else:
                await notify(conn, self.job.id, "item")

    async def _pause_job(self, conn: Conn, reason: str) -> None:
        cursor = await conn.execute(
            Q["set_job_status"],
            {
                "job_id": self.job.id,
                "status": "pause_requested",
                "expected": ["running"],
                "pause_reason": clean(reason),
                "error": None,
            },
        )
        if await cursor.fetchone() is not None:
            await record(conn, self.job.id, "job_pause_requested", reason, stage=self.stage, level="warning")

    async def _flush_loop(self) -> None:
        renew_every = max(1.0, self.ctx.settings.lease_seconds / 3)
        last_renew = 0.0
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                async with self.ctx.pool.connection() as conn:
                    await self._flush(conn)
                    if time.monotonic() - last_renew >= renew_every:
                        await leases.renew(
                            conn, self.ctx.instance_id, list(self.in_hand), self.ctx.settings.lease_seconds
                        )
                        last_renew = time.monotonic()
                    await notify(conn, self.job.id, "progress")
            except psycopg.Error as exc:
                log.warning("worker state flush failed: %s", exc)

    async def _flush(self, conn: Conn) -> None:
        states = self.states
        await conn.execute(
            Q["update_workers"],
            {
                "stage_ids": [s.stage_id for s in states],
                "worker_keys": [s.worker_key for s in states],
                "statuses": [s.status for s in states],
                "item_ids": [s.item_id for s in states],
                "labels": [clean(s.label)[:500] for s in states],
                "processed": [s.processed for s in states],
                "errors": [s.errors for s in states],
                "downloaded": [s.downloaded_bytes for s in states],
                "totals": [s.total_bytes for s in states],
                "speeds": [s.bytes_per_second for s in states],
            },
        )

"""The engine loop of one scheduler process.

Every tick: apply pending commands, sweep crashed work back to the queue,
admit queued jobs into their lanes, and drive each active job — plan its
current stage, keep a local worker pool on it while items wait, close the
stage when nothing is left, finish the job after its last stage. All state is
in PostgreSQL and every transition is a compare-and-set, so any number of
processes can run this loop on one database.

The loop awaits nothing slower than a database round trip: worker pools and
the stages' hooks (exports, the catalog export command) run as background
tasks. A stage's after-close hook is recorded on the stage row
(``hooks.after_close``: running → done/failed/interrupted, with the process running
it); the job finishes once it has ended or that process has stopped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn
from services.scheduler.engine import commands, lanes, planning, recovery
from services.scheduler.engine.background import BackgroundWork
from services.scheduler.engine.context import EngineContext, JobInfo, StageHooks
from services.scheduler.engine.jobdefs import ACTIVE_STATUSES, TERMINAL_STATUSES
from services.scheduler.engine.journal import record
from services.scheduler.engine.notify import Change
from services.scheduler.engine.workers import StagePool
from services.scheduler.stages import HOOKS, PRECHECKS, PROCESSORS

log = logging.getLogger(__name__)
SWEEP_SECONDS = 2.0
DATABASE_RETRY_SECONDS = 1.0
MAX_PLAN_FAILURES = 3
HOOK_INTERVAL_SECONDS = 2.0
STAGE_DONE = frozenset({"completed", "completed_with_errors", "failed", "canceled"})


class Runner:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx
        self.pools: dict[tuple[int, int], StagePool] = {}
        self._last_sweep = 0.0
        self._plan_failures: dict[int, int] = {}
        self._hook_started: dict[int, float] = {}
        self.background = BackgroundWork()

    async def run(self) -> None:
        queue = self.ctx.listener.subscribe()
        try:
            while True:
                try:
                    await self.tick()
                except psycopg.OperationalError as exc:
                    # PostgreSQL is away (restarting): try again shortly rather than back off for long.
                    log.warning("engine tick failed, database unavailable? %s", exc)
                    await asyncio.sleep(DATABASE_RETRY_SECONDS)
                    continue
                await self._wait(queue)
        finally:
            self.ctx.listener.unsubscribe(queue)

    async def _wait(self, queue: asyncio.Queue[Change]) -> None:
        try:
            await asyncio.wait_for(queue.get(), self.ctx.settings.poll_seconds)
        except TimeoutError:
            return
        while not queue.empty():
            queue.get_nowait()

    async def shutdown(self, grace: float) -> None:
        """Let local workers and hooks finish within ``grace``; give back what they still hold."""
        pools = list(self.pools.values())
        await asyncio.gather(
            *(pool.shutdown(grace) for pool in pools), self.background.shutdown(grace), return_exceptions=True
        )
        self.pools.clear()

    async def tick(self) -> None:
        async with self.ctx.pool.connection() as conn:
            canceled = await commands.apply_pending(conn)
        for job_id in canceled:
            await self._cancel_local(job_id)
        if time.monotonic() - self._last_sweep >= SWEEP_SECONDS:
            await recovery.sweep(self.ctx)
            self._last_sweep = time.monotonic()
        async with self.ctx.pool.connection() as conn:
            await lanes.admit(conn, self.ctx.settings.general_lane_jobs)
            active = await (await conn.execute(Q["active_jobs"])).fetchall()
        await self._reap_pools({job["id"] for job in active})
        for job in active:
            await self.drive(job)

    async def _cancel_local(self, job_id: int) -> None:
        for key, pool in list(self.pools.items()):
            if key[0] == job_id:
                await pool.cancel()
                self.pools.pop(key, None)

    async def _reap_pools(self, active_ids: set[int]) -> None:
        for key, pool in list(self.pools.items()):
            if pool.done:
                self.pools.pop(key)
                if pool.task is not None and not pool.task.cancelled() and pool.task.exception() is not None:
                    log.error("worker pool %s stopped with an error", key, exc_info=pool.task.exception())
            elif key[0] not in active_ids:
                async with self.ctx.pool.connection() as conn:
                    job = await (await conn.execute(Q["get_job"], {"job_id": key[0]})).fetchone()
                if job is None or job["status"] in TERMINAL_STATUSES:
                    await self._cancel_local(key[0])
                else:
                    pool.stop_claiming()

    async def drive(self, job: dict[str, Any]) -> None:
        info = JobInfo.from_row(job)
        for _ in range(8):  # a few stages may complete in one tick (e.g. empty ones)
            async with self.ctx.pool.connection() as conn:
                stages = await (await conn.execute(Q["job_stages"], {"job_id": info.id})).fetchall()
            current = next((s for s in stages if s["status"] not in STAGE_DONE), None)
            if current is None:
                if not await self._after_close_pending(stages):
                    await self._finish_job(info, stages)
                elif job["status"] == "pause_requested":
                    await self._settle_pause(info)
                return
            if job["status"] == "pause_requested":
                await self._settle_pause(info)
                return
            if current["status"] == "pending" and not await self._plan(info, current):
                return
            if current["status"] == "planning":
                return
            if not await self._advance(info, current):
                return

    async def _plan(self, job: JobInfo, stage: dict[str, Any]) -> bool:
        """Plan a pending stage (one process wins the compare-and-set); True when it is now running."""
        params = {"stage_id": stage["id"], "planner": self.ctx.instance_id, "error": None}
        try:
            async with self.ctx.pool.connection() as conn, conn.transaction():
                claimed = await (
                    await conn.execute(
                        Q["set_stage_status"], {**params, "status": "planning", "expected": ["pending"]}
                    )
                ).fetchone()
                if claimed is None:
                    return False
                total = await planning.plan(conn, job, stage["stage"], stage["id"])
                await conn.execute(
                    Q["set_stage_status"], {**params, "status": "running", "expected": ["planning"]}
                )
                await record(
                    conn,
                    job.id,
                    "stage_started",
                    f"{stage['stage']}: {total} item(s) planned",
                    stage=stage["stage"],
                )
        except psycopg.OperationalError:
            raise
        except Exception as exc:
            failures = self._plan_failures.get(stage["id"], 0) + 1
            self._plan_failures[stage["id"]] = failures
            log.exception("planning %s of job %s failed (%d)", stage["stage"], job.id, failures)
            if failures >= MAX_PLAN_FAILURES:
                await self._fail_stage(job, stage, f"planning failed: {type(exc).__name__}: {exc}")
            return False
        stage["status"] = "running"
        return True

    async def _fail_stage(self, job: JobInfo, stage: dict[str, Any], error: str) -> None:
        async with self.ctx.pool.connection() as conn, conn.transaction():
            await conn.execute(
                Q["set_stage_status"],
                {
                    "stage_id": stage["id"],
                    "status": "failed",
                    "expected": ["pending", "planning", "running"],
                    "planner": None,
                    "error": error,
                },
            )
            await record(conn, job.id, "stage_failed", error, stage=stage["stage"], level="error")

    async def _advance(self, job: JobInfo, stage: dict[str, Any]) -> bool:
        """Keep a worker pool on a running stage; close it when empty. True when it closed."""
        async with self.ctx.pool.connection() as conn:
            counts = await (await conn.execute(Q["stage_open_counts"], {"stage_id": stage["id"]})).fetchone()
        assert counts is not None
        key = (job.id, stage["id"])
        pool = self.pools.get(key)
        stage_hooks = HOOKS.get(stage["stage"])
        if stage_hooks is not None:
            self._start_while_running(job, stage, stage_hooks)
        if counts["waiting"] > 0:
            if pool is None or pool.done:
                pool = StagePool(
                    self.ctx,
                    job,
                    stage["id"],
                    stage["stage"],
                    stage["workers"],
                    PROCESSORS[stage["stage"]],
                    PRECHECKS.get(stage["stage"]),
                )
                self.pools[key] = pool
                pool.start()
            return False
        if counts["running"] > 0 or (pool is not None and not pool.done):
            return False
        async with self.ctx.pool.connection() as conn, conn.transaction():
            # Commands take the job's row lock to retry items: under it, what is left is read again,
            # so an item retried since the counts above is never closed into a finished stage.
            await conn.execute(Q["lock_job"], {"job_id": job.id})
            counts = await (await conn.execute(Q["stage_open_counts"], {"stage_id": stage["id"]})).fetchone()
            assert counts is not None
            if counts["waiting"] > 0 or counts["running"] > 0:
                return False
            status = "completed_with_errors" if counts["failed"] else "completed"
            closed = await (
                await conn.execute(
                    Q["set_stage_status"],
                    {
                        "stage_id": stage["id"],
                        "status": status,
                        "expected": ["running"],
                        "planner": None,
                        "error": None,
                    },
                )
            ).fetchone()
            if closed is None:
                return False
            await record(
                conn,
                job.id,
                "stage_finished",
                f"{stage['stage']} {status}: {counts['total']} item(s), {counts['failed']} failed, "
                f"{counts['unavailable']} unavailable",
                stage=stage["stage"],
            )
            if stage_hooks is not None and stage_hooks.after_close is not None:
                await self._mark_after_close(conn, stage["id"], "running")
        if stage_hooks is not None and stage_hooks.after_close is not None:
            self.background.start(
                ("after_close", stage["id"]), lambda: self._run_after_close(job, stage["id"], stage_hooks)
            )
        return True

    def _start_while_running(self, job: JobInfo, stage: dict[str, Any], stage_hooks: StageHooks) -> None:
        hook = stage_hooks.while_running
        if hook is None:
            return
        if time.monotonic() - self._hook_started.get(stage["id"], 0.0) < HOOK_INTERVAL_SECONDS:
            return
        started = self.background.start(
            ("while_running", stage["id"]), lambda: hook(self.ctx, job.id, stage["id"])
        )
        if started:
            self._hook_started[stage["id"]] = time.monotonic()

    async def _run_after_close(self, job: JobInfo, stage_id: int, stage_hooks: StageHooks) -> None:
        assert stage_hooks.after_close is not None
        await self.background.settled(("while_running", stage_id))
        self._hook_started.pop(stage_id, None)
        outcome = "interrupted"
        try:
            await stage_hooks.after_close(self.ctx, job.id, stage_id)
            outcome = "done"
        except Exception:
            outcome = "failed"
            raise
        finally:
            async with self.ctx.pool.connection() as conn:
                await self._mark_after_close(conn, stage_id, outcome)

    async def _mark_after_close(self, conn: Conn, stage_id: int, state: str) -> None:
        hooks = {"after_close": state, "after_close_by": self.ctx.instance_id}
        await conn.execute(Q["set_stage_hooks"], {"stage_id": stage_id, "hooks": Jsonb(hooks)})

    async def _after_close_pending(self, stages: list[dict[str, Any]]) -> bool:
        """Some stage's after-close hook still runs, here or in a scheduler process that is alive."""
        for stage in stages:
            hooks = stage["hooks"] or {}
            if hooks.get("after_close") != "running":
                continue
            if self.background.running(("after_close", stage["id"])):
                return True
            owner = hooks.get("after_close_by")
            if owner == self.ctx.instance_id:
                continue  # this process no longer runs it: it was lost with an earlier run of this process
            timeout = timedelta(seconds=self.ctx.settings.instance_timeout_seconds)
            async with self.ctx.pool.connection() as conn:
                row = await (
                    await conn.execute(Q["instance_alive"], {"id": owner, "timeout": timeout})
                ).fetchone()
            if row is not None and row["alive"]:
                return True
        return False

    async def _settle_pause(self, job: JobInfo) -> None:
        if any(key[0] == job.id and not pool.done for key, pool in self.pools.items()):
            for key, pool in self.pools.items():
                if key[0] == job.id:
                    pool.stop_claiming()
            return
        async with self.ctx.pool.connection() as conn, conn.transaction():
            running = await (await conn.execute(Q["running_items_of_job"], {"job_id": job.id})).fetchone()
            if running and running["running"]:
                return
            paused = await (
                await conn.execute(
                    Q["set_job_status"],
                    {
                        "job_id": job.id,
                        "status": "paused",
                        "expected": ["pause_requested"],
                        "pause_reason": None,
                        "error": None,
                    },
                )
            ).fetchone()
            if paused is not None:
                await record(conn, job.id, "job_paused", paused["pause_reason"] or "paused")

    async def _finish_job(self, job: JobInfo, stages: list[dict[str, Any]]) -> None:
        """Finish a running job whose ``stages`` are all closed, unless they changed since they were read.

        A pause asked for once the last stage closed finishes the job too: nothing is left to pause,
        and a job left ``pause_requested`` would hold its lane until someone resumed it.

        Commands take the job's row lock to reopen a stage (a retried item); under that lock the
        stages are read again, so a job reopened meanwhile (by this or another process) is never
        finished on the strength of what it looked like before.
        """
        async with self.ctx.pool.connection() as conn, conn.transaction():
            locked = await (await conn.execute(Q["lock_job"], {"job_id": job.id})).fetchone()
            if locked is None or locked["status"] not in ACTIVE_STATUSES:
                return
            current = await (await conn.execute(Q["job_stages"], {"job_id": job.id})).fetchall()
            if current != stages:
                return
            final = _final_status(stages)
            error = next((s["error"] for s in stages if s["status"] == "failed" and s["error"]), None)
            done = await (
                await conn.execute(
                    Q["set_job_status"],
                    {
                        "job_id": job.id,
                        "status": final,
                        "expected": sorted(ACTIVE_STATUSES),
                        "pause_reason": None,
                        "error": error,
                    },
                )
            ).fetchone()
            if done is not None:
                summary = ", ".join(f"{s['stage']} {s['status']}" for s in stages)
                await record(conn, job.id, "job_finished", f"{final}: {summary}")


def _final_status(stages: list[dict[str, Any]]) -> str:
    statuses = {s["status"] for s in stages}
    if "failed" in statuses:
        return "failed"
    if "completed_with_errors" in statuses:
        return "completed_with_errors"
    if "canceled" in statuses:
        return "canceled"
    return "completed"

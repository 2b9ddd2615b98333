"""Recovery: this process's heartbeat, and the sweep that returns dead workers' items to the queue."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections import Counter
from datetime import timedelta

import psycopg

from services.scheduler.db.queries import Q
from services.scheduler.engine import leases
from services.scheduler.engine.context import EngineContext
from services.scheduler.engine.journal import record

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 2.0


async def register(ctx: EngineContext) -> None:
    async with ctx.pool.connection() as conn:
        await conn.execute(
            Q["register_instance"],
            {"id": ctx.instance_id, "hostname": socket.gethostname(), "pid": os.getpid()},
        )


async def heartbeat_forever(ctx: EngineContext) -> None:
    """Keep this process marked alive; other processes treat a stale heartbeat as a crash."""
    await register(ctx)
    while True:
        try:
            async with ctx.pool.connection() as conn:
                row = await (await conn.execute(Q["heartbeat_instance"], {"id": ctx.instance_id})).fetchone()
                if row is None:
                    await register(ctx)
        except psycopg.OperationalError as exc:
            log.warning("heartbeat failed, database unavailable? %s", exc)
        await asyncio.sleep(HEARTBEAT_SECONDS)


async def mark_stopped(ctx: EngineContext) -> None:
    async with ctx.pool.connection() as conn:
        await conn.execute(Q["stop_instance"], {"id": ctx.instance_id})


async def sweep(ctx: EngineContext) -> None:
    """Interrupt items of crashed workers, reset half-planned stages, stop dead workers."""
    timeout = ctx.settings.instance_timeout_seconds
    async with ctx.pool.connection() as conn, conn.transaction():
        interrupted = await leases.expire(conn, timeout)
        per_job = Counter(row["job_id"] for row in interrupted)
        for job_id, count in per_job.items():
            await record(
                conn,
                job_id,
                "items_interrupted",
                f"{count} running item(s) of a stopped worker went back to the queue",
                data={"item_ids": [row["id"] for row in interrupted if row["job_id"] == job_id][:100]},
                level="warning",
            )
        stale = await (
            await conn.execute(Q["stale_planning_stages"], {"timeout": timedelta(seconds=timeout)})
        ).fetchall()
        for row in stale:
            await record(
                conn,
                row["job_id"],
                "stage_replanned",
                "the process planning this stage stopped; planning again",
            )
        await conn.execute(Q["stop_dead_workers"], {"instance_timeout": timedelta(seconds=timeout)})

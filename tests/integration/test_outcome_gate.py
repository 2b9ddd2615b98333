"""An outcome's gate bounds how many outcomes are recorded at once (the sync stage's writers).

A real PostgreSQL and the real worker pool: four workers, a gate of one; every commit notes how
many commits are running beside it.
"""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from services.scheduler.clients import Clients
from services.scheduler.config import Settings
from services.scheduler.db.pool import make_pool
from services.scheduler.engine import recovery
from services.scheduler.engine.context import EngineContext, JobInfo, WorkerState
from services.scheduler.engine.leases import Lease
from services.scheduler.engine.notify import Listener
from services.scheduler.engine.outcome import Outcome
from services.scheduler.engine.workers import StagePool
from tests.integration.test_outcome_recording import make_job

pytestmark = pytest.mark.anyio


async def test_a_gate_of_one_records_one_outcome_at_a_time(database_url: str) -> None:
    job_id, stage_id = make_job(database_url, items=8)
    settings = Settings.from_env(
        {"DATABASE_URL": database_url, "CATALOGSYNC_SCHEDULER_INSTANCE_ID": "test:1:gate"}
    )
    pool = make_pool(database_url, name="engine-test", min_size=1, max_size=8)
    await pool.open(wait=True, timeout=30)
    clients = Clients.open(settings)
    ctx = EngineContext(settings, pool, clients, Listener(database_url))
    gate = asyncio.Semaphore(1)
    running: list[int] = []
    seen: list[int] = []

    async def commit(conn: psycopg.AsyncConnection) -> None:
        running.append(1)
        seen.append(len(running))
        await asyncio.sleep(0.02)  # the other workers reach their commits meanwhile
        await conn.execute("SELECT 1")
        running.pop()

    async def processor(_: EngineContext, __: JobInfo, lease: Lease, ___: WorkerState) -> Outcome:
        return Outcome.ok({"item": lease.label}, commit=commit, gate=gate)

    try:
        await recovery.register(ctx)
        stage_pool = StagePool(ctx, JobInfo(job_id, "sync_only", {}), stage_id, "sync", 4, processor)
        stage_pool.start()
        assert stage_pool.task is not None
        await stage_pool.task
    finally:
        await clients.close()
        await pool.close()

    with psycopg.connect(database_url) as conn:
        statuses = conn.execute(
            "SELECT status FROM job_items WHERE job_stage_id = %s", (stage_id,)
        ).fetchall()
    assert [status for (status,) in statuses] == ["succeeded"] * 8
    assert seen == [1] * 8, "never two outcomes recorded at once"


def test_the_sync_stage_writes_two_playlists_at_a_time_unless_told() -> None:
    base = {"DATABASE_URL": "postgresql://unused/db"}
    assert Settings.from_env(base).sync_writers == 2
    assert Settings.from_env({**base, "CATALOGSYNC_SYNC_WRITERS": "6"}).sync_writers == 6

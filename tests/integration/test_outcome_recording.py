"""A failure while recording an item's outcome gives the item back; the worker pool keeps going.

A real PostgreSQL and the real worker pool: the outcome's commit terminates its own connection
(what a PostgreSQL restart does to a worker) or fails with a serialization error or a query error.
"""

from __future__ import annotations

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

pytestmark = pytest.mark.anyio

FAILURES = {
    "connection terminated": "SELECT pg_terminate_backend(pg_backend_pid())",
    "serialization failure": "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$",
    "query error": "SELECT 1 / 0",
}


def make_job(database_url: str, items: int) -> tuple[int, int]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        job_id = conn.execute(
            "INSERT INTO job_runs (job_type, status, lane, display_name) "
            "VALUES ('sync_only', 'running', 'general', 'recording test') RETURNING id"
        ).fetchone()[0]
        stage_id = conn.execute(
            "INSERT INTO job_stages (job_id, stage, seq, status) VALUES (%s, 'sync', 0, 'running') RETURNING id",
            (job_id,),
        ).fetchone()[0]
        for n in range(items):
            conn.execute(
                "INSERT INTO job_items (job_id, job_stage_id, item_key, kind, label, seq) "
                "VALUES (%s, %s, %s, 'playlist', %s, %s)",
                (job_id, stage_id, f"item-{n}", f"item {n}", n),
            )
    return job_id, stage_id


@pytest.mark.parametrize("failure", sorted(FAILURES))
async def test_an_error_while_recording_releases_the_item(database_url: str, failure: str) -> None:
    job_id, stage_id = make_job(database_url, items=3)
    settings = Settings.from_env(
        {"DATABASE_URL": database_url, "CATALOGSYNC_SCHEDULER_INSTANCE_ID": "test:1:a"}
    )
    pool = make_pool(database_url, name="engine-test", min_size=1, max_size=4)
    await pool.open(wait=True, timeout=30)
    clients = Clients.open(settings)
    ctx = EngineContext(settings, pool, clients, Listener(database_url))
    calls: dict[int, int] = {}

    async def failing_commit(conn: psycopg.AsyncConnection) -> None:
        await conn.execute(FAILURES[failure])

    async def processor(_: EngineContext, __: JobInfo, lease: Lease, ___: WorkerState) -> Outcome:
        calls[lease.item_id] = calls.get(lease.item_id, 0) + 1
        if lease.label == "item 1" and calls[lease.item_id] == 1:
            return Outcome.ok({"n": 1}, commit=failing_commit)
        return Outcome.ok({"n": calls[lease.item_id]})

    try:
        await recovery.register(ctx)
        stage_pool = StagePool(ctx, JobInfo(job_id, "sync_only", {}), stage_id, "sync", 2, processor)
        stage_pool.start()
        assert stage_pool.task is not None
        await stage_pool.task  # ends when no item is left; raises if the pool died
    finally:
        await clients.close()
        await pool.close()

    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT label, status, attempts, result FROM job_items WHERE job_stage_id = %s ORDER BY seq",
            (stage_id,),
        ).fetchall()
    assert [(label, status) for label, status, _, _ in rows] == [
        ("item 0", "succeeded"),
        ("item 1", "succeeded"),
        ("item 2", "succeeded"),
    ]
    failed_item = rows[1]
    assert failed_item[3] == {"n": 2}, "the released item was processed again and recorded then"
    assert failed_item[2] == 1, "the failed recording did not cost the item an attempt"

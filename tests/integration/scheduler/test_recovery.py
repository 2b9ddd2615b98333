"""Recovery: a stopped process's running items and half-planned stages return to the queue;
an engine started on such a database finishes the job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from services.scheduler import storage
from services.scheduler.db.pool import make_pool
from services.scheduler.engine import leases, recovery
from services.scheduler.engine.context import EngineContext
from tests.integration.scheduler.conftest import items_of, job_row, register_instance, running_download_stage
from tests.support.engine import engine_settings, eventually, refusing_port, running_engine

pytestmark = pytest.mark.anyio


async def test_the_sweep_interrupts_a_dead_process_items_and_replans_its_stage(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str, tmp_path: Path
) -> None:
    job, stage = await running_download_stage(conn, database_url, songs=2)
    await register_instance(conn, "crashed")
    await leases.claim(conn, stage, "crashed", "w1", 600, batch=2)
    await conn.execute(
        "UPDATE job_stages SET status = 'planning', planner = 'crashed' WHERE id = %s", (stage,)
    )
    await conn.execute("UPDATE scheduler_instances SET heartbeat_at = now() - interval '1 hour'")
    with refusing_port() as port:
        settings = engine_settings(database_url, tmp_path, port, CATALOGSYNC_INSTANCE_TIMEOUT_SECONDS="5")
        pool = make_pool(database_url, name="sweep", max_size=2)
        await pool.open(wait=True)
        try:
            await recovery.sweep(EngineContext(settings, pool, None, None))  # type: ignore[arg-type]
        finally:
            await pool.close()
    assert {row["status"] for row in await items_of(conn, job)} == {"interrupted"}
    stage_row = await (await conn.execute("SELECT status FROM job_stages WHERE id = %s", (stage,))).fetchone()
    assert stage_row["status"] == "pending"
    cursor = await conn.execute("SELECT event_type FROM job_events WHERE job_id = %s ORDER BY id", (job,))
    kinds = [row["event_type"] for row in await cursor.fetchall()]
    assert "items_interrupted" in kinds and "stage_replanned" in kinds


async def test_an_engine_started_after_a_crash_finishes_the_job(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    await storage.set_library_root(conn, str(library))  # before the songs: their files are in it
    job, stage = await running_download_stage(conn, database_url, songs=4)
    await register_instance(conn, "crashed")
    await leases.claim(conn, stage, "crashed", "w1", 600, batch=2)
    await conn.execute("UPDATE scheduler_instances SET heartbeat_at = now() - interval '1 hour'")
    with refusing_port() as port:
        settings = engine_settings(
            database_url, tmp_path / "library", port, CATALOGSYNC_INSTANCE_TIMEOUT_SECONDS="5"
        )
        async with running_engine(settings):

            async def finished() -> bool:
                return (await job_row(conn, job))["status"] == "completed"

            await eventually(finished, "the job completed")
    items = await items_of(conn, job)
    assert {row["status"] for row in items} == {"skipped"}, "every song is in the library already"
    assert sorted(row["attempts"] for row in items) == [1, 1, 2, 2], "the crashed worker's items ran again"
    cursor = await conn.execute("SELECT hooks FROM job_stages WHERE id = %s", (stage,))
    hooks = (await cursor.fetchone())["hooks"]
    assert hooks["after_close"] == "done" and hooks["catalog_export"] == "skipped"

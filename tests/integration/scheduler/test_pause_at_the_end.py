"""A pause asked for when the job's last stage is already closed: the job ends, it does not hang.

Nothing is left to pause, and a job left ``pause_requested`` would hold its lane (the download lane
runs one job at a time) until someone resumed it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from services.scheduler.engine import commands, leases
from services.scheduler.engine.runner import Runner
from tests.integration.scheduler.conftest import job_row, running_download_stage
from tests.support.engine import engine_context, engine_settings, refusing_port, send_command

pytestmark = pytest.mark.anyio


async def test_a_pause_requested_after_the_last_stage_closed_finishes_the_job(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str, tmp_path: Path
) -> None:
    job, stage = await running_download_stage(conn, database_url, songs=1)
    (lease,) = await leases.claim(conn, stage, "process-a", "w1", 30)
    await leases.finish(conn, lease, "succeeded", result={"new_file": True})
    await conn.execute("UPDATE job_stages SET status = 'completed' WHERE id = %s", (stage,))
    await send_command(conn, job, "pause")
    await commands.apply_pending(conn)
    assert (await job_row(conn, job))["status"] == "pause_requested"
    with refusing_port() as port:
        async with engine_context(engine_settings(database_url, tmp_path / "library", port)) as ctx:
            runner = Runner(ctx)
            try:
                await runner.tick()
            finally:
                await runner.shutdown(1.0)
    row = await job_row(conn, job)
    assert row["status"] == "completed", "a job with nothing left to do stayed pause_requested"
    cursor = await conn.execute(
        "SELECT message FROM job_events WHERE job_id = %s AND event_type = 'job_finished'", (job,)
    )
    assert [r["message"] for r in await cursor.fetchall()] == ["completed: download completed"]

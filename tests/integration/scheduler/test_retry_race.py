"""Retries that reopen a job race the engine closing its stage or finishing it on what it read before.

Two engines (two scheduler processes) on one database, driven tick by tick. Process A has read that
every stage of the job is closed and is about to finish it; in that moment process B finishes it, the
operator retries the failed item, and B reopens the job and starts on the item. A must not then finish
the job on the strength of the stages it read before: the item would stay ``running`` in a finished job.
A retry while the job still runs with its stages closed (its after-close hook not ended) reopens the stage.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from services.scheduler.config import Settings
from services.scheduler.engine import commands, leases
from services.scheduler.engine.runner import Runner
from tests.integration.scheduler.conftest import items_of, job_row, running_download_stage, stages_of
from tests.support.engine import (
    connect,
    engine_context,
    engine_settings,
    eventually,
    refusing_port,
    send_command,
)

pytestmark = pytest.mark.anyio


async def test_a_job_reopened_by_a_retry_is_not_finished_by_a_process_that_read_it_closed(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = await connect(database_url)
    with refusing_port() as port:

        def settings(instance: str) -> Settings:
            return engine_settings(
                database_url, tmp_path / "library", port, CATALOGSYNC_SCHEDULER_INSTANCE_ID=instance
            )

        async with (
            engine_context(settings("process-a")) as ctx_a,
            engine_context(settings("process-b")) as ctx_b,
        ):
            a, b = Runner(ctx_a), Runner(ctx_b)
            try:
                job, stage = await running_download_stage(conn, database_url, songs=2)
                failed = (await leases.claim(conn, stage, "process-b", "w1", 30))[0]
                await leases.finish(conn, failed, "failed", error="HTTP 500 upstream")
                await _interleave_before_finishing(
                    a, monkeypatch, _retry_through(b, conn, job, failed.item_id)
                )

                async def a_about_to_finish() -> bool:
                    await a.tick()
                    cursor = await conn.execute("SELECT status FROM job_commands WHERE job_id = %s", (job,))
                    return [row["status"] for row in await cursor.fetchall()] == ["applied"]

                await eventually(a_about_to_finish, "process A read the job closed, B reopened it meanwhile")
                row = await job_row(conn, job)
                assert row["status"] == "running", "a job reopened by a retry was finished on a stale read"
                assert [s["status"] for s in await stages_of(conn, job)] == ["running"]

                async def finished() -> bool:
                    await a.tick()
                    await b.tick()
                    return str((await job_row(conn, job))["status"]) in ("completed", "completed_with_errors")

                await eventually(finished, "the reopened job finished")
                assert (await job_row(conn, job))["status"] == "completed"
                items = {row["id"]: row for row in await items_of(conn, job)}
                assert items[failed.item_id]["status"] == "skipped"
                assert items[failed.item_id]["skip_reason"] == "already downloaded"
                assert {row["status"] for row in items.values()} == {"skipped"}
            finally:
                await a.shutdown(1.0)
                await b.shutdown(1.0)
                await conn.close()


def _retry_through(
    b: Runner, conn: psycopg.AsyncConnection[dict[str, Any]], job: int, item_id: int
) -> Callable[[], Awaitable[None]]:
    """Process B finishes the job, the operator retries the failed item, B reopens the job and starts it."""

    async def steps() -> None:
        await b.tick()
        assert (await job_row(conn, job))["status"] == "completed_with_errors"
        await send_command(conn, job, "retry_item", item_id)
        await b.tick()
        assert (await job_row(conn, job))["status"] == "running"

    return steps


async def _interleave_before_finishing(
    runner: Runner, monkeypatch: pytest.MonkeyPatch, steps: Callable[[], Awaitable[None]]
) -> None:
    """Run ``steps`` once, right after ``runner`` decided from the stages it read that the job can finish."""
    checked = runner._after_close_pending
    done = False

    async def pending(stages: list[dict[str, Any]]) -> bool:
        nonlocal done
        if await checked(stages):
            return True
        if not done:
            done = True
            await steps()
        return False

    monkeypatch.setattr(runner, "_after_close_pending", pending)


async def test_an_item_retried_while_its_job_waits_to_end_reopens_its_closed_stage(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    job, stage = await running_download_stage(conn, database_url, songs=1)
    lease = (await leases.claim(conn, stage, "process-b", "w1", 30))[0]
    await leases.finish(conn, lease, "failed", error="HTTP 500 upstream")
    # The stage closed; the job still runs (its after-close hook has not ended yet).
    await conn.execute("UPDATE job_stages SET status = 'completed_with_errors' WHERE id = %s", (stage,))
    await send_command(conn, job, "retry_item", lease.item_id)
    await commands.apply_pending(conn)
    assert (await job_row(conn, job))["status"] == "running"
    assert [s["status"] for s in await stages_of(conn, job)] == ["running"], "a queued item in a closed stage"
    assert (await items_of(conn, job))[0]["status"] == "queued"

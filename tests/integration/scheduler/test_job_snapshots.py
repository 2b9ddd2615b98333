"""A job's snapshot (GetJob, ListJobs, WatchJobs) reads its row and its item counts as one moment.

A retry that reopens a finished job commits the item's and the job's new status together. A snapshot
that read the job's row before that commit and the counts after it showed a job still
``completed_with_errors`` with one failure fewer: a client waiting for "finished, one failure fewer"
took the retry as done before it ran (seen as a flaky end-to-end test).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import pytest

from services.scheduler import jobs
from services.scheduler.db.queries import Q
from services.scheduler.engine import commands, leases
from tests.integration.scheduler.conftest import running_download_stage
from tests.support.engine import connect, send_command

pytestmark = pytest.mark.anyio


class CommitsAfterJobRead:
    """A connection on which another transaction commits right after the job's row is read."""

    def __init__(self, conn: psycopg.AsyncConnection[dict[str, Any]], between: Callable[[], Awaitable[None]]):
        self._conn = conn
        self._between = between
        self.interleaved = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def execute(self, query: Any, params: Any = None) -> Any:
        cursor = await self._conn.execute(query, params)
        if query == Q["get_job"] and not self.interleaved:
            self.interleaved = True
            await self._between()
        return cursor


async def test_a_snapshot_never_mixes_a_job_read_before_a_retry_with_counts_read_after_it(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    job, stage = await running_download_stage(conn, database_url, songs=2)
    done, failed = await leases.claim(conn, stage, "process-a", "w1", 30, batch=2)
    await leases.finish(conn, done, "succeeded", result={"new_file": True})
    await leases.finish(conn, failed, "failed", error="HTTP 500 upstream")
    await conn.execute("UPDATE job_stages SET status = 'completed_with_errors' WHERE id = %s", (stage,))
    await conn.execute("UPDATE job_runs SET status = 'completed_with_errors' WHERE id = %s", (job,))
    operator = await connect(database_url)

    async def retry() -> None:
        await send_command(operator, job, "retry_item", failed.item_id)
        await commands.apply_pending(operator)

    reader = CommitsAfterJobRead(conn, retry)
    try:
        snapshot = await jobs.job_snapshot(reader, job)  # type: ignore[arg-type]
    finally:
        await operator.close()
    assert reader.interleaved, "the retry did not commit between the snapshot's statements"
    assert snapshot is not None
    (download,) = snapshot.stages
    assert (snapshot.status, download.failed, download.queued) == ("completed_with_errors", 1, 0)
    after = await jobs.job_snapshot(conn, job)
    assert after is not None
    assert (after.status, after.stages[0].failed, after.stages[0].queued) == ("queued", 0, 1)

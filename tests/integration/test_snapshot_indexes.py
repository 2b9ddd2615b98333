"""The job snapshot queries (every WatchJobs stream, every second) read a job's items through an index.

100,000 items over 200 jobs, analyzed: the planner must pick the job_id indexes of migration 0007
instead of scanning every job's items.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from services.scheduler.db.queries import Q

pytestmark = pytest.mark.anyio

JOBS = 200
ITEMS_PER_JOB = 500

FILL = (
    """INSERT INTO job_runs (id, job_type, status, lane, display_name)
       SELECT j, 'download_only', 'completed', 'download', 'job ' || j FROM generate_series(1, %(jobs)s) j""",
    """INSERT INTO job_stages (id, job_id, stage, seq)
       SELECT j, j, 'download', 1 FROM generate_series(1, %(jobs)s) j""",
    """INSERT INTO job_items (job_id, job_stage_id, item_key, kind, status)
       SELECT j, j, 'song:' || i, 'song', CASE WHEN i %% 10 = 0 THEN 'failed' ELSE 'succeeded' END
         FROM generate_series(1, %(jobs)s) j, generate_series(1, %(items)s) i""",
)


def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from nodes(child)


async def plan(conn: psycopg.AsyncConnection, query: str, params: dict[str, object]) -> list[dict[str, Any]]:
    cursor = await conn.execute(f"EXPLAIN (FORMAT JSON) {query}", params)  # type: ignore[arg-type]
    row = await cursor.fetchone()
    assert row is not None
    return list(nodes(row[0][0]["Plan"]))


@pytest.mark.parametrize(
    ("name", "params", "index"),
    [
        ("stage_counts_for_jobs", {"job_ids": [7]}, "job_items_job_status"),
        ("failure_classes_for_jobs", {"job_ids": [7, 8]}, "job_items_job_status"),
        # Either the job index or the partial index of running items (tiny): both avoid a scan.
        ("running_items_of_job", {"job_id": 7}, ("job_items_job_status", "job_items_leases")),
        (
            "list_items",
            {"job_id": 7, "stage": "", "statuses": [], "after_id": 0, "limit": 100},
            "job_items_job_",
        ),
    ],
)
async def test_a_jobs_items_are_read_through_its_index(
    database_url: str, name: str, params: dict[str, object], index: str | tuple[str, ...]
) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        for statement in FILL:
            await conn.execute(statement, {"jobs": JOBS, "items": ITEMS_PER_JOB})  # type: ignore[arg-type]
        await conn.execute("ANALYZE job_items")
        explained = await plan(conn, Q[name], params)
    on_items = [
        (n["Node Type"], n.get("Index Name", "")) for n in explained if n.get("Relation Name") == "job_items"
    ]
    assert on_items, f"{name} does not read job_items: {explained}"
    assert all(index_name.startswith(index) for _, index_name in on_items), (
        f"{name} reads job_items without an index on job_id: {on_items}"
    )

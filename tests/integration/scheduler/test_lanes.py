"""Lanes: one download-class job at a time even when two processes admit at once; general jobs side by side."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest

from services.scheduler.engine import lanes
from tests.support.engine import connect, create_job, seed_downloaded_playlist

pytestmark = pytest.mark.anyio


async def statuses(conn: psycopg.AsyncConnection, job_ids: list[int]) -> list[str]:
    cursor = await conn.execute("SELECT id, status FROM job_runs WHERE id = ANY(%s)", (job_ids,))
    found = {row["id"]: row["status"] for row in await cursor.fetchall()}
    return [found[job_id] for job_id in job_ids]


async def test_two_processes_admitting_at_once_start_one_download_job(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    playlist = seed_downloaded_playlist(database_url, "lane-", 2)
    jobs = [await create_job(conn, "download_only", playlist_ids=[playlist]) for _ in range(3)]
    other = await connect(database_url)
    try:
        started = await asyncio.gather(lanes.admit(conn, 3), lanes.admit(other, 3))
    finally:
        await other.close()
    assert sorted(started, key=len) == [[], [jobs[0]]], "the oldest queued job, once"
    assert await statuses(conn, jobs) == ["running", "queued", "queued"]
    assert await lanes.queue_positions(conn) == {jobs[1]: 1, jobs[2]: 2}
    assert lanes.queue_label("queued", 1) == "queued #1"


async def test_the_general_lane_runs_up_to_its_limit_beside_a_download_job(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    playlist = seed_downloaded_playlist(database_url, "lane-", 2)
    download = await create_job(conn, "download_only", playlist_ids=[playlist])
    collects = [await create_job(conn, "collect_only", sources=["qq"]) for _ in range(3)]
    await lanes.admit(conn, 2)
    assert await statuses(conn, [download, *collects]) == ["running", "running", "running", "queued"]


async def test_a_paused_job_gives_its_lane_to_the_next(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    playlist = seed_downloaded_playlist(database_url, "lane-", 2)
    first, second = [await create_job(conn, "download_only", playlist_ids=[playlist]) for _ in range(2)]
    await lanes.admit(conn, 3)
    await conn.execute("UPDATE job_runs SET status = 'pause_requested' WHERE id = %s", (first,))
    assert await lanes.admit(conn, 3) == [], "a job draining towards its pause still holds the lane"
    await conn.execute("UPDATE job_runs SET status = 'paused' WHERE id = %s", (first,))
    assert await lanes.admit(conn, 3) == [second]

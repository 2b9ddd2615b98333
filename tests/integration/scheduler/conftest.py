"""The scheduler's engine modules against a fresh database per test (cloned from the migrated template)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest

from services.scheduler.db.queries import Q
from services.scheduler.engine import lanes, planning
from services.scheduler.engine.context import JobInfo
from tests.support.engine import connect, create_job, seed_downloaded_playlist

OWNER = "instance-a"


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[psycopg.AsyncConnection[dict[str, Any]]]:
    connection = await connect(database_url)
    yield connection
    await connection.close()


async def register_instance(conn: psycopg.AsyncConnection, instance_id: str) -> None:
    await conn.execute(Q["register_instance"], {"id": instance_id, "hostname": "test", "pid": 1})


async def job_row(conn: psycopg.AsyncConnection, job_id: int) -> dict[str, Any]:
    row = await (await conn.execute(Q["get_job"], {"job_id": job_id})).fetchone()
    assert row is not None
    return row


async def stages_of(conn: psycopg.AsyncConnection, job_id: int) -> list[dict[str, Any]]:
    return list(await (await conn.execute(Q["job_stages"], {"job_id": job_id})).fetchall())


async def items_of(conn: psycopg.AsyncConnection, job_id: int) -> list[dict[str, Any]]:
    cursor = await conn.execute("SELECT * FROM job_items WHERE job_id = %s ORDER BY seq, id", (job_id,))
    return list(await cursor.fetchall())


async def running_download_stage(
    conn: psycopg.AsyncConnection, database_url: str, songs: int = 3
) -> tuple[int, int]:
    """A running download_only job over a new playlist of ``songs`` songs, its stage planned: (job, stage)."""
    playlist = seed_downloaded_playlist(database_url, f"p{secrets.token_hex(4)}-", songs)
    job_id = await create_job(conn, "download_only", playlist_ids=[playlist])
    assert await lanes.admit(conn, 3) == [job_id]
    stage = (await stages_of(conn, job_id))[0]
    await planning.plan(conn, JobInfo.from_row(await job_row(conn, job_id)), "download", stage["id"])
    await conn.execute(
        Q["set_stage_status"],
        {
            "stage_id": stage["id"],
            "status": "running",
            "expected": ["pending"],
            "planner": OWNER,
            "error": None,
        },
    )
    return job_id, stage["id"]

"""Commands queued in job_commands: applied once, in order, by whichever process gets them first."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest

from services.scheduler.engine import commands, leases
from tests.integration.scheduler.conftest import OWNER, items_of, job_row, running_download_stage, stages_of
from tests.support.engine import connect, send_command

pytestmark = pytest.mark.anyio


async def events(conn: psycopg.AsyncConnection, job_id: int) -> list[tuple[str, str]]:
    cursor = await conn.execute(
        "SELECT event_type, message FROM job_events WHERE job_id = %s ORDER BY id", (job_id,)
    )
    return [(row["event_type"], row["message"]) for row in await cursor.fetchall()]


async def test_pause_then_resume_before_the_pause_settled(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    job, _ = await running_download_stage(conn, database_url)
    await send_command(conn, job, "pause")
    assert await commands.apply_pending(conn) == []
    paused = await job_row(conn, job)
    assert (paused["status"], paused["pause_reason"]) == ("pause_requested", "paused by the operator")
    await send_command(conn, job, "resume")
    await commands.apply_pending(conn)
    assert (await job_row(conn, job))["status"] == "running"
    assert [kind for kind, _ in await events(conn, job)][-2:] == ["command_pause", "command_resume"]


async def test_cancel_stops_every_item_and_open_stage_and_names_the_job_for_local_stop(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    job, stage = await running_download_stage(conn, database_url, songs=3)
    await leases.claim(conn, stage, OWNER, "w1", 30)
    await send_command(conn, job, "cancel")
    assert await commands.apply_pending(conn) == [job]
    assert (await job_row(conn, job))["status"] == "canceled"
    assert {row["status"] for row in await items_of(conn, job)} == {"canceled"}
    assert [s["status"] for s in await stages_of(conn, job)] == ["canceled"]


async def test_a_command_that_does_not_apply_is_rejected_with_its_reason(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    job, _ = await running_download_stage(conn, database_url)
    await send_command(conn, job, "resume")
    await commands.apply_pending(conn)
    row = await (
        await conn.execute("SELECT status, error FROM job_commands WHERE job_id = %s", (job,))
    ).fetchone()
    assert row["status"] == "rejected"
    assert row["error"] == f"job {job} is running; only a paused job can be resumed"
    assert ("command_rejected", row["error"]) in await events(conn, job)
    assert (await job_row(conn, job))["status"] == "running"


async def test_two_processes_applying_commands_at_once_apply_each_once(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    job, _ = await running_download_stage(conn, database_url)
    for command in ("pause", "resume", "pause"):
        await send_command(conn, job, command)
    other = await connect(database_url)
    try:
        await asyncio.gather(commands.apply_pending(conn), commands.apply_pending(other))
    finally:
        await other.close()
    applied = [kind for kind, _ in await events(conn, job) if kind.startswith("command_")]
    assert applied == ["command_pause", "command_resume", "command_pause"]
    cursor = await conn.execute("SELECT status FROM job_commands WHERE job_id = %s", (job,))
    assert {row["status"] for row in await cursor.fetchall()} == {"applied"}
    assert (await job_row(conn, job))["status"] == "pause_requested"


async def test_retrying_an_item_of_a_finished_job_reopens_the_job(
    conn: psycopg.AsyncConnection[dict[str, Any]], database_url: str
) -> None:
    job, stage = await running_download_stage(conn, database_url, songs=1)
    lease = (await leases.claim(conn, stage, OWNER, "w1", 30))[0]
    await leases.finish(conn, lease, "failed", error="boom")
    await conn.execute("UPDATE job_stages SET status = 'completed_with_errors' WHERE id = %s", (stage,))
    await conn.execute("UPDATE job_runs SET status = 'completed_with_errors' WHERE id = %s", (job,))
    await send_command(conn, job, "retry_item", lease.item_id)
    await commands.apply_pending(conn)
    assert (await job_row(conn, job))["status"] == "queued"
    assert [s["status"] for s in await stages_of(conn, job)] == ["running"]
    assert (await items_of(conn, job))[0]["status"] == "queued"

"""Stage hooks run beside the engine loop: a slow catalog export holds up nothing but its own job's end."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from tests.support.engine import (
    connect,
    create_job,
    engine_settings,
    eventually,
    refusing_port,
    running_engine,
    seed_downloaded_playlist,
    send_command,
)

pytestmark = pytest.mark.anyio


def hook_pids(marker: Path, at_least: int) -> list[int]:
    """The ids of the export command processes started so far (each appends its own)."""
    pids = [int(line) for line in marker.read_text().split()] if marker.exists() else []
    return pids if len(pids) >= at_least else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_pause_and_cancel_apply_while_a_sixty_second_export_command_runs(
    database_url: str, tmp_path: Path
) -> None:
    marker = tmp_path / "hook.pid"
    command = f"echo $$ >> {marker}; exec sleep 60"
    with refusing_port() as port:
        settings = engine_settings(database_url, tmp_path / "library", port, CATALOG_EXPORT_COMMAND=command)
        async with running_engine(settings):
            playlist = seed_downloaded_playlist(database_url, "hooked-", 5)
            other = seed_downloaded_playlist(database_url, "queued-", 3)
            conn = await connect(database_url)
            try:
                job = await create_job(conn, "download_only", playlist_ids=[playlist])

                async def status(job_id: int) -> str:
                    row = await (
                        await conn.execute("SELECT status FROM job_runs WHERE id = %s", (job_id,))
                    ).fetchone()
                    return row["status"]

                await eventually(
                    lambda: asyncio.to_thread(hook_pids, marker, 1), "the export command started"
                )
                hook_pid = hook_pids(marker, 1)[0]
                try:
                    assert await status(job) == "running", "the job ends only after its export command"
                    # The download lane is held by the job, yet the loop admits and runs other work.
                    queued = await create_job(conn, "download_only", playlist_ids=[other])
                    assert await status(queued) == "queued"

                    await send_command(conn, job, "pause")

                    async def paused() -> bool:
                        return await status(job) == "paused"

                    await eventually(paused, "the job was paused")
                    assert alive(hook_pid), "the pause took effect while the export command still ran"

                    await send_command(conn, job, "cancel")

                    async def canceled() -> bool:
                        return await status(job) == "canceled"

                    await eventually(canceled, "the job was canceled")
                    assert alive(hook_pid), "the cancel took effect while the export command still ran"

                    async def next_stage_done() -> bool:
                        row = await (
                            await conn.execute(
                                "SELECT status FROM job_stages WHERE job_id = %s AND stage = 'download'",
                                (queued,),
                            )
                        ).fetchone()
                        return row["status"] == "completed"

                    await eventually(next_stage_done, "the queued job was admitted and its stage ran")
                    assert alive(hook_pid)
                    await eventually(lambda: asyncio.to_thread(hook_pids, marker, 2), "its export started")
                    assert await status(queued) == "running", "it too ends only after its export command"
                    stage = await (
                        await conn.execute(
                            "SELECT hooks FROM job_stages WHERE job_id = %s AND stage = 'download'", (job,)
                        )
                    ).fetchone()
                    assert stage["hooks"]["after_close"] == "running"
                    assert stage["hooks"]["catalog_export"] == "started"
                finally:
                    for pid in hook_pids(marker, 0):
                        if alive(pid):
                            os.kill(pid, signal.SIGKILL)
            finally:
                await conn.close()

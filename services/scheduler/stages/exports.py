"""Download hooks: playlist export folders as playlists finish, and the catalog export command.

Playlist exports: when every song of one of a scoped job's playlists is settled
in the download stage, the downloader writes the playlist's export folder (an
M3U8 of its local files); this is evaluated from the database every few seconds
while the stage runs, so playlists finished before a restart are back-filled, and
once more for all of them when the stage ends.

``CATALOG_EXPORT_COMMAND`` (run in ``CATALOG_EXPORT_WORKDIR``) runs once after a
download stage ends, so a downstream reader (a music server's read-only catalog)
refreshes after new files land. Events: catalog_export_started / skipped / succeeded / failed.

Both run as the download stage's background hooks (``stages.HOOKS``), never inside the engine loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import grpc
from psycopg.types.json import Jsonb

from catalogsync.v1 import downloader_pb2
from services.scheduler.db.queries import Q
from services.scheduler.engine.context import EngineContext
from services.scheduler.engine.journal import record
from services.scheduler.storage import active_root

log = logging.getLogger(__name__)
EXPORT_TIMEOUT_S = 1800
OUTPUT_TAIL = 2000


async def _event(
    ctx: EngineContext, job_id: int, stage_id: int, kind: str, message: str, level: str = "info"
) -> None:
    async with ctx.pool.connection() as conn, conn.transaction():
        await conn.execute(
            Q["set_stage_hooks"], {"stage_id": stage_id, "hooks": Jsonb({"catalog_export": kind})}
        )
        await record(conn, job_id, f"catalog_export_{kind}", message, stage="download", level=level)


async def catalog_export(ctx: EngineContext, job_id: int, stage_id: int) -> None:
    command = ctx.settings.export_command
    async with ctx.pool.connection() as conn:
        job = await (await conn.execute(Q["get_job"], {"job_id": job_id})).fetchone()
    if job is not None and (job["scope"] or {}).get("export_hook") is False:
        await _event(
            ctx, job_id, stage_id, "skipped", "the export hook is off in the job's settings revision"
        )
        return
    if not command:
        await _event(ctx, job_id, stage_id, "skipped", "no CATALOG_EXPORT_COMMAND configured")
        return
    await _event(ctx, job_id, stage_id, "started", f"running the catalog export: {command}")
    workdir = ctx.settings.export_workdir or None
    try:
        process = await asyncio.create_subprocess_shell(
            command,
            cwd=workdir,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "CATALOGSYNC_JOB_ID": str(job_id)},
        )
        output, _ = await asyncio.wait_for(process.communicate(), EXPORT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        await _event(ctx, job_id, stage_id, "failed", f"catalog export could not run: {exc}", "error")
        return
    tail = output.decode(errors="replace")[-OUTPUT_TAIL:].strip()
    if process.returncode == 0:
        await _event(ctx, job_id, stage_id, "succeeded", f"catalog export finished. {tail}".strip())
    else:
        await _event(
            ctx,
            job_id,
            stage_id,
            "failed",
            f"catalog export exited with {process.returncode}: {tail}",
            "error",
        )


async def export_finished_playlists(ctx: EngineContext, job_id: int, stage_id: int) -> None:
    """Write the export folder of every playlist of the job that just finished."""
    async with ctx.pool.connection() as conn:
        ready = await (
            await conn.execute(Q["playlists_ready_for_export"], {"job_id": job_id, "stage_id": stage_id})
        ).fetchall()
        root = await active_root(conn) if ready else None
    if root is None:
        return
    for playlist in ready:
        async with ctx.pool.connection() as conn:
            rows = await (
                await conn.execute(Q["playlist_export_entries"], {"playlist_id": playlist["id"]})
            ).fetchall()
        request = downloader_pb2.PlaylistExportRequest(
            library_root=root["root_path"],
            platform=playlist["platform"],
            remote_playlist_id=playlist["remote_playlist_id"],
            name=playlist["name"],
            source_url=playlist["source_url"],
            entries=[
                downloader_pb2.PlaylistExportEntry(
                    path=str(Path(row["root_path"]) / row["locator"]) if row["locator"] else "",
                    title=row["name"],
                    artists=row["singers"],
                    duration_s=row["duration_s"],
                )
                for row in rows
            ],
        )
        try:
            written = await ctx.clients.downloader.WritePlaylistExport(request, timeout=60)
        except grpc.aio.AioRpcError as exc:
            log.warning("export of playlist %s failed: %s", playlist["id"], exc.details())
            return
        async with ctx.pool.connection() as conn, conn.transaction():
            await conn.execute(
                Q["mark_playlist_exported"], {"stage_id": stage_id, "playlist_id": playlist["id"]}
            )
            await record(
                conn,
                job_id,
                "playlist_exported",
                f"{playlist['name']}: {written.entries} song(s) in {written.m3u8}"
                + (f", {written.missing} without a file" if written.missing else ""),
                stage="download",
                data={"playlist_id": playlist["id"], "folder": written.folder},
            )


async def after_download(ctx: EngineContext, job_id: int, stage_id: int) -> None:
    """Once the download stage closed: the last playlist exports, then the catalog export command."""
    await export_finished_playlists(ctx, job_id, stage_id)
    await catalog_export(ctx, job_id, stage_id)

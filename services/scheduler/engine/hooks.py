"""Hooks run once when a stage ends: the catalog export command after a download stage.

``CATALOG_EXPORT_COMMAND`` (run in ``CATALOG_EXPORT_WORKDIR``) lets a
downstream reader (a music server's read-only catalog) refresh after new files land.
Events: catalog_export_started / skipped / succeeded / failed.
"""

from __future__ import annotations

import asyncio
import logging
import os

from psycopg.types.json import Jsonb

from services.scheduler.db.queries import Q
from services.scheduler.engine.context import EngineContext
from services.scheduler.engine.journal import record

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

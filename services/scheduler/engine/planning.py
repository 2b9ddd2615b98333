"""Planning a stage: turn the job's scope into ``job_items`` in one set-based statement."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from catalogsync.vocabulary import DISCOVERY_KINDS, DISCOVERY_PLATFORMS
from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn
from services.scheduler.engine.context import JobInfo
from services.scheduler.engine.journal import record
from services.scheduler.storage import default_object_backend

NO_LIMIT = 2**31 - 1


def _limit(scope: dict[str, Any]) -> int:
    return int(scope.get("limit") or 0) or NO_LIMIT


async def _scoped(conn: Conn, job: JobInfo) -> bool:
    row = await (await conn.execute(Q["job_playlist_count"], {"job_id": job.id})).fetchone()
    return bool(row and row["playlists"])


async def plan_collect(conn: Conn, job: JobInfo, stage_id: int) -> None:
    if job.scope.get("from_file"):
        await record(
            conn,
            job.id,
            "collect_skipped",
            "nothing to collect: the playlists come from a file",
            stage="collect",
        )
        return
    sources = job.scope.get("sources") or list(DISCOVERY_PLATFORMS)
    kinds = job.scope.get("discovery_kinds") or list(DISCOVERY_KINDS)
    pairs = [(platform, kind) for platform in sources for kind in kinds]
    await conn.execute(
        Q["insert_items"],
        {
            "job_id": job.id,
            "stage_id": stage_id,
            "kind": "discovery",
            "keys": [f"{platform}:{kind}" for platform, kind in pairs],
            "ref_ids": [None] * len(pairs),
            "labels": [f"{platform} · {kind.replace('_', ' ')}" for platform, kind in pairs],
            "seqs": list(range(len(pairs))),
            "payloads": [
                Jsonb({"platform": platform, "kind": kind, "limit": int(job.scope.get("limit") or 0)})
                for platform, kind in pairs
            ],
        },
    )


async def plan_sync(conn: Conn, job: JobInfo, stage_id: int) -> None:
    params = {"job_id": job.id, "stage_id": stage_id}
    if await _scoped(conn, job) or job.job_type == "catalog_sync":
        await conn.execute(Q["plan_sync_scoped"], params)
    else:
        await conn.execute(
            Q["plan_sync_all"],
            {**params, "sources": job.scope.get("sources") or [], "limit": _limit(job.scope)},
        )


async def plan_download(conn: Conn, job: JobInfo, stage_id: int) -> None:
    params = {"job_id": job.id, "stage_id": stage_id, "limit": _limit(job.scope)}
    if await _scoped(conn, job) or job.job_type == "catalog_sync":
        await conn.execute(Q["plan_download_scoped"], params)
    elif job.job_type == "sync_download":
        await conn.execute(Q["plan_download_synced"], params)
    else:
        await conn.execute(Q["plan_download_all"], {**params, "sources": job.scope.get("sources") or []})


async def plan_upload(conn: Conn, job: JobInfo, stage_id: int) -> None:
    backend = await default_object_backend(conn, job.scope.get("upload_backend") or "")
    if backend is None:
        wanted = job.scope.get("upload_backend")
        reason = (
            f"object backend {wanted!r} is not registered" if wanted else "no object backend is registered"
        )
        await record(conn, job.id, "upload_skipped", f"nothing to upload: {reason}", stage="upload")
        return
    scoped = await _scoped(conn, job) or job.job_type == "catalog_sync"
    await conn.execute(
        Q["plan_upload"],
        {
            "job_id": job.id,
            "stage_id": stage_id,
            "backend_id": backend["id"],
            "scoped": scoped,
            "sources": job.scope.get("sources") or [],
            "limit": _limit(job.scope),
        },
    )


async def plan_lyrics(conn: Conn, job: JobInfo, stage_id: int) -> None:
    await conn.execute(
        Q["plan_lyrics"],
        {
            "job_id": job.id,
            "stage_id": stage_id,
            "scoped": await _scoped(conn, job),
            "sources": job.scope.get("sources") or [],
            "limit": _limit(job.scope),
        },
    )


PLANNERS = {
    "collect": plan_collect,
    "sync": plan_sync,
    "download": plan_download,
    "upload": plan_upload,
    "lyrics": plan_lyrics,
}


async def plan(conn: Conn, job: JobInfo, stage: str, stage_id: int) -> int:
    """Plan the stage's items; return how many it has."""
    await PLANNERS[stage](conn, job, stage_id)
    row = await (await conn.execute(Q["stage_item_total"], {"stage_id": stage_id})).fetchone()
    return int(row["items"]) if row else 0

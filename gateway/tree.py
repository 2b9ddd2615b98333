"""The task tree's REST routes and a job's logs: thin calls of ListJobPlaylists,
ListJobPlaylistSongs and ListJobLogs (paged; an unknown job or playlist is a 404 in words)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from catalogsync.grpc_types import SchedulerStub
from catalogsync.units import human_bytes
from catalogsync.v1 import scheduler_pb2
from gateway import convert
from gateway.limits import INT64_MAX, PAGE_MAX, JobIdPath

Scheduler = Callable[[], SchedulerStub]

CALL_TIMEOUT_S = 5
OFFSET_MAX = 1_000_000
NON_MUSIC_TAG = "非音乐资源"

PlaylistIdPath = Annotated[int, Path(ge=1, le=INT64_MAX, description="a playlist id")]
PageLimit = Annotated[int, Query(ge=0, le=PAGE_MAX, description="rows per page, 0 = 100")]
PageOffset = Annotated[int, Query(ge=0, le=OFFSET_MAX, description="rows to skip")]
BeforeId = Annotated[int, Query(ge=0, le=INT64_MAX, description="logs older than this id, 0 = the newest")]


def song(msg: scheduler_pb2.JobPlaylistSong) -> dict[str, Any]:
    """A song row with its size in human units and the non-music tag (``非音乐资源``) when it is one."""
    data = convert.message(msg)
    data["size_text"] = human_bytes(msg.size_bytes) if msg.size_bytes else "-"
    data["tags"] = [NON_MUSIC_TAG] if msg.non_music else []
    return data


def log_line(msg: scheduler_pb2.JobLog) -> dict[str, Any]:
    data = convert.message(msg)
    data["data"] = json.loads(msg.data_json) if msg.data_json else {}
    del data["data_json"]
    return data


def tree_router(scheduler: Scheduler) -> APIRouter:
    router = APIRouter()

    @router.get("/api/jobs/{job_id}/playlists")
    async def job_playlists(
        job_id: JobIdPath, limit: PageLimit = 0, offset: PageOffset = 0
    ) -> dict[str, Any]:
        """The job's playlists with their progress in this job: downloaded / total, %, running, failed."""
        reply = await scheduler().ListJobPlaylists(
            scheduler_pb2.ListJobPlaylistsRequest(job_id=job_id, limit=limit, offset=offset),
            timeout=CALL_TIMEOUT_S,
        )
        return convert.message(reply)

    @router.get("/api/jobs/{job_id}/playlists/{playlist_id}/songs")
    async def job_playlist_songs(
        job_id: JobIdPath, playlist_id: PlaylistIdPath, limit: PageLimit = 0, offset: PageOffset = 0
    ) -> dict[str, Any]:
        """One playlist's songs as the job sees them: status, source, quality, size, reason, tags."""
        reply = await scheduler().ListJobPlaylistSongs(
            scheduler_pb2.ListJobPlaylistSongsRequest(
                job_id=job_id, playlist_id=playlist_id, limit=limit, offset=offset
            ),
            timeout=CALL_TIMEOUT_S,
        )
        return {"songs": [song(s) for s in reply.songs], "total": reply.total}

    @router.get("/api/jobs/{job_id}/logs")
    async def job_logs(job_id: JobIdPath, limit: PageLimit = 0, before_id: BeforeId = 0) -> dict[str, Any]:
        """The job's log lines, newest first."""
        reply = await scheduler().ListJobLogs(
            scheduler_pb2.ListJobLogsRequest(job_id=job_id, limit=limit, before_id=before_id),
            timeout=CALL_TIMEOUT_S,
        )
        return {"logs": [log_line(line) for line in reply.logs]}

    return router

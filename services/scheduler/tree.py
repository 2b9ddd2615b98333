"""The console's task tree and a job's logs: a job's playlists with their progress in the job, one
playlist's songs as the job sees them, and the job's log lines.

A job's playlists are its scope (``job_playlists``, in order) and the playlists its sync stage
synced. Progress counts every linked song with an active local file as downloaded, also one the
library had before the job started; the job's download items (found through the unique
``(job_stage_id, item_key)`` index, never a scan of the job's items) give running, failed,
unavailable and skipped, and each song's status and reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, LiteralString, TypedDict

import grpc
import psycopg
from psycopg.rows import dict_row

from catalogsync.v1 import scheduler_pb2
from services.scheduler.db.queries import Q
from services.scheduler.db.types import Pool
from services.scheduler.jobs import timestamp

DEFAULT_PAGE = 100
PAGE_MAX = 1000
NOT_PLANNED = "not_planned"  # a song of the playlist the job has no item for (limit, or no download stage)
DOWNLOADED = "downloaded"  # ... and that is in the library anyway

Row = dict[str, Any]
Connection = psycopg.AsyncConnection[Any]


class StageIds(TypedDict):
    sync_stage_id: int | None
    download_stage_id: int | None


class TreeError(Exception):
    """A request the tree cannot answer; ``code`` says how (NOT_FOUND, INVALID_ARGUMENT)."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code


async def fetch_all(conn: Connection, query: LiteralString, params: Mapping[str, object]) -> list[Row]:
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(query, params)
        return await cursor.fetchall()


async def fetch_one(conn: Connection, query: LiteralString, params: Mapping[str, object]) -> Row:
    """The first row of a query that always answers one."""
    rows = await fetch_all(conn, query, params)
    assert rows, query
    return rows[0]


def page_size(limit: int) -> int:
    if not 0 <= limit <= PAGE_MAX:
        raise TreeError(
            grpc.StatusCode.INVALID_ARGUMENT, f"limit must be between 0 and {PAGE_MAX}, not {limit}"
        )
    return limit or DEFAULT_PAGE


async def _check_job(conn: Connection, job_id: int) -> None:
    if not await fetch_all(conn, Q["get_job"], {"job_id": job_id}):
        raise TreeError(grpc.StatusCode.NOT_FOUND, f"job {job_id} does not exist")


async def _stage_ids(conn: Connection, job_id: int) -> StageIds:
    await _check_job(conn, job_id)
    row = await fetch_one(conn, Q["job_tree_stage_ids"], {"job_id": job_id})
    return StageIds(sync_stage_id=row["sync_stage_id"], download_stage_id=row["download_stage_id"])


def playlist_message(row: Row) -> scheduler_pb2.JobPlaylist:
    total = int(row["total"])
    return scheduler_pb2.JobPlaylist(
        playlist_id=row["id"],
        platform=row["platform"],
        name=row["name"],
        sync_status=row["sync_status"],
        track_count=row["track_count"],
        total=total,
        downloaded=row["downloaded"],
        running=row["running"],
        failed=row["failed"],
        unavailable=row["unavailable"],
        skipped=row["skipped"],
        percent=round(100 * row["downloaded"] / total, 1) if total else 0.0,
    )


def song_status(row: Row) -> str:
    if row["item_status"]:
        return str(row["item_status"])
    return DOWNLOADED if row["source_platform"] else NOT_PLANNED


def song_reason(row: Row) -> str:
    """Why the song did not download, in words: the failure (class: error), the skip, or non-music."""
    if row["item_status"] in ("failed", "unavailable", "interrupted"):
        failure = (row["failure_class"] or "").replace("_", " ")
        return ": ".join(part for part in (failure, row["error"] or "") if part)
    if row["item_status"] == "skipped":
        return str(row["skip_reason"] or "")
    if row["non_music"]:
        return str(row["non_music_reason"] or "")
    return ""


def song_message(row: Row) -> scheduler_pb2.JobPlaylistSong:
    return scheduler_pb2.JobPlaylistSong(
        song_id=row["song_id"],
        position=row["position"],
        name=row["name"],
        singers=row["singers"],
        status=song_status(row),
        item_id=row["item_id"] or 0,
        source=row["source_platform"] or "",
        quality=row["quality_label"] or "",
        size_bytes=row["file_size_bytes"] or 0,
        reason=song_reason(row),
        failure_class=row["failure_class"] or "",
        non_music=row["non_music"],
        non_music_reason=row["non_music_reason"] or "",
    )


async def job_playlists(
    pool: Pool, request: scheduler_pb2.ListJobPlaylistsRequest
) -> scheduler_pb2.ListJobPlaylistsResponse:
    limit = page_size(request.limit)
    async with pool.connection() as conn:
        stages = await _stage_ids(conn, request.job_id)
        params = {"job_id": request.job_id, **stages}
        count = await fetch_one(conn, Q["job_tree_playlist_count"], params)
        rows = await fetch_all(
            conn, Q["job_tree_playlists"], {**params, "limit": limit, "offset": request.offset}
        )
    return scheduler_pb2.ListJobPlaylistsResponse(
        playlists=[playlist_message(row) for row in rows], total=count["playlists"]
    )


async def job_playlist_songs(
    pool: Pool, request: scheduler_pb2.ListJobPlaylistSongsRequest
) -> scheduler_pb2.ListJobPlaylistSongsResponse:
    limit = page_size(request.limit)
    async with pool.connection() as conn:
        stages = await _stage_ids(conn, request.job_id)
        params = {"job_id": request.job_id, "playlist_id": request.playlist_id, **stages}
        linked = await fetch_one(conn, Q["job_tree_has_playlist"], params)
        if not linked["linked"]:
            raise TreeError(
                grpc.StatusCode.NOT_FOUND,
                f"playlist {request.playlist_id} is not one of job {request.job_id}'s playlists",
            )
        count = await fetch_one(conn, Q["job_tree_song_count"], params)
        rows = await fetch_all(
            conn, Q["job_tree_songs"], {**params, "limit": limit, "offset": request.offset}
        )
    return scheduler_pb2.ListJobPlaylistSongsResponse(
        songs=[song_message(row) for row in rows], total=count["songs"]
    )


def log_message(row: Row) -> scheduler_pb2.JobLog:
    return scheduler_pb2.JobLog(
        id=row["id"],
        level=row["level"],
        message=row["message"],
        data_json=json.dumps(row["data"] or {}, ensure_ascii=False),
        created_at=timestamp(row["created_at"]),
    )


async def job_logs(
    pool: Pool, request: scheduler_pb2.ListJobLogsRequest
) -> scheduler_pb2.ListJobLogsResponse:
    limit = page_size(request.limit)
    async with pool.connection() as conn:
        await _check_job(conn, request.job_id)
        rows = await fetch_all(
            conn,
            Q["list_job_logs"],
            {"job_id": request.job_id, "before_id": request.before_id, "limit": limit},
        )
    return scheduler_pb2.ListJobLogsResponse(logs=[log_message(row) for row in rows])

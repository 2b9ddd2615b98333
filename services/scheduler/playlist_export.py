"""ZIP exports of playlists: ready ones become a bundle, the others get the jobs that make them ready.

A ZIP is never partial: a playlist is exportable only when every song has an active local file.
A bundle is a saved selection under an unguessable name (valid for a day); its bytes are built by
the downloader (the process that owns the library files) and passed through here in chunks.
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import grpc

from catalogsync.grpc_types import DownloaderStub
from catalogsync.playlist_pool import PLAYLIST_STATUSES
from catalogsync.v1 import downloader_pb2, scheduler_pb2
from services.scheduler.db.queries import Q
from services.scheduler.db.types import Pool
from services.scheduler.playlist_pool import (
    Connection,
    Refusal,
    ScopeFiller,
    create_jobs,
    download_plan,
    selected,
)

BUNDLE_NAME = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
ZIP_TIMEOUT_S = 3600


def _not_ready_reason(row: dict[str, Any]) -> str:
    label = PLAYLIST_STATUSES[row["status"]]
    return f"{row['status']} ({label}): {row['downloaded_count']} of {row['song_count']} songs downloaded"


async def export(
    conn: Connection,
    selection: scheduler_pb2.PlaylistSelection,
    snapshot: dict[str, Any],
    fill_scope: ScopeFiller,
) -> scheduler_pb2.ExportPlaylistsResponse:
    rows = await selected(conn, selection)
    waiting = [r for r in rows if r["status"] != "downloaded"]
    if waiting:
        plans, _ = download_plan(waiting)
        return scheduler_pb2.ExportPlaylistsResponse(
            status="queued",
            jobs=await create_jobs(conn, plans, snapshot, fill_scope),
            not_ready=[
                scheduler_pb2.SkippedPlaylist(
                    playlist_id=r["id"], name=r["name"], reason=_not_ready_reason(r)
                )
                for r in waiting
            ],
            selected=len(rows),
        )
    name = secrets.token_urlsafe(24)
    async with conn.transaction():
        await conn.execute(Q["delete_old_export_bundles"])
        await conn.execute(Q["insert_export_bundle"], {"name": name, "playlist_ids": [r["id"] for r in rows]})
    return scheduler_pb2.ExportPlaylistsResponse(
        status="ready",
        bundle_name=name,
        selected=len(rows),
        songs=sum(r["song_count"] for r in rows),
    )


async def _chosen(conn: Connection, request: scheduler_pb2.StreamPlaylistZipRequest) -> tuple[str, list[int]]:
    """(download file name, playlist ids) of a single playlist or a bundle."""
    if request.bundle_name:
        if not BUNDLE_NAME.match(request.bundle_name):
            raise Refusal(grpc.StatusCode.INVALID_ARGUMENT, "bundle_name is not a bundle name")
        row = await (await conn.execute(Q["get_export_bundle"], {"name": request.bundle_name})).fetchone()
        if row is None:
            raise Refusal(
                grpc.StatusCode.NOT_FOUND, "no such bundle (bundles last a day): export the playlists again"
            )
        return f"playlists-{request.bundle_name[:8]}.zip", list(row["playlist_ids"])
    if request.playlist_id <= 0:
        raise Refusal(grpc.StatusCode.INVALID_ARGUMENT, "give a playlist_id or a bundle_name")
    return f"playlist-{request.playlist_id}.zip", [request.playlist_id]


def _folders(
    rows: Sequence[dict[str, Any]], entries: Sequence[dict[str, Any]]
) -> list[downloader_pb2.PlaylistZipFolder]:
    by_playlist: dict[int, list[downloader_pb2.PlaylistExportEntry]] = defaultdict(list)
    for entry in entries:
        by_playlist[entry["playlist_id"]].append(
            downloader_pb2.PlaylistExportEntry(
                path=str(Path(entry["root_path"]) / entry["locator"]) if entry["locator"] else "",
                title=entry["name"],
                artists=entry["singers"],
                duration_s=entry["duration_s"],
            )
        )
    return [
        downloader_pb2.PlaylistZipFolder(
            name=row["name"], remote_playlist_id=row["remote_playlist_id"], entries=by_playlist[row["id"]]
        )
        for row in rows
    ]


async def zip_request(
    conn: Connection, request: scheduler_pb2.StreamPlaylistZipRequest
) -> tuple[str, downloader_pb2.PlaylistZipRequest]:
    """What the downloader is asked to zip; refused unless every playlist is downloaded."""
    file_name, ids = await _chosen(conn, request)
    rows = await selected(conn, scheduler_pb2.PlaylistSelection(playlist_ids=ids))
    waiting = [r for r in rows if r["status"] != "downloaded"]
    if waiting:
        first = waiting[0]
        raise Refusal(
            grpc.StatusCode.FAILED_PRECONDITION,
            f"playlist {first['id']} ({first['name']}) is not ready to export: {_not_ready_reason(first)}; "
            "download it first (or use Export selected, which queues the download)",
        )
    entries = await (await conn.execute(Q["playlist_zip_entries"], {"playlist_ids": ids})).fetchall()
    if any(not entry["locator"] for entry in entries):
        raise Refusal(grpc.StatusCode.FAILED_PRECONDITION, "a song lost its local file; download again")
    return file_name, downloader_pb2.PlaylistZipRequest(playlists=_folders(rows, entries))


async def stream_zip(
    pool: Pool,
    downloader: DownloaderStub,
    request: scheduler_pb2.StreamPlaylistZipRequest,
) -> AsyncIterator[scheduler_pb2.ExportZipChunk]:
    """The ZIP's chunks as the downloader sends them; the first one carries the file name."""
    async with pool.connection() as conn:
        file_name, zip_request_ = await zip_request(conn, request)
    first = True
    try:
        async for chunk in downloader.StreamPlaylistZip(zip_request_, timeout=ZIP_TIMEOUT_S):
            yield scheduler_pb2.ExportZipChunk(data=chunk.data, file_name=file_name if first else "")
            first = False
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT):
            raise Refusal(grpc.StatusCode.FAILED_PRECONDITION, f"cannot export: {exc.details()}") from exc
        raise Refusal(
            grpc.StatusCode.UNAVAILABLE, f"the downloader could not build the ZIP: {exc.details()}"
        ) from exc

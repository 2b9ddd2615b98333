"""The playlists page (``/playlists``) and its API: filters and pages, bulk actions, ZIP downloads.

Each route is one scheduler RPC. A selection is either ids or ``all_matching`` with the page's
filter (resolved by the scheduler, so "select all matching" never ships ids). ZIPs are streamed:
the downloader builds them from the library, the scheduler passes the chunks on, and this
gateway forwards each chunk as it arrives — never a whole archive in memory.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from catalogsync.grpc_types import SchedulerStub
from catalogsync.playlist_pool import PLAYLIST_STATUSES, POOL_KINDS
from catalogsync.v1 import scheduler_pb2
from catalogsync.vocabulary import DISCOVERY_PLATFORMS
from gateway import convert
from gateway.limits import INT64_MAX, LIST_MAX, PAGE_MAX, Id, Text

Scheduler = Callable[[], SchedulerStub]
CALL_TIMEOUT_S = 5
ACTION_TIMEOUT_S = 60
ZIP_TIMEOUT_S = 3600
PAGE_SIZES = (20, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,80}\.zip$")
FilterText = Annotated[str, Query(max_length=200, description="empty = any")]
NumberText = Annotated[str, Query(max_length=20, description="a whole number; empty = the default")]
PlaylistIdPath = Annotated[int, Path(ge=1, le=INT64_MAX, description="a playlist id")]
ZIP_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "the ZIP, streamed as it is built", "content": {"application/zip": {}}},
    404: {"description": "no such playlist or bundle"},
    409: {"description": "not every song is downloaded: nothing is sent"},
}
BundleNamePath = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_-]{20,64}$", description="the bundle name export-zip answered")
]


class PlaylistFilter(BaseModel):
    platform: Text = ""
    pool_kind: Text = ""
    status: Text = ""
    keyword: Text = ""
    wanted_only: bool = False


class Selection(BaseModel):
    playlist_ids: list[Id] = Field(default_factory=list, max_length=LIST_MAX)
    all_matching: bool = Field(False, description="every playlist the filter matches, not only the ids")
    filter: PlaylistFilter = Field(default_factory=PlaylistFilter)


def _number(text: str, name: str, default: int, upper: int) -> int:
    """An optional whole number from a query string: empty → ``default``; otherwise 1..upper."""
    if not text.strip():
        return default
    try:
        value = int(text)
    except ValueError:
        raise HTTPException(400, f"{name} must be a whole number, not {text[:20]!r}") from None
    if not 1 <= value <= upper:
        raise HTTPException(400, f"{name} must be between 1 and {upper}, not {value}")
    return value


def _flag(text: str) -> bool:
    """A boolean-like query value; empty (``?wanted_only=``) is false."""
    value = text.strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise HTTPException(400, f"wanted_only must be true or false, not {text[:20]!r}")


def _filter_message(body: PlaylistFilter) -> scheduler_pb2.ListPlaylistsRequest:
    return scheduler_pb2.ListPlaylistsRequest(
        platform=body.platform.strip(),
        pool_kind=body.pool_kind.strip(),
        status=body.status.strip(),
        keyword=body.keyword.strip(),
        wanted_only=body.wanted_only,
    )


def _selection(body: Selection) -> scheduler_pb2.PlaylistSelection:
    return scheduler_pb2.PlaylistSelection(
        playlist_ids=body.playlist_ids, all_matching=body.all_matching, filter=_filter_message(body.filter)
    )


def playlist_row(msg: scheduler_pb2.Playlist) -> dict[str, Any]:
    """One row of the page, field by field (a tenth of MessageToDict's cost: a page has up to 1,000)."""
    return {
        "id": msg.id,
        "platform": msg.platform,
        "remote_playlist_id": msg.remote_playlist_id,
        "name": msg.name,
        "kind": msg.kind,
        "track_count": msg.track_count,
        "song_count": msg.song_count,
        "downloaded_count": msg.downloaded_count,
        "sync_status": msg.sync_status,
        "wanted": msg.wanted,
        "play_count": msg.play_count,
        "source_url": msg.source_url,
        "running_count": msg.running_count,
        "status": msg.status,
        "hint": msg.hint,
        "status_label": PLAYLIST_STATUSES.get(msg.status, msg.status),
        "percent": round(100 * msg.downloaded_count / msg.song_count) if msg.song_count else 0,
    }


async def _zip_response(
    scheduler: Scheduler, request: scheduler_pb2.StreamPlaylistZipRequest
) -> StreamingResponse:
    """The ZIP as it is built; refusals (not ready, unknown) arrive before the first byte, in words."""
    call = scheduler().StreamPlaylistZip(request, timeout=ZIP_TIMEOUT_S)
    first = await call.read()
    if not isinstance(first, scheduler_pb2.ExportZipChunk):  # grpc.aio.EOF
        raise HTTPException(502, "the scheduler sent an empty ZIP")
    file_name = first.file_name if SAFE_FILE_NAME.match(first.file_name) else "playlists.zip"

    async def body() -> AsyncIterator[bytes]:
        try:
            yield first.data
            while isinstance(chunk := await call.read(), scheduler_pb2.ExportZipChunk):
                yield chunk.data
        finally:
            call.cancel()

    return StreamingResponse(
        body(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{file_name}"', "Cache-Control": "no-store"},
    )


def playlists_router(scheduler: Scheduler, templates: Jinja2Templates) -> APIRouter:
    router = APIRouter()

    @router.get("/playlists", response_class=HTMLResponse, include_in_schema=False)
    async def playlists_page(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            "playlists.html",
            {
                "platforms": DISCOVERY_PLATFORMS,
                "pool_kinds": POOL_KINDS,
                "statuses": PLAYLIST_STATUSES,
                "page_sizes": PAGE_SIZES,
            },
        )

    @router.get("/api/playlists")
    async def list_playlists(
        platform: FilterText = "",
        pool_kind: FilterText = "",
        status: FilterText = "",
        keyword: FilterText = "",
        wanted_only: FilterText = "",
        page: NumberText = "",
        page_size: NumberText = "",
    ) -> dict[str, Any]:
        """One page of playlists with their progress; empty filter values mean "any"."""
        size = _number(page_size, "page_size", DEFAULT_PAGE_SIZE, PAGE_MAX)
        number = _number(page, "page", 1, 1_000_000)
        filter_ = _filter_message(
            PlaylistFilter(
                platform=platform,
                pool_kind=pool_kind,
                status=status,
                keyword=keyword,
                wanted_only=_flag(wanted_only),
            )
        )
        filter_.limit = size
        filter_.offset = min((number - 1) * size, 2**31 - 1)
        reply = await scheduler().ListPlaylists(filter_, timeout=CALL_TIMEOUT_S)
        return {
            "playlists": [playlist_row(p) for p in reply.playlists],
            "total": reply.total,
            "page": number,
            "page_size": size,
            "pages": max(1, -(-reply.total // size)),
        }

    @router.post("/api/playlists/sync")
    async def sync_playlists(body: Selection) -> dict[str, Any]:
        """A ``sync_only`` job over the selected playlists."""
        reply = await scheduler().SyncPlaylists(_selection(body), timeout=ACTION_TIMEOUT_S)
        return convert.message(reply)

    @router.post("/api/playlists/download")
    async def download_playlists(body: Selection) -> dict[str, Any]:
        """Adaptive: unsynced (or empty) → ``sync_download``, the others → ``download_only``, both
        when mixed; downloaded ones are skipped. The answer lists the jobs and what was skipped."""
        reply = await scheduler().DownloadPlaylists(_selection(body), timeout=ACTION_TIMEOUT_S)
        return convert.message(reply)

    async def set_wanted(body: Selection, wanted: bool) -> dict[str, Any]:
        reply = await scheduler().SetPlaylistsWanted(
            scheduler_pb2.SetPlaylistsWantedRequest(selection=_selection(body), wanted=wanted),
            timeout=ACTION_TIMEOUT_S,
        )
        return convert.message(reply)

    @router.post("/api/playlists/mark-wanted")
    async def mark_wanted(body: Selection) -> dict[str, Any]:
        return await set_wanted(body, True)

    @router.post("/api/playlists/unmark-wanted")
    async def unmark_wanted(body: Selection) -> dict[str, Any]:
        return await set_wanted(body, False)

    @router.post("/api/playlists/export-zip")
    async def export_zip(body: Selection) -> dict[str, Any]:
        """All ready → ``status: ready`` and a ``download_url``; any not ready → ``status: queued``
        and the jobs that make them ready (never a partial ZIP)."""
        reply = await scheduler().ExportPlaylists(_selection(body), timeout=ACTION_TIMEOUT_S)
        data = convert.message(reply)
        if reply.bundle_name:
            data["download_url"] = f"/api/exports/bundles/{reply.bundle_name}.zip"
        return data

    @router.get(
        "/api/playlists/{playlist_id}/export.zip", response_class=StreamingResponse, responses=ZIP_RESPONSES
    )
    async def playlist_zip(playlist_id: PlaylistIdPath) -> StreamingResponse:
        """One downloaded playlist as a ZIP: its songs (and ``.lrc``) under safe names and an M3U8."""
        return await _zip_response(scheduler, scheduler_pb2.StreamPlaylistZipRequest(playlist_id=playlist_id))

    @router.get(
        "/api/exports/bundles/{bundle_name}.zip", response_class=StreamingResponse, responses=ZIP_RESPONSES
    )
    async def bundle_zip(bundle_name: BundleNamePath) -> StreamingResponse:
        """A bundle export-zip prepared (valid for a day): one folder per playlist."""
        return await _zip_response(scheduler, scheduler_pb2.StreamPlaylistZipRequest(bundle_name=bundle_name))

    return router

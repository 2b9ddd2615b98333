"""The dashboard (task center): quick launch, summary cards, the task table and its task tree.

The page is drawn from gateway.board (the same read as ``/api/dashboard``); it then follows the
gateway's live stream (/api/events: job rows, and the summary the feed computes once per update)
and loads the tree lazily from the tree routes (gateway.tree).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from catalogsync.grpc_types import SchedulerStub
from catalogsync.vocabulary import DISCOVERY_PLATFORMS, DOWNLOAD_SOURCES
from gateway.board import Board, Summary, read_board
from gateway.live import JobFeed

Scheduler = Callable[[], SchedulerStub]
Feed = Callable[[], JobFeed]

# While jobs run, the live feed recomputes the board after every batch of job updates (at most once
# a second, for every browser); a read takes it when it is this recent (then only its catalog part).
BOARD_MAX_AGE_S = 1.0
CATALOG_MAX_AGE_S = 2.0

# The choices of the launch form; the scheduler validates every job it is asked to create.
JOB_TYPES = (
    ("catalog_sync", "Catalog sync (collect, sync, download, upload)"),
    ("collect_only", "Collect playlists"),
    ("sync_only", "Sync playlists"),
    ("sync_download", "Sync and download"),
    ("download_only", "Download"),
    ("upload_only", "Upload"),
    ("download_upload", "Download and upload"),
    ("lyrics", "Lyrics backfill (.lrc for songs already downloaded)"),
)


def dashboard_router(scheduler: Scheduler, templates: Jinja2Templates, feed: Feed) -> APIRouter:
    router = APIRouter()

    async def current_board() -> Board:
        recent = feed().recent_board(BOARD_MAX_AGE_S)
        if recent is not None:
            return recent
        board, _ = await read_board(scheduler(), feed().recent_catalog(CATALOG_MAX_AGE_S))
        return board

    @router.get("/dashboard", response_class=HTMLResponse)
    async def dashboard(request: Request) -> HTMLResponse:
        context: dict[str, Any] = {
            **await current_board(),
            "job_types": JOB_TYPES,
            "platforms": DISCOVERY_PLATFORMS,
            "download_sources": DOWNLOAD_SOURCES,
        }
        return templates.TemplateResponse(request, "dashboard.html", context)

    @router.get("/api/dashboard")
    async def api_dashboard() -> Board:
        """``task_rows`` (the newest jobs and every active one; also as ``jobs``), the ``summary``
        cards, the busy ``workers`` and the catalog's ``stats``. While jobs run this is the live
        feed's last board when at most 1 s old (recomputed after every batch of job updates), else the
        task rows read now with the feed's totals when at most 2 s old."""
        return await current_board()

    @router.get("/api/summary")
    async def api_summary() -> Summary:
        """Only the summary cards (browsers get them pushed on /api/events as ``summary``)."""
        return (await current_board())["summary"]

    return router

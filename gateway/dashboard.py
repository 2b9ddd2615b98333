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

from catalogsync.v1 import scheduler_pb2_grpc
from gateway.board import Board, Summary, read_board

Scheduler = Callable[[], scheduler_pb2_grpc.SchedulerServiceStub]

# The choices of the launch form; the scheduler validates every job it is asked to create.
JOB_TYPES = (
    ("catalog_sync", "Catalog sync (collect, sync, download, upload)"),
    ("collect_only", "Collect playlists"),
    ("sync_only", "Sync playlists"),
    ("sync_download", "Sync and download"),
    ("download_only", "Download"),
    ("upload_only", "Upload"),
    ("download_upload", "Download and upload"),
)
DISCOVERY_PLATFORMS = ("netease", "qq", "kuwo")
DOWNLOAD_SOURCES = ("qq", "kuwo", "migu", "qianqian", "kugou", "netease")


def dashboard_router(scheduler: Scheduler, templates: Jinja2Templates) -> APIRouter:
    router = APIRouter()

    @router.get("/dashboard", response_class=HTMLResponse)
    async def dashboard(request: Request) -> HTMLResponse:
        context: dict[str, Any] = {
            **await read_board(scheduler()),
            "job_types": JOB_TYPES,
            "platforms": DISCOVERY_PLATFORMS,
            "download_sources": DOWNLOAD_SOURCES,
        }
        return templates.TemplateResponse(request, "dashboard.html", context)

    @router.get("/api/dashboard")
    async def api_dashboard() -> Board:
        """``task_rows`` (the newest jobs and every active one; also as ``jobs``), the ``summary``
        cards, the busy ``workers`` and the catalog's ``stats``."""
        return await read_board(scheduler())

    @router.get("/api/summary")
    async def api_summary() -> Summary:
        """Only the summary cards (browsers get them pushed on /api/events as ``summary``)."""
        return (await read_board(scheduler()))["summary"]

    return router

"""The dashboard (task center): quick launch, summary cards and the task table.

Thin calls of the scheduler's gRPC API (ListJobs, GetStats, ListJobEvents); the page updates
itself from /api/events and refreshes its cards from /api/summary.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from catalogsync.grpc_types import SchedulerStub
from catalogsync.units import human_bytes
from catalogsync.v1 import scheduler_pb2
from catalogsync.vocabulary import DISCOVERY_PLATFORMS, DOWNLOAD_SOURCES, OPEN_JOB_STATUSES
from gateway import convert

Scheduler = Callable[[], SchedulerStub]

CALL_TIMEOUT_S = 5
TABLE_JOBS = 50
RECENT_EVENTS = 8
ACTIVE_STATUSES = OPEN_JOB_STATUSES
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


def summary(
    jobs: list[dict[str, Any]], stats: scheduler_pb2.Stats, events: list[dict[str, Any]]
) -> dict[str, Any]:
    """The cards: jobs by state, songs being worked on, the catalog's totals and the newest events."""
    by_status: dict[str, int] = {}
    for job in jobs:
        by_status[job["status"]] = by_status.get(job["status"], 0) + 1
    return {
        "running": by_status.get("running", 0) + by_status.get("pause_requested", 0),
        "queued_download": sum(1 for j in jobs if j["status"] == "queued" and j["lane"] == "download"),
        "queued": by_status.get("queued", 0),
        "paused": by_status.get("paused", 0),
        "failed": by_status.get("failed", 0),
        "running_songs": sum(j["running_items"] for j in jobs if j["status"] in ACTIVE_STATUSES),
        "playlists": stats.playlists,
        "synced_playlists": stats.synced_playlists,
        "songs": stats.songs,
        "files": stats.files,
        "library_text": human_bytes(stats.bytes),
        "objects": stats.objects,
        "events": events,
    }


def dashboard_router(scheduler: Scheduler, templates: Jinja2Templates) -> APIRouter:
    router = APIRouter()

    async def jobs_and_summary() -> tuple[list[dict[str, Any]], dict[str, Any], scheduler_pb2.Stats]:
        newest, active, stats, events = await asyncio.gather(
            scheduler().ListJobs(scheduler_pb2.ListJobsRequest(limit=TABLE_JOBS), timeout=CALL_TIMEOUT_S),
            scheduler().ListJobs(
                scheduler_pb2.ListJobsRequest(statuses=ACTIVE_STATUSES, limit=1000), timeout=CALL_TIMEOUT_S
            ),
            scheduler().GetStats(scheduler_pb2.GetStatsRequest(), timeout=CALL_TIMEOUT_S),
            scheduler().ListJobEvents(
                scheduler_pb2.ListJobEventsRequest(job_id=0, limit=RECENT_EVENTS), timeout=CALL_TIMEOUT_S
            ),
        )
        merged = {job.id: job for job in [*active.jobs, *newest.jobs]}
        jobs = [convert.job(job) for _, job in sorted(merged.items(), reverse=True)]
        recent = [convert.event(event) for event in events.events]
        return jobs, summary(jobs, stats, recent), stats

    async def dashboard_data() -> dict[str, Any]:
        jobs, cards, stats = await jobs_and_summary()
        return {
            "stats": convert.message(stats),
            "bytes_text": human_bytes(stats.bytes),
            "summary": cards,
            "jobs": jobs,
        }

    @router.get("/dashboard", response_class=HTMLResponse)
    async def dashboard(request: Request) -> HTMLResponse:
        context = {
            **await dashboard_data(),
            "job_types": JOB_TYPES,
            "platforms": DISCOVERY_PLATFORMS,
            "download_sources": DOWNLOAD_SOURCES,
        }
        return templates.TemplateResponse(request, "dashboard.html", context)

    @router.get("/api/dashboard")
    async def api_dashboard() -> dict[str, Any]:
        """The task table (newest jobs and every active one), the summary cards and the catalog's stats."""
        return await dashboard_data()

    @router.get("/api/summary")
    async def api_summary() -> dict[str, Any]:
        """Only the summary cards (what the dashboard refreshes while jobs change)."""
        _, cards, _ = await jobs_and_summary()
        return cards

    return router

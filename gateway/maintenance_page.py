"""The maintenance page (``/maintenance``): local duplicate scan and dedupe, each one scheduler RPC.

Dedupe is refused (409, the reason in words) while any job or item runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from catalogsync.grpc_types import SchedulerStub
from catalogsync.v1 import scheduler_pb2
from gateway import convert

Scheduler = Callable[[], SchedulerStub]
SCAN_TIMEOUT_S = 120


def maintenance_router(scheduler: Scheduler, templates: Jinja2Templates) -> APIRouter:
    router = APIRouter()

    @router.get("/maintenance", response_class=HTMLResponse, include_in_schema=False)
    async def maintenance_page(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "maintenance.html", {})

    @router.get("/api/maintenance/local-duplicates")
    async def local_duplicates(limit: Annotated[int, Query(ge=0, le=1000)] = 200) -> dict[str, Any]:
        """Groups of active local locations of one file asset on one library root (ScanLocalDuplicates),
        with the location the keep rules would keep and why; changes nothing."""
        reply = await scheduler().ScanLocalDuplicates(
            scheduler_pb2.ScanLocalDuplicatesRequest(limit=limit), timeout=SCAN_TIMEOUT_S
        )
        return convert.message(reply)

    @router.post("/api/maintenance/local-duplicates/dedupe")
    async def dedupe_local_duplicates() -> dict[str, Any]:
        """Keep one location per group, repoint references to it, deactivate the others
        (DedupeLocalDuplicates). 409 while any job or item runs."""
        reply = await scheduler().DedupeLocalDuplicates(
            scheduler_pb2.DedupeLocalDuplicatesRequest(requested_by="console"), timeout=SCAN_TIMEOUT_S
        )
        return convert.message(reply)

    return router

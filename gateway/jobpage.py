"""The job detail page (``/jobs/{id}``): stages, workers, items with reasons and candidates, events.

The page draws itself from the REST API (GetJob, ListJobItems, ListJobEvents) and follows the job
on ``/api/events?job_id=N``; retries go through SendCommand.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from catalogsync.grpc_types import SchedulerStub
from catalogsync.v1 import scheduler_pb2
from gateway import convert
from gateway.limits import JobIdPath

Scheduler = Callable[[], SchedulerStub]

ITEM_STATUSES = (
    "failed",
    "unavailable",
    "running",
    "queued",
    "succeeded",
    "skipped",
    "canceled",
    "interrupted",
)


def job_page_router(scheduler: Scheduler, templates: Jinja2Templates) -> APIRouter:
    router = APIRouter()

    @router.get("/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
    async def job_page(request: Request, job_id: JobIdPath) -> HTMLResponse:
        job = await scheduler().GetJob(scheduler_pb2.GetJobRequest(job_id=job_id), timeout=5)
        return templates.TemplateResponse(
            request, "job.html", {"job": convert.job(job), "item_statuses": ITEM_STATUSES}
        )

    return router

"""The REST API of jobs and the catalog's totals, and the server-sent events of live jobs."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse

from catalogsync.units import human_bytes
from catalogsync.v1 import resolver_pb2, scheduler_pb2
from gateway import convert
from gateway.limits import (
    LIST_MAX,
    Count,
    EventsQuery,
    FileText,
    Id,
    JobIdPath,
    JobIdQuery,
    OptionalId,
    Text,
)
from gateway.state import Feed, SchedulerApi

CALL_TIMEOUT_S = 5  # the scheduler answers within ~3 s even while its database is away

router = APIRouter()


class JobRequest(BaseModel):
    job_type: Text
    playlist_ids: list[Id] = Field(default_factory=list, max_length=LIST_MAX)
    sources: list[Text] = Field(default_factory=list, max_length=LIST_MAX)
    download_sources: list[Text] = Field(default_factory=list, max_length=LIST_MAX)
    limit: Count = 0
    workers: Count = 0
    track_limit: Count = 0
    playlist_file_text: FileText | None = None  # sent (even empty) = a playlist file
    upload_backend: Text = ""  # empty = the default object backend
    no_lyrics: bool = False
    overwrite_lyrics: bool = False


class CommandRequest(BaseModel):
    command: Text
    item_id: OptionalId = 0


@router.get("/api/stats")
async def api_stats(scheduler: SchedulerApi) -> dict[str, Any]:
    stats = await scheduler.GetStats(scheduler_pb2.GetStatsRequest(), timeout=CALL_TIMEOUT_S)
    return {"stats": convert.message(stats), "bytes_text": human_bytes(stats.bytes)}


@router.get("/api/accounts")
async def api_accounts(scheduler: SchedulerApi) -> dict[str, Any]:
    """Per platform: whether the user's account is set and accepted (status only, never a cookie)."""
    reply = await scheduler.GetAccounts(resolver_pb2.CheckAccountsRequest(), timeout=30)
    return convert.message(reply)


@router.get("/api/jobs/{job_id}")
async def get_job(scheduler: SchedulerApi, job_id: JobIdPath, events: EventsQuery = 50) -> dict[str, Any]:
    """The job and its newest ``events`` journal entries (0 = none)."""
    job_call = scheduler.GetJob(scheduler_pb2.GetJobRequest(job_id=job_id), timeout=CALL_TIMEOUT_S)
    if events <= 0:
        return convert.job(await job_call)
    job, reply = await asyncio.gather(  # both at once: an unknown job is GetJob's NOT_FOUND
        job_call,
        scheduler.ListJobEvents(
            scheduler_pb2.ListJobEventsRequest(job_id=job_id, limit=events), timeout=CALL_TIMEOUT_S
        ),
    )
    data = convert.job(job)
    data["events"] = [convert.event(event) for event in reply.events]
    return data


@router.post("/api/jobs", status_code=201)
async def create_job(scheduler: SchedulerApi, feed: Feed, body: JobRequest) -> dict[str, Any]:
    scope = scheduler_pb2.JobScope(
        playlist_ids=body.playlist_ids,
        sources=body.sources,
        download_sources=body.download_sources,
        limit=body.limit,
        workers=body.workers,
        track_limit=body.track_limit,
        upload_backend=body.upload_backend,
        no_lyrics=body.no_lyrics,
        overwrite_lyrics=body.overwrite_lyrics,
    )
    if body.playlist_file_text is not None:
        scope.playlist_file_text = body.playlist_file_text
    job = await scheduler.CreateJob(
        scheduler_pb2.CreateJobRequest(job_type=body.job_type, scope=scope, requested_by="console"),
        timeout=60,
    )
    created = convert.job(job)
    feed.created(created)
    return created


@router.post("/api/jobs/{job_id}/commands")
async def send_command(scheduler: SchedulerApi, job_id: JobIdPath, body: CommandRequest) -> dict[str, Any]:
    reply = await scheduler.SendCommand(
        scheduler_pb2.SendCommandRequest(job_id=job_id, command=body.command, item_id=body.item_id),
        timeout=CALL_TIMEOUT_S,
    )
    return {"command_id": reply.command_id, "job": convert.job(reply.job)}


@router.get("/api/events")
async def events(scheduler: SchedulerApi, feed: Feed, job_id: JobIdQuery = 0) -> EventSourceResponse:
    """Server-sent events: ``job`` (a job's snapshot, on every change) and ``stream_error``.

    Every browser shares the gateway's one upstream WatchJobs stream (gateway.live).
    """
    first = None
    if job_id and not feed.knows(job_id):
        job = await scheduler.GetJob(scheduler_pb2.GetJobRequest(job_id=job_id), timeout=CALL_TIMEOUT_S)
        first = convert.job(job)
    return EventSourceResponse(feed.events(job_id, first), headers={"Cache-Control": "no-cache"})

"""The FastAPI app: dashboard page, REST API and server-sent events, all through the scheduler's gRPC API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
import grpc
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse

from catalogsync.grpc_clients import open_channel
from catalogsync.units import human_bytes
from catalogsync.v1 import resolver_pb2, scheduler_pb2, scheduler_pb2_grpc
from gateway import convert, errors
from gateway.config import Settings
from gateway.dashboard import dashboard_router
from gateway.explain import explain_router
from gateway.jobpage import job_page_router
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
from gateway.live import JobFeed
from gateway.login import login_router
from gateway.maintenance_page import maintenance_router
from gateway.playlists import playlists_router
from gateway.security import ConsoleGuard
from gateway.settings_page import settings_router
from gateway.tree import tree_router

HERE = Path(__file__).parent
SWAGGER_ASSETS = Path(fastapi_offline.__file__).parent / "static"  # Swagger UI 5's bundle and CSS
CALL_TIMEOUT_S = 5  # the scheduler answers within ~3 s even while its database is away


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


def create_app(settings: Settings) -> FastAPI:
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        channel = open_channel(settings.scheduler_addr, settings.tokens)
        state["channel"] = channel
        state["scheduler"] = scheduler_pb2_grpc.SchedulerServiceStub(channel)
        state["health"] = health_pb2_grpc.HealthStub(channel)
        state["feed"] = JobFeed(scheduler)
        yield
        await state["feed"].stop()
        await channel.close()

    app = FastAPI(title="catalog-sync console", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(ConsoleGuard, auth=settings.auth, allowed_hosts=settings.allowed_hosts)
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_ASSETS), name="swagger")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    app.include_router(login_router(settings.auth, templates))

    def scheduler() -> scheduler_pb2_grpc.SchedulerServiceStub:
        return state["scheduler"]

    errors.install(app)

    @app.get("/livez")
    async def livez() -> JSONResponse:
        """The gateway process answers (liveness); /healthz also needs the scheduler (readiness)."""
        return JSONResponse({"gateway": "ok"})

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        try:
            reply = await state["health"].Check(health_pb2.HealthCheckRequest(), timeout=2)
            serving = reply.status == health_pb2.HealthCheckResponse.SERVING
        except grpc.aio.AioRpcError:
            serving = False
        return JSONResponse(
            {"gateway": "ok", "scheduler": "SERVING" if serving else "unreachable"},
            status_code=200 if serving else 503,
        )

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/")
    async def index() -> RedirectResponse:
        return RedirectResponse("/dashboard")

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        """The API explorer, offline: Swagger UI served from the gateway itself (CSP: scripts from self only)."""
        return templates.TemplateResponse(request, "docs.html", {})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        """No icon, said without a 404 (browsers ask for it on every page, the JSON ones too)."""
        return Response(status_code=204)

    async def stats_data() -> dict[str, Any]:
        stats = await scheduler().GetStats(scheduler_pb2.GetStatsRequest(), timeout=CALL_TIMEOUT_S)
        return {"stats": convert.message(stats), "bytes_text": human_bytes(stats.bytes)}

    @app.get("/api/stats")
    async def api_stats() -> dict[str, Any]:
        return await stats_data()

    @app.get("/api/accounts")
    async def api_accounts() -> dict[str, Any]:
        """Per platform: whether the user's account is set and accepted (status only, never a cookie)."""
        reply = await scheduler().GetAccounts(resolver_pb2.CheckAccountsRequest(), timeout=30)
        return convert.message(reply)

    @app.get("/api/jobs/{job_id}")
    async def get_job(job_id: JobIdPath, events: EventsQuery = 50) -> dict[str, Any]:
        """The job and its newest ``events`` journal entries (0 = none)."""
        job_call = scheduler().GetJob(scheduler_pb2.GetJobRequest(job_id=job_id), timeout=CALL_TIMEOUT_S)
        if events <= 0:
            return convert.job(await job_call)
        job, reply = await asyncio.gather(  # both at once: an unknown job is GetJob's NOT_FOUND
            job_call,
            scheduler().ListJobEvents(
                scheduler_pb2.ListJobEventsRequest(job_id=job_id, limit=events), timeout=CALL_TIMEOUT_S
            ),
        )
        data = convert.job(job)
        data["events"] = [convert.event(event) for event in reply.events]
        return data

    @app.post("/api/jobs", status_code=201)
    async def create_job(body: JobRequest) -> dict[str, Any]:
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
        job = await scheduler().CreateJob(
            scheduler_pb2.CreateJobRequest(job_type=body.job_type, scope=scope, requested_by="console"),
            timeout=60,
        )
        return convert.job(job)

    @app.post("/api/jobs/{job_id}/commands")
    async def send_command(job_id: JobIdPath, body: CommandRequest) -> dict[str, Any]:
        reply = await scheduler().SendCommand(
            scheduler_pb2.SendCommandRequest(job_id=job_id, command=body.command, item_id=body.item_id),
            timeout=CALL_TIMEOUT_S,
        )
        return {"command_id": reply.command_id, "job": convert.job(reply.job)}

    @app.get("/api/events")
    async def events(job_id: JobIdQuery = 0) -> EventSourceResponse:
        """Server-sent events: ``job`` (a job's snapshot, on every change) and ``stream_error``.

        Every browser shares the gateway's one upstream WatchJobs stream (gateway.live).
        """
        first = None
        if job_id and not state["feed"].knows(job_id):
            job = await scheduler().GetJob(scheduler_pb2.GetJobRequest(job_id=job_id), timeout=CALL_TIMEOUT_S)
            first = convert.job(job)
        return EventSourceResponse(state["feed"].events(job_id, first), headers={"Cache-Control": "no-cache"})

    app.include_router(dashboard_router(scheduler, templates, lambda: state["feed"]))
    app.include_router(job_page_router(scheduler, templates))
    app.include_router(explain_router(scheduler))
    app.include_router(playlists_router(scheduler, templates))
    app.include_router(maintenance_router(scheduler, templates))
    app.include_router(settings_router(scheduler, templates))
    app.include_router(tree_router(scheduler))

    return app

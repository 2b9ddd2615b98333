"""The FastAPI app: dashboard page, REST API and server-sent events, all through the scheduler's gRPC API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from catalogsync.grpc_clients import open_channel
from catalogsync.units import human_bytes
from catalogsync.v1 import scheduler_pb2, scheduler_pb2_grpc
from gateway import convert
from gateway.config import Settings
from gateway.login import login_router
from gateway.security import ConsoleGuard

HERE = Path(__file__).parent
GRPC_TO_HTTP = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


class JobRequest(BaseModel):
    job_type: str
    playlist_ids: list[int] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    download_sources: list[str] = Field(default_factory=list)
    limit: int = 0
    workers: int = 0
    track_limit: int = 0
    playlist_file_text: str = ""


class CommandRequest(BaseModel):
    command: str
    item_id: int = 0


def create_app(settings: Settings) -> FastAPI:
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        channel = open_channel(settings.scheduler_addr, settings.tokens)
        state["channel"] = channel
        state["scheduler"] = scheduler_pb2_grpc.SchedulerServiceStub(channel)
        state["health"] = health_pb2_grpc.HealthStub(channel)
        yield
        await channel.close()

    app = FastAPI(title="catalog-sync console", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(ConsoleGuard, auth=settings.auth, allowed_hosts=settings.allowed_hosts)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    app.include_router(login_router(settings.auth, templates))

    def scheduler() -> scheduler_pb2_grpc.SchedulerServiceStub:
        return state["scheduler"]

    @app.exception_handler(grpc.aio.AioRpcError)
    async def grpc_error(_: Request, exc: grpc.aio.AioRpcError) -> JSONResponse:
        return JSONResponse(
            {"error": exc.details(), "code": exc.code().name}, status_code=GRPC_TO_HTTP.get(exc.code(), 502)
        )

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

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        """No icon, said without a 404 (browsers ask for it on every page, the JSON ones too)."""
        return Response(status_code=204)

    async def stats_data() -> dict[str, Any]:
        stats = await scheduler().GetStats(scheduler_pb2.GetStatsRequest(), timeout=10)
        return {"stats": convert.message(stats), "bytes_text": human_bytes(stats.bytes)}

    async def dashboard_data() -> dict[str, Any]:
        stats, jobs = await asyncio.gather(
            stats_data(), scheduler().ListJobs(scheduler_pb2.ListJobsRequest(limit=50), timeout=10)
        )
        return {**stats, "jobs": [convert.job(job) for job in jobs.jobs]}

    @app.get("/dashboard", response_class=HTMLResponse)
    async def dashboard(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "dashboard.html", await dashboard_data())

    @app.get("/api/dashboard")
    async def api_dashboard() -> dict[str, Any]:
        return await dashboard_data()

    @app.get("/api/stats")
    async def api_stats() -> dict[str, Any]:
        return await stats_data()

    @app.get("/api/jobs/{job_id}")
    async def get_job(job_id: int, events: int = 50) -> dict[str, Any]:
        """The job and its newest ``events`` journal entries (0 = none)."""
        job = await scheduler().GetJob(scheduler_pb2.GetJobRequest(job_id=job_id), timeout=10)
        data = convert.job(job)
        if events > 0:
            reply = await scheduler().ListJobEvents(
                scheduler_pb2.ListJobEventsRequest(job_id=job_id, limit=events), timeout=10
            )
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
            playlist_file_text=body.playlist_file_text,
        )
        job = await scheduler().CreateJob(
            scheduler_pb2.CreateJobRequest(job_type=body.job_type, scope=scope, requested_by="console"),
            timeout=60,
        )
        return convert.job(job)

    @app.post("/api/jobs/{job_id}/commands")
    async def send_command(job_id: int, body: CommandRequest) -> dict[str, Any]:
        reply = await scheduler().SendCommand(
            scheduler_pb2.SendCommandRequest(job_id=job_id, command=body.command, item_id=body.item_id),
            timeout=10,
        )
        return {"command_id": reply.command_id, "job": convert.job(reply.job)}

    @app.get("/api/events")
    async def events(job_id: int = 0) -> StreamingResponse:
        async def stream() -> AsyncIterator[str]:
            call = scheduler().WatchJobs(scheduler_pb2.WatchJobsRequest(job_id=job_id))
            try:
                async for update in call:
                    yield f"event: job\ndata: {json.dumps(convert.job(update.job), ensure_ascii=False)}\n\n"
            except grpc.aio.AioRpcError as exc:
                yield f"event: stream_error\ndata: {json.dumps({'error': exc.details()})}\n\n"
            finally:
                call.cancel()

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": convert.validation_error(exc.errors())}, status_code=422)

    return app

"""The FastAPI app: dashboard page, REST API and server-sent events, all through the scheduler's gRPC API.

The routes live in router modules; what they share (the scheduler's stubs, the live feed, the
templates) is one typed object on ``app.state`` (``gateway.state``), given to them with ``Depends``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import cast

import fastapi_offline
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from grpc_health.v1 import health_pb2_grpc

from catalogsync.grpc_clients import open_channel
from catalogsync.grpc_types import AsyncHealth, SchedulerStub
from catalogsync.v1 import scheduler_pb2_grpc
from gateway import errors, jobs_api, service_routes
from gateway.config import Settings
from gateway.dashboard import dashboard_router
from gateway.explain import explain_router
from gateway.jobpage import job_page_router
from gateway.live import JobFeed
from gateway.login import login_router
from gateway.maintenance_page import maintenance_router
from gateway.playlists import playlists_router
from gateway.security import ConsoleGuard
from gateway.settings_page import settings_router
from gateway.state import Connection, GatewayState, state_of
from gateway.tree import tree_router

HERE = Path(__file__).parent
SWAGGER_ASSETS = Path(fastapi_offline.__file__).parent / "static"  # Swagger UI 5's bundle and CSS


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        channel = open_channel(settings.scheduler_addr, settings.tokens)
        state = state_of(app)
        state.connection = Connection(
            channel=channel,
            scheduler=scheduler_pb2_grpc.SchedulerServiceStub(channel),
            health=cast(AsyncHealth, health_pb2_grpc.HealthStub(channel)),
            feed=JobFeed(scheduler),
        )
        yield
        await state.connected().feed.stop()
        state.connection = None
        await channel.close()

    app = FastAPI(title="catalog-sync console", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(ConsoleGuard, auth=settings.auth, allowed_hosts=settings.allowed_hosts)
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_ASSETS), name="swagger")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    app.state.gateway = GatewayState(templates=templates)
    app.include_router(login_router(settings.auth, templates))

    def scheduler() -> SchedulerStub:
        return state_of(app).connected().scheduler

    errors.install(app)
    app.include_router(service_routes.router)
    app.include_router(jobs_api.router)
    app.include_router(dashboard_router(scheduler, templates, lambda: state_of(app).connected().feed))
    app.include_router(job_page_router(scheduler, templates))
    app.include_router(explain_router(scheduler))
    app.include_router(playlists_router(scheduler, templates))
    app.include_router(maintenance_router(scheduler, templates))
    app.include_router(settings_router(scheduler, templates))
    app.include_router(tree_router(scheduler))

    return app

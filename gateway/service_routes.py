"""The gateway's own routes: liveness and readiness, metrics, the offline API explorer, the root redirect."""

from __future__ import annotations

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from grpc_health.v1 import health_pb2
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.state import Health, Templates

router = APIRouter()


@router.get("/livez")
async def livez() -> JSONResponse:
    """The gateway process answers (liveness); /healthz also needs the scheduler (readiness)."""
    return JSONResponse({"gateway": "ok"})


@router.get("/healthz")
async def healthz(health: Health) -> JSONResponse:
    try:
        reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=2)
        serving = reply.status == health_pb2.HealthCheckResponse.SERVING
    except grpc.aio.AioRpcError:
        serving = False
    return JSONResponse(
        {"gateway": "ok", "scheduler": "SERVING" if serving else "unreachable"},
        status_code=200 if serving else 503,
    )


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/")
async def index() -> RedirectResponse:
    return RedirectResponse("/dashboard")


@router.get("/docs", include_in_schema=False)
async def docs(request: Request, templates: Templates) -> HTMLResponse:
    """The API explorer, offline: Swagger UI served from the gateway itself (CSP: scripts from self only)."""
    return templates.TemplateResponse(request, "docs.html", {})


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    """No icon, said without a 404 (browsers ask for it on every page, the JSON ones too)."""
    return Response(status_code=204)

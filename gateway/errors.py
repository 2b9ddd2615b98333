"""How the console API answers when something goes wrong: a status and a sentence, never a traceback.

Bad input is 422 (FastAPI's checks) or 400 (the scheduler's); the scheduler or its database
being away is 503 with ``Retry-After`` (the scheduler answers UNAVAILABLE within seconds); a
scheduler that does not answer in time is 504; a failure inside the scheduler is 502; anything
unexpected in the gateway itself is 500 "internal error, see the gateway log" — without class
names. Every answer is JSON ``{"error": "...", "code": "..."}`` and keeps the connection usable.
"""

from __future__ import annotations

import logging

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from gateway import convert

log = logging.getLogger(__name__)
RETRY_AFTER_S = 5
UNAVAILABLE = "the scheduler or its database is not reachable right now; try again in a few seconds"
INTERNAL = "internal error, see the gateway log"
TIMED_OUT = "the scheduler did not answer in time; try again in a few seconds"
GRPC_TO_HTTP = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


def grpc_answer(exc: grpc.aio.AioRpcError) -> JSONResponse:
    code = exc.code()
    status = GRPC_TO_HTTP.get(code, 502)
    if code == grpc.StatusCode.UNAVAILABLE:
        details = exc.details() or ""
        # Our scheduler explains itself ("the catalog database ..."); a channel error does not.
        message = details if details.startswith("the catalog database") else UNAVAILABLE
        return JSONResponse(
            {"error": message, "code": code.name},
            status_code=status,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return JSONResponse({"error": TIMED_OUT, "code": code.name}, status_code=status)
    message = exc.details() or "the scheduler failed"
    if status == 502:
        log.warning("scheduler call failed: %s %s", code.name, exc.details())
        message = f"the scheduler failed: {message}"
    return JSONResponse({"error": message, "code": code.name}, status_code=status)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(grpc.aio.AioRpcError)
    async def grpc_error(_: Request, exc: grpc.aio.AioRpcError) -> JSONResponse:
        return grpc_answer(exc)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": convert.validation_error(exc.errors())}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"error": INTERNAL, "code": "INTERNAL"}, status_code=500)

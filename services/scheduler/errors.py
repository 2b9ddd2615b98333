"""The scheduler API's edge: check each request, and answer every failure in words.

A request breaking an edge rule gets INVALID_ARGUMENT before any query runs; the database
being away (PostgreSQL restarting) is UNAVAILABLE — callers retry; a value PostgreSQL refuses
is INVALID_ARGUMENT; anything else is INTERNAL "internal error, see the scheduler log" — never
UNKNOWN, never a class name or traceback in the answer (the log has them).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import psycopg

from services.scheduler import validation

log = logging.getLogger(__name__)
DATABASE_UNAVAILABLE = (
    "the catalog database is not reachable right now (restarting?); try again in a few seconds"
)
BAD_VALUE = "a value in the request cannot be stored (out of range or malformed)"
INTERNAL = "internal error, see the scheduler log"


async def _answer(context: grpc.aio.ServicerContext, method: str, exc: Exception) -> None:
    if isinstance(exc, validation.InvalidRequest):
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
    if isinstance(exc, psycopg.OperationalError):
        log.warning("%s: database unavailable: %s", method, exc)
        await context.abort(grpc.StatusCode.UNAVAILABLE, DATABASE_UNAVAILABLE)
    if isinstance(exc, psycopg.DataError):
        log.warning("%s: value refused: %s", method, exc)
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, BAD_VALUE)
    if isinstance(exc, grpc.aio.AioRpcError):
        # A call to one of our workers failed (e.g. the collector parsing a playlist file).
        log.warning("%s: a worker call failed: %s %s", method, exc.code().name, exc.details())
        code = (
            exc.code()
            if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
            else None
        )
        await context.abort(code or grpc.StatusCode.INTERNAL, exc.details() or INTERNAL)
    log.error("%s failed", method, exc_info=exc)
    await context.abort(grpc.StatusCode.INTERNAL, INTERNAL)


def _passes(exc: BaseException) -> bool:
    """Aborts (already an answer) and cancellations go through untouched."""
    return isinstance(exc, asyncio.CancelledError | grpc.aio.AbortError) or not isinstance(exc, Exception)


class EdgeInterceptor(grpc.aio.ServerInterceptor):
    """Validates requests and maps failures for every method of the services it wraps."""

    def __init__(self, service_name: str) -> None:
        self._prefix = f"/{service_name}/"

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or not method.startswith(self._prefix):
            return handler
        if handler.unary_unary is not None:
            inner_unary = handler.unary_unary

            async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
                try:
                    validation.check(request)
                    return await inner_unary(request, context)
                except BaseException as exc:
                    if _passes(exc):
                        raise
                    assert isinstance(exc, Exception)
                    await _answer(context, method, exc)

            return grpc.unary_unary_rpc_method_handler(
                unary_unary, handler.request_deserializer, handler.response_serializer
            )
        if handler.unary_stream is not None:
            inner_stream = handler.unary_stream

            async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                try:
                    validation.check(request)
                    async for item in inner_stream(request, context):
                        yield item
                except BaseException as exc:
                    if _passes(exc):
                        raise
                    assert isinstance(exc, Exception)
                    await _answer(context, method, exc)

            return grpc.unary_stream_rpc_method_handler(
                unary_stream, handler.request_deserializer, handler.response_serializer
            )
        return handler

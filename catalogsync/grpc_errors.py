"""Every failure of a gRPC call answered in words, for all our services.

A handler that raises instead of answering would give the caller ``UNKNOWN`` with the exception's
class name (``Unexpected <class '…'>``). This interceptor answers instead: a service-specific
``translate`` picks a status and a sentence for the errors it knows (the scheduler: a request
breaking an edge rule, its database away); a failed call to another of our services keeps its
UNAVAILABLE / DEADLINE_EXCEEDED; anything else is INTERNAL "internal error, see the <service> log"
— the log has the traceback, the answer never has a class name.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, NoReturn

import grpc

from catalogsync.grpc_rewrap import Continuation, Handler, Streaming, Unary, rewrap
from catalogsync.grpc_types import Context

log = logging.getLogger(__name__)
Translate = Callable[[Exception], tuple[grpc.StatusCode, str] | None]
Check = Callable[[Any], None]
PASSED_ON = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


def _passes(exc: BaseException) -> bool:
    """Aborts (already an answer) and cancellations go through untouched."""
    return isinstance(exc, asyncio.CancelledError | grpc.aio.AbortError) or not isinstance(exc, Exception)


class ErrorInterceptor(grpc.aio.ServerInterceptor):
    """Runs ``check`` on each request, then the handler; answers whatever escapes in words."""

    def __init__(
        self, service: str, *, check: Check | None = None, translate: Translate | None = None
    ) -> None:
        self._service = service
        self._check = check
        self._translate = translate

    async def _answer(self, context: Context, method: str, exc: Exception) -> NoReturn:
        known = self._translate(exc) if self._translate is not None else None
        if known is not None:
            log.warning("%s: %s: %s", method, known[0].name, exc)
            await context.abort(*known)
        if isinstance(exc, grpc.aio.AioRpcError):
            log.warning("%s: a call to another service failed: %s %s", method, exc.code().name, exc.details())
            code = exc.code() if exc.code() in PASSED_ON else grpc.StatusCode.INTERNAL
            await context.abort(code, exc.details() or f"internal error, see the {self._service} log")
        log.error("%s failed", method, exc_info=exc)
        await context.abort(grpc.StatusCode.INTERNAL, f"internal error, see the {self._service} log")

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(("/grpc.health.", "/grpc.reflection.")):
            return handler
        check = None if handler.request_streaming else self._check

        def unary(inner: Unary) -> Unary:
            async def answered(request: Any, context: Context) -> Any:
                try:
                    if check is not None:
                        check(request)
                    return await inner(request, context)
                except BaseException as exc:
                    if _passes(exc):
                        raise
                    assert isinstance(exc, Exception)
                    await self._answer(context, method, exc)

            return answered

        def streaming(inner: Streaming) -> Streaming:
            async def answered(request: Any, context: Context) -> AsyncIterator[Any]:
                try:
                    if check is not None:
                        check(request)
                    async for item in inner(request, context):
                        yield item
                except BaseException as exc:
                    if _passes(exc):
                        raise
                    assert isinstance(exc, Exception)
                    await self._answer(context, method, exc)

            return answered

        return rewrap(handler, unary, streaming)

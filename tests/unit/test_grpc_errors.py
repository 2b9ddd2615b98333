"""Whatever a handler raises, the caller gets a status and a sentence — never UNKNOWN or a class name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from catalogsync.grpc_errors import ErrorInterceptor

pytestmark = pytest.mark.anyio


class ServiceRefused(Exception):
    pass


def translate(exc: Exception) -> tuple[grpc.StatusCode, str] | None:
    if isinstance(exc, ServiceRefused):
        return grpc.StatusCode.FAILED_PRECONDITION, "refused in words"
    return None


def check(request: bytes) -> None:
    if request == b"bad":
        raise ServiceRefused("bad request")


async def fail(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    if request == b"abort":
        await context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
    if request == b"downstream":
        raise grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, None, None, "the collector is not reachable")
    raise KeyError("some_internal_field")


async def fail_streaming(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
    yield b"first"
    raise RuntimeError("broken in the middle")


@pytest.fixture
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    server = grpc.aio.server(interceptors=[ErrorInterceptor("testsvc", check=check, translate=translate)])
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                "test.Boom",
                {
                    "Fail": grpc.unary_unary_rpc_method_handler(fail),
                    "Stream": grpc.unary_stream_rpc_method_handler(fail_streaming),
                },
            )
        ]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as open_channel:
        yield open_channel
    await server.stop(0)


async def call(channel: grpc.aio.Channel, request: bytes) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await channel.unary_unary("/test.Boom/Fail")(request, timeout=10)
    return caught.value


@pytest.mark.parametrize(
    ("request_bytes", "code", "details"),
    [
        (b"boom", grpc.StatusCode.INTERNAL, "internal error, see the testsvc log"),
        (b"bad", grpc.StatusCode.FAILED_PRECONDITION, "refused in words"),
        (b"abort", grpc.StatusCode.NOT_FOUND, "no such thing"),
        (b"downstream", grpc.StatusCode.UNAVAILABLE, "the collector is not reachable"),
    ],
)
async def test_failures_are_answered_in_words(
    channel: grpc.aio.Channel, request_bytes: bytes, code: grpc.StatusCode, details: str
) -> None:
    error = await call(channel, request_bytes)
    assert (error.code(), error.details()) == (code, details)


async def test_a_stream_failing_midway_ends_in_words(channel: grpc.aio.Channel) -> None:
    received: list[Any] = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for item in channel.unary_stream("/test.Boom/Stream")(b"go", timeout=10):
            received.append(item)
    assert received == [b"first"]
    assert (caught.value.code(), caught.value.details()) == (
        grpc.StatusCode.INTERNAL,
        "internal error, see the testsvc log",
    )

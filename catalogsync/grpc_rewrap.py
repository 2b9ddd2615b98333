"""Rewrapping a gRPC method handler: the one helper our server interceptors build on.

An aio server interceptor that wants to run code around a call (count it, answer its errors,
refuse it) must return a new ``RpcMethodHandler`` of the same kind with the same (de)serializers.
:func:`rewrap` does that for the four kinds: ``unary`` wraps the methods that answer one message,
``streaming`` the methods that answer a stream (an async generator). The first argument a
behaviour receives is the request, or the request iterator of a client-streaming method.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias, cast

import grpc

from catalogsync.grpc_types import Context

# Strings: grpc's runtime classes are not generic, only its type stubs are.
Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
Continuation: TypeAlias = "Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]]"
Unary: TypeAlias = "Callable[[Any, Context], Awaitable[Any]]"
Streaming: TypeAlias = "Callable[[Any, Context], AsyncIterator[Any]]"


def rewrap(
    handler: Handler,
    unary: Callable[[Unary], Unary],
    streaming: Callable[[Streaming], Streaming],
) -> Handler:
    """``handler`` with its behaviour wrapped by ``unary`` or ``streaming`` (by its response kind)."""
    # An aio server's behaviours are coroutine functions or async generators; the stubs type them as sync.
    codecs = (handler.request_deserializer, handler.response_serializer)
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(unary(cast(Unary, handler.unary_unary)), *codecs)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(streaming(cast(Streaming, handler.unary_stream)), *codecs)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(unary(cast(Unary, handler.stream_unary)), *codecs)
    if handler.stream_stream is not None:
        return grpc.stream_stream_rpc_method_handler(
            streaming(cast(Streaming, handler.stream_stream)), *codecs
        )
    return handler

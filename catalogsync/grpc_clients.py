"""gRPC channels to the other services, with the same options and credentials everywhere.

Targets may be ``host:port`` or ``dns:///name:port``; with the latter every
address the name resolves to is used in turn (client-side round robin), which
is how several resolver/downloader/uploader replicas share the work. Every call
carries the service token (and the operator token when one is configured), see
``catalogsync.service_auth``.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import grpc

from catalogsync.grpc_server import MAX_MESSAGE_BYTES
from catalogsync.service_auth import ClientTokens

CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.lb_policy_name", "round_robin"),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.enable_retries", 1),
]


def _with_tokens(metadata: Any, tokens: ClientTokens) -> list[tuple[str, str]]:
    return [*(tuple(pair) for pair in (metadata or ())), *tokens.metadata()]


class _AsyncTokens:
    def __init__(self, tokens: ClientTokens) -> None:
        self._tokens = tokens

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*_with_tokens(details.metadata, self._tokens))
        return grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )


# grpc.aio files an interceptor under the first call kind it implements, so one class per kind.
class _UnaryUnaryTokens(_AsyncTokens, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _UnaryStreamTokens(_AsyncTokens, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _StreamUnaryTokens(_AsyncTokens, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(self._details(details), requests)


class _StreamStreamTokens(_AsyncTokens, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(self._details(details), requests)


class _CallDetails(
    namedtuple(
        "_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
    ),
    grpc.ClientCallDetails,
):
    pass


class _SyncTokens(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def __init__(self, tokens: ClientTokens) -> None:
        self._tokens = tokens

    def _details(self, details: grpc.ClientCallDetails) -> _CallDetails:
        return _CallDetails(
            details.method,
            details.timeout,
            _with_tokens(details.metadata, self._tokens),
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)


def open_channel(target: str, tokens: ClientTokens | None = None) -> grpc.aio.Channel:
    """An async channel sending ``tokens`` (default: from the environment) on every call."""
    chosen = ClientTokens.from_env() if tokens is None else tokens
    interceptors = [
        kind(chosen)
        for kind in (_UnaryUnaryTokens, _UnaryStreamTokens, _StreamUnaryTokens, _StreamStreamTokens)
    ]
    return grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS, interceptors=interceptors)


def open_sync_channel(target: str, tokens: ClientTokens | None = None) -> grpc.Channel:
    """A blocking channel (CLI, tests) sending ``tokens`` (default: from the environment) on every call."""
    chosen = ClientTokens.from_env() if tokens is None else tokens
    return grpc.intercept_channel(grpc.insecure_channel(target, options=CHANNEL_OPTIONS), _SyncTokens(chosen))

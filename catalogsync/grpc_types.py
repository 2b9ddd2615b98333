"""Types for our gRPC code: the servicer context and the async client stubs.

mypy-protobuf types ``XServiceStub(aio_channel)`` as ``XServiceAsyncStub``, a class that exists
only for the type checker; the names here are those classes to it and the runtime stubs otherwise,
so annotations and ``Depends`` work alike. The health stub's own types lack its methods:
:class:`AsyncHealth` says what the async one offers.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from grpc_health.v1 import health_pb2

# A string: grpc's runtime ServicerContext is not generic, only its type stubs are.
Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"

if TYPE_CHECKING:
    import grpc

    from catalogsync.v1.collector_pb2_grpc import CollectorServiceAsyncStub as CollectorStub
    from catalogsync.v1.downloader_pb2_grpc import DownloaderServiceAsyncStub as DownloaderStub
    from catalogsync.v1.resolver_pb2_grpc import ResolverServiceAsyncStub as ResolverStub
    from catalogsync.v1.scheduler_pb2_grpc import SchedulerServiceAsyncStub as SchedulerStub
    from catalogsync.v1.uploader_pb2_grpc import UploaderServiceAsyncStub as UploaderStub
else:
    from catalogsync.v1.collector_pb2_grpc import CollectorServiceStub as CollectorStub
    from catalogsync.v1.downloader_pb2_grpc import DownloaderServiceStub as DownloaderStub
    from catalogsync.v1.resolver_pb2_grpc import ResolverServiceStub as ResolverStub
    from catalogsync.v1.scheduler_pb2_grpc import SchedulerServiceStub as SchedulerStub
    from catalogsync.v1.uploader_pb2_grpc import UploaderServiceStub as UploaderStub

__all__ = [
    "AsyncHealth",
    "CollectorStub",
    "Context",
    "DownloaderStub",
    "ResolverStub",
    "SchedulerStub",
    "UploaderStub",
]


class AsyncHealth(Protocol):
    """``grpc_health.v1.health_pb2_grpc.HealthStub`` on an aio channel."""

    def Check(
        self, request: health_pb2.HealthCheckRequest, *, timeout: float | None = None
    ) -> Awaitable[health_pb2.HealthCheckResponse]: ...

"""The standard lifecycle of every catalog-sync gRPC server.

Async server, service-token check (``catalogsync.service_auth``), ``grpc.health.v1`` health,
server reflection, Prometheus
``/metrics``, graceful shutdown on SIGTERM/SIGINT, supervised background loops.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import Counter, Histogram, start_http_server

from catalogsync.grpc_errors import ErrorInterceptor
from catalogsync.grpc_rewrap import Continuation, Handler, Streaming, Unary, rewrap
from catalogsync.grpc_types import Context
from catalogsync.service_auth import SERVICE_TOKEN_ENV, TokenInterceptor
from catalogsync.settings import ServerSettings
from catalogsync.supervise import Supervisor

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
SERVER_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.so_reuseport", 0),
    # Clients using dns:/// round robin only re-resolve when a connection closes: closing
    # connections after a while lets them find replicas added since. Calls in flight get
    # up to an hour to finish (long downloads, WatchJobs streams reconnect).
    ("grpc.max_connection_age_ms", 5 * 60 * 1000),
    ("grpc.max_connection_age_grace_ms", 60 * 60 * 1000),
    # Clients ping idle connections (grpc_clients.py); accept that instead of answering GOAWAY
    # "too_many_pings" and failing the next call.
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
    ("grpc.http2.max_ping_strikes", 0),
]

REQUESTS = Counter("catalogsync_grpc_requests_total", "gRPC requests handled", ["method", "code"])
LATENCY = Histogram("catalogsync_grpc_request_seconds", "gRPC request duration", ["method"])


@dataclass(frozen=True)
class Registration:
    """One servicer: the generated ``add_*_to_server`` function, the servicer and its full name."""

    add: Callable[[Any, grpc.aio.Server], None]
    servicer: object
    service_name: str


def _code_name(context: Context, error: BaseException | None) -> str:
    try:
        code = context.code()
    except Exception:
        code = None
    if code is not None and code != grpc.StatusCode.OK:
        return code.name if isinstance(code, grpc.StatusCode) else str(code)
    if error is not None:
        return "CANCELLED" if isinstance(error, asyncio.CancelledError) else "UNKNOWN"
    return "OK"


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    """Counts requests by method and status code and times them."""

    async def intercept_service(
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method

        def observe(context: Context, started: float, error: BaseException | None) -> None:
            REQUESTS.labels(method, _code_name(context, error)).inc()
            LATENCY.labels(method).observe(time.perf_counter() - started)

        def unary(inner: Unary) -> Unary:
            async def counted(request: Any, context: Context) -> Any:
                started, error = time.perf_counter(), None
                try:
                    return await inner(request, context)
                except BaseException as exc:
                    error = exc
                    raise
                finally:
                    observe(context, started, error)

            return counted

        def streaming(inner: Streaming) -> Streaming:
            async def counted(request: Any, context: Context) -> AsyncIterator[Any]:
                started, error = time.perf_counter(), None
                try:
                    async for item in inner(request, context):
                        yield item
                except BaseException as exc:
                    error = exc
                    raise
                finally:
                    observe(context, started, error)

            return counted

        return rewrap(handler, unary, streaming)


class GrpcService:
    """Builds, runs and stops one gRPC server with its health, reflection and metrics."""

    def __init__(
        self,
        name: str,
        settings: ServerSettings,
        registrations: Sequence[Registration],
        interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
    ) -> None:
        self.name = name
        # Every failure answered in words; a service may bring its own (with request checks).
        self.interceptors = list(interceptors) or [ErrorInterceptor(name)]
        self.settings = settings
        self.registrations = list(registrations)
        self.health = health.aio.HealthServicer()
        self.supervisor = Supervisor(self._on_background_health)
        self.server: grpc.aio.Server | None = None
        self.port = 0
        self._stopping = asyncio.Event()
        self._metrics_server: Any = None

    def _names(self) -> list[str]:
        return ["", *(r.service_name for r in self.registrations)]

    async def _set_health(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for service_name in self._names():
            await self.health.set(service_name, status)

    def _on_background_health(self, healthy: bool) -> None:
        if not self._stopping.is_set():
            log.log(logging.INFO if healthy else logging.WARNING, "background work healthy=%s", healthy)
            asyncio.get_running_loop().create_task(self._set_health(healthy))

    async def start(self) -> int:
        auth = self.settings.auth
        if not auth.service_token:
            log.warning(
                "%s accepts calls without a service token (loopback only); set %s to require one",
                self.name,
                SERVICE_TOKEN_ENV,
            )
        server = grpc.aio.server(
            interceptors=[MetricsInterceptor(), TokenInterceptor(auth), *self.interceptors],
            options=SERVER_OPTIONS,
        )
        for registration in self.registrations:
            registration.add(registration.servicer, server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        reflection.enable_server_reflection(
            [*(r.service_name for r in self.registrations), health.SERVICE_NAME, reflection.SERVICE_NAME],
            server,
        )
        self.port = server.add_insecure_port(self.settings.address)
        if self.port == 0:
            raise RuntimeError(f"{self.name}: cannot listen on {self.settings.address}")
        await server.start()
        self.server = server
        if self.settings.metrics_port:
            self._metrics_server, _ = start_http_server(self.settings.metrics_port, addr=self.settings.host)
        await self._set_health(True)
        log.info(
            "%s listening on %s:%d (metrics on %s)",
            self.name,
            self.settings.host,
            self.port,
            self.settings.metrics_port or "off",
        )
        return self.port

    def start_background(self, name: str, factory: Callable[[], Awaitable[None]]) -> None:
        self.supervisor.start(name, factory)

    async def stop(self, on_stop: Callable[[], Awaitable[None]] | None = None) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        log.info("%s stopping (grace %.1fs)", self.name, self.settings.grace_seconds)
        await self._set_health(False)
        await self.supervisor.stop()
        if self.server is not None:
            await self.server.stop(self.settings.grace_seconds)
        if on_stop is not None:
            await on_stop()
        if self._metrics_server is not None:
            self._metrics_server.shutdown()

    async def run_until_signal(self, on_stop: Callable[[], Awaitable[None]] | None = None) -> None:
        """Run until SIGTERM/SIGINT, then stop gracefully."""
        loop = asyncio.get_running_loop()
        stop_requested = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop_requested.set)
        assert self.server is not None
        termination = asyncio.create_task(self.server.wait_for_termination())
        waiter = asyncio.create_task(stop_requested.wait())
        await asyncio.wait({termination, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        await self.stop(on_stop)
        await termination


def service_main(
    name: str, load_settings: Callable[[], Any], run: Callable[[Any], Coroutine[Any, Any, None]]
) -> int:
    """The ``main()`` of every service: settings (fail fast), logging, then ``run`` until stopped."""
    from catalogsync.logs import setup_logging
    from catalogsync.settings import SettingsError

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    setup_logging(name, settings.server.log_level)
    asyncio.run(run(settings))
    return 0


def platform_service(
    name: str, registration: Callable[[Any, Any], Registration]
) -> Callable[[Any], Coroutine[Any, Any, None]]:
    """``run`` for a service that talks to the platforms: one shared HTTP client, closed on stop."""
    from catalogsync.http_client import make_client

    async def run(settings: Any) -> None:
        client = make_client(settings.overrides, timeout=settings.http_timeout_s)
        service = GrpcService(name, settings.server, [registration(client, settings)])
        await service.start()
        await service.run_until_signal(on_stop=client.aclose)

    return run

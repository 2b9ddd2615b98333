"""The scheduler API as a user reaches it, in one test process: a real collector (playlist URL
parsing), the real scheduler servicer behind its edge interceptor on a real database, and the real
gateway under uvicorn — all on port 0, on an event loop of their own in a background thread, so
synchronous tests (hypothesis) talk to them over real HTTP and gRPC connections."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
import uvicorn

from catalogsync.grpc_server import GrpcService
from catalogsync.http_client import make_client
from catalogsync.v1 import scheduler_pb2_grpc
from gateway.app import create_app
from gateway.config import Settings as GatewaySettings
from services.collector.config import Settings as CollectorSettings
from services.collector.server import registration as collector_registration
from services.scheduler.__main__ import API_DATABASE_WAIT_S
from services.scheduler.clients import Clients
from services.scheduler.config import Settings as SchedulerSettings
from services.scheduler.db.pool import make_pool
from services.scheduler.engine.notify import Listener
from services.scheduler.errors import edge_interceptor
from services.scheduler.server import registration as scheduler_registration

T = TypeVar("T")


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="api-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()  # its self-pipe sockets too: left to GC they fail a later test (ResourceWarning)


@dataclass
class Api:
    scheduler: scheduler_pb2_grpc.SchedulerServiceStub
    gateway_url: str


@contextmanager
def running_api(database_url: str) -> Iterator[Api]:
    """Collector + scheduler API + gateway; ``database_url`` may point at a database that is away."""
    background = LoopThread()
    started: dict[str, Any] = {}

    async def start() -> tuple[int, int]:
        collector_settings = CollectorSettings.from_env(
            {"CATALOGSYNC_COLLECTOR_PORT": "0", "CATALOGSYNC_COLLECTOR_METRICS_PORT": "0"}
        )
        http = make_client(collector_settings.overrides, timeout=5)
        collector = GrpcService(
            "collector", collector_settings.server, [collector_registration(http, collector_settings)]
        )
        collector_port = await collector.start()
        settings = SchedulerSettings.from_env(
            {
                "DATABASE_URL": database_url,
                "CATALOGSYNC_SCHEDULER_PORT": "0",
                "CATALOGSYNC_SCHEDULER_METRICS_PORT": "0",
                "CATALOGSYNC_COLLECTOR_ADDR": f"127.0.0.1:{collector_port}",
                "CATALOGSYNC_SHUTDOWN_GRACE_SECONDS": "1",
            }
        )
        pool = make_pool(database_url, name="api", max_size=4, check=True, wait_seconds=API_DATABASE_WAIT_S)
        await pool.open(wait=False)
        clients = Clients.open(settings)
        api = scheduler_registration(settings, pool, clients, Listener(database_url))
        scheduler = GrpcService("scheduler", settings.server, [api], [edge_interceptor()])
        scheduler_port = await scheduler.start()
        gateway_settings = GatewaySettings("127.0.0.1", 0, f"127.0.0.1:{scheduler_port}", "WARNING")
        server = uvicorn.Server(
            uvicorn.Config(create_app(gateway_settings), host="127.0.0.1", port=0, log_level="warning")
        )
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.05)
        started.update(
            collector=collector, http=http, scheduler=scheduler, pool=pool, clients=clients, server=server
        )
        started["serving"] = serving
        return scheduler_port, server.servers[0].sockets[0].getsockname()[1]

    async def stop() -> None:
        if "server" in started:
            started["server"].should_exit = True
            await started["serving"]
        for name in ("scheduler", "collector"):
            if name in started:
                await started[name].stop()
        if "clients" in started:
            await started["clients"].close()
        if "pool" in started:
            await started["pool"].close()
        if "http" in started:
            await started["http"].aclose()

    try:
        scheduler_port, gateway_port = background.run(start())
        channel = grpc.insecure_channel(f"127.0.0.1:{scheduler_port}")
        try:
            yield Api(scheduler_pb2_grpc.SchedulerServiceStub(channel), f"http://127.0.0.1:{gateway_port}")
        finally:
            channel.close()
    finally:
        background.run(stop())
        background.close()

"""The scheduler's gRPC API in-process over a real database, with a real downloader beside it.

The downloader (also in-process, its own gRPC server) owns the library root; nothing else runs:
the collector, resolver and uploader addresses point at a port that refuses connections.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc

from catalogsync.grpc_server import GrpcService
from catalogsync.http_client import make_client
from catalogsync.v1 import scheduler_pb2_grpc
from services.downloader import server as downloader_server
from services.downloader.config import Settings as DownloaderSettings
from services.scheduler import server as scheduler_server
from services.scheduler import storage
from services.scheduler.clients import Clients
from services.scheduler.db.pool import make_pool
from services.scheduler.engine.notify import Listener
from tests.support.engine import engine_settings, refusing_port

QUIET = {"CATALOGSYNC_SHUTDOWN_GRACE_SECONDS": "0"}  # nothing in flight to wait for


@dataclass(frozen=True)
class SchedulerApi:
    stub: scheduler_pb2_grpc.SchedulerServiceStub
    library_root: Path


@contextlib.asynccontextmanager
async def downloader_service(library_root: Path) -> AsyncIterator[int]:
    """A downloader allowed to use ``library_root``; yields its port."""
    settings = DownloaderSettings.from_env(
        {
            "CATALOGSYNC_DOWNLOADER_PORT": "0",
            "CATALOGSYNC_DOWNLOADER_METRICS_PORT": "0",
            "CATALOGSYNC_LIBRARY_ROOTS": str(library_root),
            **QUIET,
        }
    )
    client = make_client(settings.overrides, timeout=settings.http_timeout_s)
    service = GrpcService("downloader", settings.server, [downloader_server.registration(client, settings)])
    port = await service.start()
    try:
        yield port
    finally:
        await service.stop(on_stop=client.aclose)


@contextlib.asynccontextmanager
async def scheduler_api(database_url: str, library_root: Path, **env: str) -> AsyncIterator[SchedulerApi]:
    """SchedulerService on a free port (no engine loop), the downloader beside it; ``library_root``
    (an existing folder) is the active root."""
    async with downloader_service(library_root) as downloader_port:
        with refusing_port() as refused:
            settings = engine_settings(
                database_url,
                library_root,
                refused,
                CATALOGSYNC_DOWNLOADER_ADDR=f"127.0.0.1:{downloader_port}",
                CATALOGSYNC_SCHEDULER_PORT="0",
                CATALOGSYNC_SCHEDULER_METRICS_PORT="0",
                **QUIET,
                **env,
            )
            pool = make_pool(settings.database_url, name="api", max_size=4)
            await pool.open(wait=True, timeout=30)
            async with pool.connection() as conn:
                await storage.set_library_root(conn, str(library_root))
            clients = Clients.open(settings)
            listener = Listener(settings.database_url)
            service = GrpcService(
                "scheduler",
                settings.server,
                [scheduler_server.registration(settings, pool, clients, listener)],
            )
            port = await service.start()

            async def close() -> None:
                await clients.close()
                await pool.close()

            try:
                async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                    yield SchedulerApi(scheduler_pb2_grpc.SchedulerServiceStub(channel), library_root)
            finally:
                await service.stop(on_stop=close)

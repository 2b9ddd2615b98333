"""``python -m services.scheduler``: migrate the catalog, then serve the API and run the job engine."""

from __future__ import annotations

import logging
import sys

from catalogsync.grpc_server import GrpcService, service_main
from services.scheduler import revisions, storage
from services.scheduler.clients import Clients
from services.scheduler.config import Settings
from services.scheduler.db.migrate import migrate
from services.scheduler.db.pool import connect, make_pool
from services.scheduler.engine import recovery
from services.scheduler.engine.context import EngineContext
from services.scheduler.engine.notify import Listener
from services.scheduler.engine.runner import Runner
from services.scheduler.errors import edge_interceptor
from services.scheduler.job_defaults import JobDefaults
from services.scheduler.server import registration

log = logging.getLogger("scheduler")
DATABASE_WAIT_S = 120
API_DATABASE_WAIT_S = 3.0  # an API call waits this long for the database, then answers UNAVAILABLE


async def prepare_database(settings: Settings) -> None:
    """Migrate, then apply the storage configured in the environment (library root, object backend)."""
    conn = await connect(settings.database_url)
    try:
        applied = await migrate(conn)
        log.info("schema up to date (%s)", ", ".join(applied) or "nothing to apply")
        await revisions.ensure_first(conn, JobDefaults.from_environment(settings))
        if settings.library_root is not None:
            settings.library_root.mkdir(parents=True, exist_ok=True)
            await storage.set_library_root(conn, str(settings.library_root))
        backend = settings.object_backend
        if backend is not None:
            await storage.register_object_backend(
                conn,
                backend.name,
                backend.bucket,
                {
                    "endpoint": backend.endpoint,
                    "region": backend.region,
                    "base_prefix": backend.base_prefix.strip("/"),
                    "addressing_style": backend.addressing_style,
                    "public_base_url": backend.public_base_url,
                    "credential_env_prefix": backend.credential_env_prefix,
                    "create_bucket": backend.create_bucket,
                },
                make_default=True,
            )
    finally:
        await conn.close()


async def run(settings: Settings) -> None:
    pool = make_pool(
        settings.database_url,
        name="api",
        max_size=settings.api_pool_size,
        check=True,
        wait_seconds=API_DATABASE_WAIT_S,
    )
    engine_pool = make_pool(
        settings.database_url, name="engine", max_size=settings.engine_pool_size, asynchronous_commit=True
    )
    await pool.open(wait=True, timeout=DATABASE_WAIT_S)
    await engine_pool.open(wait=True, timeout=DATABASE_WAIT_S)
    await prepare_database(settings)
    clients = Clients.open(settings)
    listener = Listener(settings.database_url)
    ctx = EngineContext(settings, engine_pool, clients, listener)
    runner = Runner(ctx)
    api = registration(settings, pool, clients, listener)
    service = GrpcService("scheduler", settings.server, [api], [edge_interceptor()])
    await service.start()
    service.start_background("listener", listener.run)
    service.start_background("heartbeat", lambda: recovery.heartbeat_forever(ctx))
    service.start_background("engine", runner.run)

    async def on_stop() -> None:
        await runner.shutdown(settings.server.grace_seconds)
        await recovery.mark_stopped(ctx)
        await clients.close()
        await engine_pool.close()
        await pool.close()

    await service.run_until_signal(on_stop=on_stop)


if __name__ == "__main__":
    sys.exit(service_main("scheduler", Settings.from_env, run))

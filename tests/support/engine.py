"""The scheduler's engine in the test's own event loop, against a real database; and catalog rows for it.

No service runs beside it: every service address points at a loopback port that is bound but never
listens (connections are refused at once), so only work that needs no other service completes —
e.g. a download stage whose songs are all in the library already.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from catalogsync.v1 import scheduler_pb2
from services.scheduler import jobs, storage
from services.scheduler.clients import Clients
from services.scheduler.config import Settings
from services.scheduler.db.pool import make_pool
from services.scheduler.db.queries import Q
from services.scheduler.engine import recovery
from services.scheduler.engine.context import EngineContext
from services.scheduler.engine.notify import Listener
from services.scheduler.engine.runner import Runner

SERVICES = ("collector", "resolver", "downloader", "uploader")
WAIT_S = 30.0


async def eventually(check: Callable[[], Awaitable[object]], what: str, within_s: float = WAIT_S) -> None:
    """Wait (generously: no timing is asserted) until ``check()`` is truthy."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        if await check():
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {within_s}s: {what}")
        await asyncio.sleep(0.05)


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port bound by this process and never listening: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def engine_settings(database_url: str, library_root: Path, port: int, **env: str) -> Settings:
    return Settings.from_env(
        {
            "DATABASE_URL": database_url,
            "CATALOGSYNC_LIBRARY_ROOT": str(library_root),
            "CATALOGSYNC_SCHEDULER_INSTANCE_ID": "in-process",
            "CATALOGSYNC_POLL_SECONDS": "0.1",
            **{f"CATALOGSYNC_{name.upper()}_ADDR": f"127.0.0.1:{port}" for name in SERVICES},
            **env,
        }
    )


@contextlib.asynccontextmanager
async def engine_context(settings: Settings) -> AsyncIterator[EngineContext]:
    """What a scheduler process's engine works with (its pool, clients, listener), registered as alive."""
    pool = make_pool(settings.database_url, name="engine", max_size=8)
    await pool.open(wait=True, timeout=30)
    clients = Clients.open(settings)
    ctx = EngineContext(settings, pool, clients, Listener(settings.database_url))
    async with pool.connection() as conn:
        await storage.set_library_root(conn, str(settings.library_root))
    await recovery.register(ctx)
    try:
        yield ctx
    finally:
        await recovery.mark_stopped(ctx)
        await clients.close()
        await pool.close()


@contextlib.asynccontextmanager
async def running_engine(settings: Settings) -> AsyncIterator[Runner]:
    """A runner looping in the background with its heartbeat and listener, as ``python -m`` runs it."""
    async with engine_context(settings) as ctx:
        runner = Runner(ctx)
        tasks = [
            asyncio.create_task(ctx.listener.run()),
            asyncio.create_task(recovery.heartbeat_forever(ctx)),
            asyncio.create_task(runner.run()),
        ]
        try:
            yield runner
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await runner.shutdown(1.0)


SEED_SQL = (
    "INSERT INTO songs (platform, remote_song_id, name, singers)"
    " SELECT 'netease', %(prefix)s || n, 'song ' || n, 'artist' FROM generate_series(1, %(count)s) AS n",
    "INSERT INTO playlists (platform, remote_playlist_id, name, sync_status)"
    " VALUES ('netease', %(prefix)s, %(prefix)s, 'synced')",
    "INSERT INTO playlist_songs (playlist_id, song_id, position)"
    " SELECT p.id, s.id, row_number() OVER (ORDER BY s.id) FROM songs s, playlists p"
    " WHERE s.remote_song_id LIKE %(prefix)s || '%%' AND p.remote_playlist_id = %(prefix)s",
    "INSERT INTO file_assets (song_id, source_platform, source_remote_id, quality_label, ext,"
    " file_size_bytes, checksum_sha256)"
    " SELECT s.id, 'qq', s.remote_song_id, '320k', 'mp3', 1000, md5(s.remote_song_id)"
    " FROM songs s WHERE s.remote_song_id LIKE %(prefix)s || '%%'",
    "INSERT INTO file_locations (file_asset_id, backend_id, locator, is_primary)"
    " SELECT a.id, b.id, 'qq/a/' || a.source_remote_id || '.mp3', true"
    " FROM file_assets a, storage_backends b WHERE b.backend_type = 'local_fs' AND b.is_active"
    " AND a.source_remote_id LIKE %(prefix)s || '%%'",
)


def seed_downloaded_playlist(database_url: str, prefix: str, count: int) -> int:
    """A synced playlist whose ``count`` songs all have a file in the active library; its id."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        for statement in SEED_SQL:
            conn.execute(statement, {"prefix": prefix, "count": count})
        row = conn.execute("SELECT id FROM playlists WHERE remote_playlist_id = %s", (prefix,)).fetchone()
    assert row is not None
    return int(row[0])


async def create_job(conn: psycopg.AsyncConnection, job_type: str, **scope: Any) -> int:
    """A job as CreateJob makes it (the scope validated and stored the same way)."""
    return await jobs.create(conn, job_type, jobs.scope_dict(scheduler_pb2.JobScope(**scope)), "test", {})


async def send_command(
    conn: psycopg.AsyncConnection, job_id: int, command: str, item_id: int | None = None
) -> None:
    await conn.execute(
        Q["insert_command"],
        {"job_id": job_id, "command": command, "item_id": item_id, "requested_by": "test"},
    )


async def connect(database_url: str) -> psycopg.AsyncConnection[dict[str, Any]]:
    return await psycopg.AsyncConnection.connect(database_url, autocommit=True, row_factory=dict_row)

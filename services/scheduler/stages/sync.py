"""Sync: fetch one playlist with all its tracks and write songs, links and derived artists."""

from __future__ import annotations

import asyncio

import grpc
import psycopg

from catalogsync.v1 import collector_pb2, common_pb2
from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn
from services.scheduler.engine.context import EngineContext, JobInfo, WorkerState
from services.scheduler.engine.leases import Lease
from services.scheduler.engine.outcome import Outcome
from services.scheduler.sync_writer import PlaylistRows, playlist_rows, write_own, write_shared

FETCH_TIMEOUT_S = 600
SHARED_ATTEMPTS = 3


async def process(ctx: EngineContext, job: JobInfo, lease: Lease, worker: WorkerState) -> Outcome:
    playlist_id = lease.ref_id
    assert playlist_id is not None
    payload = lease.payload
    request = collector_pb2.FetchPlaylistRequest(
        platform=payload["platform"],
        remote_playlist_id=payload["remote_playlist_id"],
        kind=common_pb2.TOPLIST if payload.get("kind") == "toplist" else common_pb2.PLAYLIST_SQUARE,
        track_limit=int(job.scope.get("track_limit") or 0),
    )
    try:
        response = await ctx.clients.collector.FetchPlaylist(request, timeout=FETCH_TIMEOUT_S)
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
            message = f"{exc.code().name}: {exc.details()}"

            async def mark_failed(conn: Conn) -> None:
                await conn.execute(
                    Q["mark_playlist_sync_failed"], {"playlist_id": playlist_id, "error": message}
                )

            return Outcome.failed(message, commit=mark_failed)
        raise
    worker.label = f"{lease.label} ({len(response.tracks)} tracks)"
    rows = playlist_rows(response)  # before any transaction: they hold row locks
    try:
        async with ctx.sync_writes:
            await _write_shared(ctx, playlist_id, rows)
    except psycopg.errors.TransactionRollback as exc:
        # As when an outcome cannot be recorded: given back for a later try, no attempt counted.
        return Outcome.defer(f"writing the playlist's songs and artists failed: {exc}")
    counts: dict[str, int] = {}

    async def commit(conn: Conn) -> None:
        written = await write_own(conn, playlist_id, rows)
        counts.update(songs=written.songs, artists=written.artists, non_music=written.non_music)

    return Outcome.ok(counts, commit=commit, gate=ctx.sync_writes)


async def _write_shared(ctx: EngineContext, playlist_id: int, rows: PlaylistRows) -> None:
    """``write_shared``; a deadlock is retried (the writes are idempotent), like an item's recording."""
    for attempt in range(1, SHARED_ATTEMPTS + 1):
        try:
            async with ctx.pool.connection() as conn:
                await write_shared(conn, playlist_id, rows)
            return
        except psycopg.errors.TransactionRollback:
            if attempt == SHARED_ATTEMPTS:
                raise
            await asyncio.sleep(0.05 * attempt)

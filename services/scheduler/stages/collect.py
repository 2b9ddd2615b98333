"""Collect: stream one platform's playlist square or toplists into the catalog, page by page."""

from __future__ import annotations

from catalogsync.v1 import collector_pb2, common_pb2
from catalogsync.vocabulary import DISCOVERY_KINDS, DISCOVERY_PLATFORMS
from services.scheduler.catalog import upsert_discovered, upsert_pool
from services.scheduler.db.queries import Q
from services.scheduler.engine.context import EngineContext, JobInfo, WorkerState
from services.scheduler.engine.leases import Lease
from services.scheduler.engine.outcome import Outcome

KIND_MESSAGES = {"playlist_square": common_pb2.PLAYLIST_SQUARE, "toplist": common_pb2.TOPLIST}
DISCOVERY_TIMEOUT_S = 1800


def _position(platform: str, kind: str, rank: int) -> int:
    """Collected playlists are ordered by platform, then kind, then rank on the page."""
    platform_index = DISCOVERY_PLATFORMS.index(platform) if platform in DISCOVERY_PLATFORMS else 9
    return platform_index * 10_000_000 + DISCOVERY_KINDS.index(kind) * 1_000_000 + rank


async def process(ctx: EngineContext, job: JobInfo, lease: Lease, worker: WorkerState) -> Outcome:
    platform = lease.payload["platform"]
    kind = lease.payload["kind"]
    into_job = job.job_type == "catalog_sync"
    async with ctx.pool.connection() as conn:
        pool_id = await upsert_pool(conn, platform, kind, kind)
    request = collector_pb2.ListDiscoveryRequest(
        platform=platform, kind=KIND_MESSAGES[kind], limit=int(lease.payload.get("limit") or 0)
    )
    batch: list[common_pb2.PlaylistSummary] = []
    collected = pages = 0

    async def flush() -> None:
        nonlocal collected
        if not batch:
            return
        async with ctx.pool.connection() as conn, conn.transaction():
            ids = await upsert_discovered(conn, platform, pool_id, batch, collected)
            if into_job:
                await conn.execute(
                    Q["insert_job_playlists"],
                    {
                        "job_id": job.id,
                        "playlist_ids": ids,
                        "positions": [_position(platform, kind, collected + i) for i in range(len(ids))],
                    },
                )
        collected += len(ids)
        batch.clear()

    async for event in ctx.clients.collector.ListDiscovery(request, timeout=DISCOVERY_TIMEOUT_S):
        if event.HasField("playlist"):
            batch.append(event.playlist)
        else:
            pages += 1
            await flush()
            worker.label = f"{platform} {kind.replace('_', ' ')}: {event.page.text}"
    await flush()
    return Outcome.ok({"platform": platform, "kind": kind, "playlists": collected, "pages": pages})

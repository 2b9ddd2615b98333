"""CollectorService: discovery paging with limits and dedupe, playlist detail, URL parsing."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import grpc
import httpx

from catalogsync.grpc_server import Registration
from catalogsync.grpc_types import Context
from catalogsync.http_client import UpstreamError
from catalogsync.v1 import collector_pb2, collector_pb2_grpc, common_pb2
from services.collector import platforms
from services.collector.config import Settings
from services.collector.platforms.base import DiscoveryPlatform, PlaylistNotFound
from services.collector.urls import parse_playlist_text

log = logging.getLogger(__name__)
KINDS = (common_pb2.PLAYLIST_SQUARE, common_pb2.TOPLIST)


class CollectorServicer(collector_pb2_grpc.CollectorServiceServicer):
    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._client = client
        self._settings = settings

    async def _platform(self, name: str, context: Context) -> DiscoveryPlatform:
        if name not in platforms.PLATFORMS:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"unknown platform {name!r}; expected one of {', '.join(platforms.PLATFORMS)}",
            )
        return platforms.create(name, self._client, self._settings.accounts.get(name))

    async def ListDiscovery(
        self, request: collector_pb2.ListDiscoveryRequest, context: Context
    ) -> AsyncIterator[collector_pb2.DiscoveryEvent]:
        if request.kind not in KINDS:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "kind must be PLAYLIST_SQUARE or TOPLIST")
        if request.limit < 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "limit must be >= 0")
        platform = await self._platform(request.platform, context)
        page_size = (
            min(self._settings.page_size, request.limit) if request.limit else self._settings.page_size
        )
        seen: set[str] = set()
        try:
            async for page in platform.list_discovery(request.kind, page_size):
                fresh = [p for p in page.playlists if p.remote_playlist_id not in seen]
                if request.limit:
                    fresh = fresh[: request.limit - len(seen)]
                for playlist in fresh:
                    seen.add(playlist.remote_playlist_id)
                    yield collector_pb2.DiscoveryEvent(playlist=playlist)
                text = f"page {page.page}: +{len(fresh)}, total {len(seen)}"
                yield collector_pb2.DiscoveryEvent(
                    page=collector_pb2.PageProgress(
                        page=page.page,
                        added=len(fresh),
                        total_so_far=len(seen),
                        upstream_total=page.upstream_total,
                        text=text,
                    )
                )
                if request.limit and len(seen) >= request.limit:
                    break
                if not fresh or not page.has_more:
                    # An empty page, a page of already-seen playlists (platforms that
                    # repeat the last page past the end) or the platform's own end.
                    break
        except UpstreamError as exc:
            log.warning("discovery %s/%s failed: %s", request.platform, request.kind, exc)
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))

    async def FetchPlaylist(
        self, request: collector_pb2.FetchPlaylistRequest, context: Context
    ) -> collector_pb2.FetchPlaylistResponse:
        platform = await self._platform(request.platform, context)
        if not request.remote_playlist_id.strip():
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "remote_playlist_id is required")
        kind = request.kind or common_pb2.PLAYLIST_SQUARE
        try:
            return await platform.fetch_playlist(
                request.remote_playlist_id.strip(), kind, request.track_limit
            )
        except PlaylistNotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"{request.platform}: {exc}")
        except UpstreamError as exc:
            log.warning("fetch %s/%s failed: %s", request.platform, request.remote_playlist_id, exc)
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
        raise AssertionError("unreachable")

    async def ParsePlaylistUrls(
        self, request: collector_pb2.ParsePlaylistUrlsRequest, context: Context
    ) -> collector_pb2.ParsePlaylistUrlsResponse:
        return await parse_playlist_text(request.text, self._client)


def registration(client: httpx.AsyncClient, settings: Settings) -> Registration:
    return Registration(
        collector_pb2_grpc.add_CollectorServiceServicer_to_server,
        CollectorServicer(client, settings),
        collector_pb2.DESCRIPTOR.services_by_name["CollectorService"].full_name,
    )

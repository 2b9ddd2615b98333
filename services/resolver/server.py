"""ResolverService: find the song on the download sources, confirm what the best serve, explain why."""

from __future__ import annotations

import json
import logging

import grpc
import httpx
from prometheus_client import Counter

from catalogsync.grpc_server import Registration
from catalogsync.grpc_types import Context
from catalogsync.http_client import UpstreamError
from catalogsync.v1 import resolver_pb2, resolver_pb2_grpc
from services.resolver import sources as source_registry
from services.resolver.accounts import check_accounts
from services.resolver.config import Settings
from services.resolver.politeness import Politeness
from services.resolver.resolution import PINNED_NONE, Resolution
from services.resolver.sources.base import DownloadSource, SourceTrack

log = logging.getLogger(__name__)
RESOLVES = Counter("catalogsync_resolves_total", "Resolve outcomes", ["outcome"])
DEFAULT_MAX_CANDIDATES = 5


class ResolverServicer(resolver_pb2_grpc.ResolverServiceServicer):
    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._settings = settings
        self._client = client
        self._politeness = Politeness(settings.source_limits)
        self._sources: dict[str, DownloadSource] = {
            name: source_registry.create(name, client, settings.accounts.get(name))
            for name in source_registry.SOURCES
        }

    async def Resolve(
        self, request: resolver_pb2.ResolveRequest, context: Context
    ) -> resolver_pb2.ResolveResponse:
        wanted = list(request.download_sources) or list(self._settings.default_sources)
        unknown = [s for s in wanted if s not in self._sources]
        if unknown:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"unknown download sources: {', '.join(unknown)}"
            )
        song = request.song
        if not song.name.strip():
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "song.name is required")
        pin = request.pin
        if pin.none:
            RESOLVES.labels(PINNED_NONE).inc()
            return resolver_pb2.ResolveResponse(
                failure_class=PINNED_NONE, reason="pinned: an operator chose never to download this song"
            )
        if (pin.source or pin.remote_id) and (pin.source not in self._sources or not pin.remote_id.strip()):
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "pin needs a known source and a remote_id (or none)"
            )
        resolution = Resolution(
            self._sources,
            self._client,
            self._politeness,
            timeout_s=self._settings.source_timeout_s,
            search_limit=self._settings.search_limit,
        )
        if pin.source:
            await resolution.pinned(pin, song)
        else:
            await resolution.search(wanted, song, enough=self._settings.enough_quality)
            await resolution.rank(request.max_candidates or DEFAULT_MAX_CANDIDATES)
        response = resolution.response
        RESOLVES.labels("found" if response.candidates else response.failure_class).inc()
        return response

    async def FetchLyrics(
        self, request: resolver_pb2.FetchLyricsRequest, context: Context
    ) -> resolver_pb2.FetchLyricsResponse:
        attempts: list[SourceTrack] = []
        if request.candidate.lyrics_ref:
            try:
                ref = json.loads(request.candidate.lyrics_ref)
                attempts.append(
                    SourceTrack(
                        source=ref["source"],
                        remote_id=ref["remote_id"],
                        title=ref.get("title", ""),
                        extra=ref.get("extra", {}),
                    )
                )
            except (ValueError, KeyError, TypeError):
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "candidate.lyrics_ref is not valid")
        song = request.song
        if song.platform in self._sources and song.remote_song_id:
            attempts.append(SourceTrack(source=song.platform, remote_id=song.remote_song_id, title=song.name))
        for track in attempts:
            if track.source not in self._sources:
                continue
            try:
                lrc = await self._sources[track.source].lyrics(track)
            except UpstreamError as exc:
                log.info("lyrics from %s failed: %s", track.source, exc)
                continue
            if lrc.strip():
                return resolver_pb2.FetchLyricsResponse(lrc=lrc, source=track.source)
        return resolver_pb2.FetchLyricsResponse()

    async def CheckAccounts(
        self, request: resolver_pb2.CheckAccountsRequest, context: Context
    ) -> resolver_pb2.CheckAccountsResponse:
        return await check_accounts(self._sources, self._settings.accounts)


def registration(client: httpx.AsyncClient, settings: Settings) -> Registration:
    return Registration(
        resolver_pb2_grpc.add_ResolverServiceServicer_to_server,
        ResolverServicer(client, settings),
        resolver_pb2.DESCRIPTOR.services_by_name["ResolverService"].full_name,
    )

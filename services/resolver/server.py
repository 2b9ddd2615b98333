"""ResolverService: search every requested source at once, score, rank, resolve media URLs."""

from __future__ import annotations

import asyncio
import json
import logging
import re

import grpc
import httpx
from prometheus_client import Counter

from catalogsync.grpc_server import Registration
from catalogsync.http_client import UpstreamError
from catalogsync.v1 import common_pb2, resolver_pb2, resolver_pb2_grpc
from services.resolver import sources as source_registry
from services.resolver.accounts import check_accounts
from services.resolver.config import Settings
from services.resolver.scoring import MIN_SCORE, Scored, best_quality, match_score, rank
from services.resolver.sources.base import DownloadSource, QualityOption, SourceTrack

log = logging.getLogger(__name__)
RESOLVES = Counter("catalogsync_resolves_total", "Resolve outcomes", ["outcome"])
DEFAULT_MAX_CANDIDATES = 5
FALLBACK_QUALITY = QualityOption("flac", "flac", 900)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def search_keyword(song: common_pb2.SongSnapshot) -> str:
    """``title first-artist``, without control characters, at most 120 characters."""
    title = _CONTROL.sub(" ", song.name).strip()
    artist = _CONTROL.sub(" ", song.artists[0].name).strip() if song.artists else ""
    return " ".join(f"{title} {artist}".split())[:120]


def to_candidate(
    scored: Scored, link_url: str, headers: dict[str, str], quality: QualityOption
) -> common_pb2.Candidate:
    track = scored.track
    return common_pb2.Candidate(
        source=track.source,
        remote_id=track.remote_id,
        title=track.title,
        artists=list(track.artists),
        album=track.album,
        duration_s=track.duration_s,
        match_score=scored.score,
        quality=quality.label,
        bitrate_kbps=quality.bitrate_kbps,
        size_bytes=quality.size_bytes,
        ext=quality.ext,
        media_url=link_url,
        headers=headers,
        cover_url=track.cover_url,
        lyrics_ref=json.dumps(
            {
                "source": track.source,
                "remote_id": track.remote_id,
                "title": track.title,
                "extra": track.extra,
            },
            ensure_ascii=False,
        ),
        source_rank=scored.source_rank,
    )


class ResolverServicer(resolver_pb2_grpc.ResolverServiceServicer):
    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._settings = settings
        self._sources: dict[str, DownloadSource] = {
            name: source_registry.create(name, client, settings.accounts.get(name))
            for name in source_registry.SOURCES
        }

    async def _search(self, name: str, keyword: str) -> tuple[list[SourceTrack], str]:
        try:
            async with asyncio.timeout(self._settings.source_timeout_s):
                return await self._sources[name].search(keyword, self._settings.search_limit), ""
        except TimeoutError:
            return [], f"search timed out after {self._settings.source_timeout_s:.0f}s"
        except UpstreamError as exc:
            return [], str(exc)

    async def Resolve(
        self, request: resolver_pb2.ResolveRequest, context: grpc.aio.ServicerContext
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
        keyword = search_keyword(song)
        artists = [a.name for a in song.artists]
        found = await asyncio.gather(*(self._search(name, keyword) for name in wanted))
        response = resolver_pb2.ResolveResponse()
        scored: list[Scored] = []
        outcomes: dict[str, resolver_pb2.SourceOutcome] = {}
        for rank_index, (name, (tracks, error)) in enumerate(zip(wanted, found, strict=True)):
            outcome = response.sources.add(source=name, error=error)
            outcomes[name] = outcome
            for track in tracks:
                score = match_score(song.name, artists, song.duration_s, track)
                if score >= MIN_SCORE:
                    scored.append(Scored(track, score, rank_index))
                    outcome.matches += 1
        limit = request.max_candidates or DEFAULT_MAX_CANDIDATES
        for item in rank(scored):
            if len(response.candidates) >= limit:
                break
            source = self._sources[item.track.source]
            try:
                link = await source.media(item.track, best_quality(item.track) or FALLBACK_QUALITY)
            except UpstreamError as exc:
                outcomes[item.track.source].error = str(exc)
                continue
            if link is None:
                continue
            response.candidates.append(to_candidate(item, link.url, link.headers, link.quality))
        if not response.candidates:
            if not scored:
                response.reason = f"no source lists a match for {keyword!r}"
            else:
                response.reason = (
                    "every matching source refused the full file (VIP only, trial only or no rights)"
                )
            failed = [f"{o.source}: {o.error}" for o in response.sources if o.error]
            if failed:
                response.reason += "; source errors: " + "; ".join(failed)
        RESOLVES.labels("found" if response.candidates else "none").inc()
        return response

    async def FetchLyrics(
        self, request: resolver_pb2.FetchLyricsRequest, context: grpc.aio.ServicerContext
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
        self, request: resolver_pb2.CheckAccountsRequest, context: grpc.aio.ServicerContext
    ) -> resolver_pb2.CheckAccountsResponse:
        return await check_accounts(self._sources, self._settings.accounts)


def registration(client: httpx.AsyncClient, settings: Settings) -> Registration:
    return Registration(
        resolver_pb2_grpc.add_ResolverServiceServicer_to_server,
        ResolverServicer(client, settings),
        resolver_pb2.DESCRIPTOR.services_by_name["ResolverService"].full_name,
    )

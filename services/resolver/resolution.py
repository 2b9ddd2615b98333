"""Resolving one song: search the sources, judge every result, confirm what the best serve, explain.

The answer lists the candidates (best first, with the quality really served), every
search result looked at (``considered``, ranked ones first, the rest with why they were
rejected), one outcome per source and, when nothing is offered, the failure class.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence

import httpx

from catalogsync.http_client import UpstreamError
from catalogsync.v1 import common_pb2, resolver_pb2
from services.resolver import ranking
from services.resolver.matching import Song, judge
from services.resolver.politeness import Politeness, SourceParked
from services.resolver.probe import probe
from services.resolver.ranking import Looked
from services.resolver.scoring import best_quality
from services.resolver.sources.base import DownloadSource, QualityOption, SourceTrack

FALLBACK_QUALITY = QualityOption("flac", "flac", 900)
NOT_FOUND, UNAVAILABLE, RATE_LIMITED = "not_found", "unavailable", "rate_limited"
UPSTREAM_ERROR, MISMATCH, PINNED_NONE = "upstream_error", "mismatch", "pinned_none"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def search_keyword(song: common_pb2.SongSnapshot) -> str:
    """``title first-artist``, without control characters, at most 120 characters."""
    title = _CONTROL.sub(" ", song.name).strip()
    artist = _CONTROL.sub(" ", song.artists[0].name).strip() if song.artists else ""
    return " ".join(f"{title} {artist}".split())[:120]


def wanted_song(song: common_pb2.SongSnapshot) -> Song:
    ids = tuple(a.remote_id for a in song.artists)
    return Song(song.name, tuple(a.name for a in song.artists), song.duration_s, ids if all(ids) else ())


def offered_song(track: SourceTrack, song: common_pb2.SongSnapshot) -> Song:
    """The track as matching sees it; artist ids count only on the song's own platform."""
    ids = track.artist_ids if track.source == song.platform else ()
    return Song(track.title, track.artists, track.duration_s, ids)


def to_candidate(item: Looked) -> common_pb2.Candidate:
    track = item.track
    assert item.link is not None and item.served is not None
    served = item.served.quality
    return common_pb2.Candidate(
        source=track.source,
        remote_id=track.remote_id,
        title=track.title,
        artists=list(track.artists),
        album=track.album,
        duration_s=track.duration_s,
        match_score=item.verdict.score,
        quality=served.label,
        bitrate_kbps=served.bitrate_kbps,
        size_bytes=served.size_bytes,
        ext=served.ext,
        media_url=item.link.url,
        headers=item.link.headers,
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
        source_rank=item.source_rank,
    )


class Resolution:
    """One Resolve call's work and its explanation."""

    def __init__(
        self,
        sources: dict[str, DownloadSource],
        client: httpx.AsyncClient,
        politeness: Politeness,
        *,
        timeout_s: float,
        search_limit: int,
    ) -> None:
        self._sources = sources
        self._client = client
        self._politeness = politeness
        self._timeout_s = timeout_s
        self._search_limit = search_limit
        self.response = resolver_pb2.ResolveResponse()
        self._outcomes: dict[str, resolver_pb2.SourceOutcome] = {}
        self._looked: list[Looked] = []

    # ---- searching -----------------------------------------------------------------------
    async def _search(self, name: str, keyword: str) -> list[SourceTrack]:
        outcome = self._outcomes[name]
        try:
            async with self._politeness.call(name), asyncio.timeout(self._timeout_s):
                return await self._sources[name].search(keyword, self._search_limit)
        except SourceParked as exc:
            outcome.error, outcome.failure_class = str(exc), RATE_LIMITED
        except TimeoutError:
            outcome.error = f"search timed out after {self._timeout_s:.0f}s"
            outcome.failure_class = UPSTREAM_ERROR
        except UpstreamError as exc:
            outcome.error = str(exc)
            outcome.failure_class = RATE_LIMITED if exc.status == 429 else UPSTREAM_ERROR
        return []

    async def search(self, names: Sequence[str], song: common_pb2.SongSnapshot, *, enough: int = 0) -> None:
        """Search ``names`` (the preference order) and judge every result.

        With ``enough`` (a quality rank), the first :data:`ranking.FIRST_WAVE` sources are
        searched first; when they already hold a confirmed exact match served at ``enough`` or
        better, the later sources are not searched: none of them could rank above it (see
        :func:`ranking.settles`). Only searched sources get an outcome."""
        keyword = search_keyword(song)
        wanted = wanted_song(song)
        waves = ranking.waves(names) if enough else [list(names)]
        searched = 0
        for wave in waves:
            for name in wave:
                self._outcomes[name] = self.response.sources.add(source=name)
            found = await asyncio.gather(*(self._search(name, keyword) for name in wave))
            for source_rank, (name, tracks) in enumerate(zip(wave, found, strict=True), start=searched):
                for track in tracks:
                    offered = offered_song(track, song)
                    item = Looked(track, source_rank, judge(wanted, offered))
                    item.rejected = item.verdict.reason if not item.verdict.accepted else ""
                    self._looked.append(item)
                    self._outcomes[name].matches += item.verdict.accepted
            searched += len(wave)
            if searched < len(names) and await self._settled(enough):
                return

    async def _settled(self, enough: int) -> bool:
        """Whether an exact match served at ``enough`` or better is confirmed (probing the likeliest)."""
        hopeful = sorted(
            (i for i in self._looked if ranking.may_settle(i, enough) and not i.rejected),
            key=Looked.probe_key,
        )
        batch = [i for i in hopeful if i.served is None][: ranking.PROBES_AT_ONCE]
        await asyncio.gather(*(self.confirm(item) for item in batch))
        return any(ranking.settles(i, enough) for i in self._looked)

    # ---- confirming what is served ----------------------------------------------------------
    async def confirm(self, item: Looked) -> bool:
        """Ask the source for the media URL and probe it; False (with ``rejected`` set) when unusable."""
        name = item.track.source
        source = self._sources[name]
        wanted = best_quality(item.track) or FALLBACK_QUALITY
        try:
            async with self._politeness.call(name), asyncio.timeout(self._timeout_s):
                item.link = await source.media(item.track, wanted)
            if item.link is None:
                item.rejected = "VIP only / trial / no rights (no full file for an anonymous client)"
                return False
            async with self._politeness.call(name), asyncio.timeout(self._timeout_s):
                item.served = await probe(
                    self._client, name, item.link.url, item.link.headers, item.link.quality
                )
        except SourceParked as exc:
            item.rejected = f"source parked ({exc.why})"
            self._failed(name, str(exc), RATE_LIMITED)
            return False
        except TimeoutError:
            item.rejected = f"media lookup timed out after {self._timeout_s:.0f}s"
            self._failed(name, item.rejected, UPSTREAM_ERROR)
            return False
        except UpstreamError as exc:
            item.rejected = f"media lookup failed: {exc}"
            self._failed(name, str(exc), RATE_LIMITED if exc.status == 429 else UPSTREAM_ERROR)
            return False
        return True

    def _failed(self, name: str, error: str, failure_class: str) -> None:
        outcome = self._outcomes[name]
        outcome.error = outcome.error or error
        outcome.failure_class = outcome.failure_class or failure_class

    async def rank(self, limit: int) -> None:
        """Confirm the eligible results best-first until the ranking is certain; offer the top ``limit``."""
        accepted = [i for i in self._looked if i.verdict.accepted]
        confirmed = [i for i in accepted if i.served is not None]  # while searching (see search)
        left = sorted((i for i in accepted if i.served is None and not i.rejected), key=Looked.probe_key)
        while left and not ranking.enough_probed(confirmed, left, limit):
            batch, left = left[: ranking.PROBES_AT_ONCE], left[ranking.PROBES_AT_ONCE :]
            served = await asyncio.gather(*(self.confirm(item) for item in batch))
            confirmed.extend(item for item, ok in zip(batch, served, strict=True) if ok)
        for item in left:
            item.rejected = "not probed: a better candidate was already confirmed"
        ordered = sorted(confirmed, key=Looked.rank_key)
        for item in ordered[limit:]:
            item.rejected = f"beyond the {limit} candidates asked for"
        self._offer(ordered[:limit])

    # ---- pins --------------------------------------------------------------------------------
    async def pinned(self, pin: resolver_pb2.Pin, song: common_pb2.SongSnapshot) -> None:
        """The operator's pinned candidate, whatever its score (searched for, else by bare id)."""
        await self.search([pin.source], song)
        item = next((i for i in self._looked if i.track.remote_id == pin.remote_id), None)
        if item is None:
            track = SourceTrack(
                pin.source, pin.remote_id, song.name, tuple(a.name for a in song.artists), duration_s=0
            )
            item = Looked(track, 0, judge(wanted_song(song), Song(track.title, track.artists)))
            self._looked.insert(0, item)
        for other in self._looked:
            other.rejected = "pinned elsewhere"
        item.pinned, item.rejected = True, ""
        if await self.confirm(item):
            self._offer([item])
            return
        self._explain([])
        self.response.failure_class = UNAVAILABLE
        self.response.reason = (
            f"the pinned candidate {pin.source}:{pin.remote_id} is not served: {item.rejected}"
        )

    # ---- offering and explaining -------------------------------------------------------------
    def _offer(self, offered: list[Looked]) -> None:
        """Answer with ``offered`` (best first) and explain every result looked at."""
        self.response.candidates.extend(to_candidate(item) for item in offered)
        self._explain(offered)

    def _explain(self, offered: list[Looked]) -> None:
        for rank, item in enumerate(offered, start=1):
            self.response.considered.append(ranking.considered(item, rank))
        rest = sorted((i for i in self._looked if i not in offered), key=Looked.review_key)
        self.response.considered.extend(ranking.considered(item, 0) for item in rest)
        for name, outcome in self._outcomes.items():
            if any(i.track.source == name for i in offered):
                outcome.failure_class = ""
            elif not outcome.failure_class:
                outcome.failure_class = self._source_failure(name)
        if not self.response.candidates and not self.response.failure_class:
            self.response.failure_class, self.response.reason = self._failure()

    def _source_failure(self, name: str) -> str:
        mine = [i for i in self._looked if i.track.source == name]
        if not mine:
            return NOT_FOUND
        accepted = [i for i in mine if i.verdict.accepted]
        if not accepted:
            return MISMATCH
        if any(i.link is None and i.rejected.startswith("VIP") for i in accepted):
            return UNAVAILABLE
        return ""

    def _failure(self) -> tuple[str, str]:
        failed = [o for o in self._outcomes.values() if o.failure_class in (RATE_LIMITED, UPSTREAM_ERROR)]
        errors = "; ".join(f"{o.source}: {o.error}" for o in failed)
        accepted = [i for i in self._looked if i.verdict.accepted]
        if accepted and not failed:
            return (
                UNAVAILABLE,
                "every matching source refused the full file (VIP only, trial only or no rights)",
            )
        if failed:
            if all(o.failure_class == RATE_LIMITED for o in failed):
                return RATE_LIMITED, f"sources are rate limiting or parked: {errors}"
            return UPSTREAM_ERROR, f"sources failed: {errors}"
        if self._looked:
            reasons = sorted({i.rejected for i in self._looked})
            return MISMATCH, "only other recordings were found: " + "; ".join(reasons[:5])
        return NOT_FOUND, "no source lists the song"

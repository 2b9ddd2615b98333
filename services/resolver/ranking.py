"""Ranking: confidence tier (exact > normalised) → quality really served → the operator's source order.

Search results are probed best-first by what they *advertise*, :data:`PROBES_AT_ONCE` at a
time; probing stops as soon as the best confirmed candidate cannot be beaten by anything left
(a result never serves more than it advertises), plus :data:`FALLBACKS` runner-up for the
downloader.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from catalogsync.v1 import resolver_pb2
from services.resolver.matching import EXACT, NORMALISED, Verdict
from services.resolver.probe import Served
from services.resolver.scoring import best_quality
from services.resolver.sources.base import QUALITY_RANK, MediaLink, SourceTrack

TIERS = {EXACT: 0, NORMALISED: 1}
FALLBACKS = 1  # confirmed runners-up kept after the best is certain
PROBES_AT_ONCE = 2  # results confirmed concurrently (the best and its likely runner-up)
FIRST_WAVE = 3  # sources searched first; the rest only when these hold no settling candidate
TOP_RANK = max(QUALITY_RANK.values())


@dataclass
class Looked:
    """One search result the resolver looked at, and what became of it."""

    track: SourceTrack
    source_rank: int  # position of its source in the request's preference order
    verdict: Verdict
    link: MediaLink | None = None
    served: Served | None = None
    rejected: str = ""
    pinned: bool = False

    @property
    def tier(self) -> int:
        return TIERS.get(self.verdict.kind, len(TIERS))

    @property
    def ceiling(self) -> int:
        """The best quality rank it may serve: what it advertises (anything, when it says nothing)."""
        advertised = best_quality(self.track)
        return advertised.rank if advertised else TOP_RANK

    @property
    def served_rank(self) -> int:
        return self.served.quality.rank if self.served else 0

    def probe_key(self) -> tuple[int, int, int, float]:
        return (self.tier, -self.ceiling, self.source_rank, -self.verdict.score)

    def rank_key(self) -> tuple[bool, int, int, int, float]:
        return (not self.pinned, self.tier, -self.served_rank, self.source_rank, -self.verdict.score)

    def review_key(self) -> tuple[int, float]:
        """The order of the results not offered, in the explanation: closest match first."""
        return (self.tier, -self.verdict.score)


def beats_everything_left(best: Looked, left: list[Looked]) -> bool:
    """Whether no unprobed result could rank above ``best`` whatever it turns out to serve."""
    for other in left:
        if other.tier < best.tier:
            return False
        if other.tier == best.tier and (other.ceiling, -other.source_rank) > (
            best.served_rank,
            -best.source_rank,
        ):
            return False
    return True


def enough_probed(confirmed: list[Looked], left: list[Looked], limit: int) -> bool:
    """Whether the best candidate is certain (nothing left can beat it) and has its runner-up.

    The number of candidates asked for never stops probing early: a candidate that may
    still serve better is always confirmed before the ranking is final."""
    if not left:
        return True
    best = min(confirmed, key=Looked.rank_key, default=None)
    return (
        best is not None and len(confirmed) >= min(limit, FALLBACKS + 1) and beats_everything_left(best, left)
    )


def waves(names: Sequence[str]) -> list[list[str]]:
    """The sources in the order they are searched: the first :data:`FIRST_WAVE`, then the rest."""
    return [list(names[:FIRST_WAVE]), list(names[FIRST_WAVE:])]


def may_settle(item: Looked, enough: int) -> bool:
    """An exact match that advertises ``enough`` or better (or nothing): worth probing early."""
    return item.verdict.accepted and item.tier == TIERS[EXACT] and item.ceiling >= enough


def settles(item: Looked, enough: int) -> bool:
    """A confirmed exact match served at ``enough`` or better. Sources searched later rank below it
    in the preference order, so only a better quality than ``enough`` there could beat it: with
    ``enough`` the best quality (hires) the answer is the one a full search gives; with the
    default (flac) a lossless file is not traded for a hires one a less preferred source has."""
    return may_settle(item, enough) and item.served is not None and item.served_rank >= enough


def considered(item: Looked, rank: int) -> resolver_pb2.ConsideredCandidate:
    track, verdict = item.track, item.verdict
    advertised = best_quality(track)
    served = item.served.quality if item.served else None
    return resolver_pb2.ConsideredCandidate(
        source=track.source,
        remote_id=track.remote_id,
        title=track.title,
        artists=list(track.artists),
        album=track.album,
        duration_s=track.duration_s,
        score=verdict.score,
        title_score=verdict.title_score,
        artist_score=verdict.artist_score,
        duration_score=verdict.duration_score,
        match=verdict.kind,
        advertised_quality=advertised.label if advertised else "",
        served_quality=served.label if served else "",
        served_bitrate_kbps=served.bitrate_kbps if served else 0,
        served_size_bytes=served.size_bytes if served else 0,
        rank=rank,
        rejected=item.rejected,
        pinned=item.pinned,
    )

"""How well a source's track matches the song we want, and how candidates are ranked.

Score (0..1) = 0.55 × title similarity + 0.30 × artist overlap + 0.15 × duration
agreement, minus a penalty for version markers the song's own title does not
have (伴奏, Live, Remix...). Ranking follows the seeds: confidence tier first,
then quality and size, then the operator's source order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from services.resolver.sources.base import QualityOption, SourceTrack

MIN_SCORE = 0.75
HIGH_SCORE = 0.9
VERSION_MARKERS = (
    "伴奏",
    "纯音乐",
    "instrumental",
    "inst",
    "karaoke",
    "live",
    "现场",
    "remix",
    "dj",
    "cover",
    "翻唱",
    "翻自",
    "acoustic",
    "钢琴版",
    "demo",
    "铃声",
    "片段",
    "speed up",
    "加速版",
    "降调",
)
_BRACKETS = re.compile(r"[(（\[【<《].*?[)）\]】>》]")
_FEAT = re.compile(r"\b(feat\.?|ft\.?|featuring)\b.*$", re.I)
_TAGS = re.compile(r"</?em>", re.I)


def fold(text: str) -> str:
    """NFKC, lower case, highlight tags removed."""
    return unicodedata.normalize("NFKC", _TAGS.sub("", text)).lower().strip()


def compact(text: str) -> str:
    """Letters and digits only: the key for exact-ish comparisons."""
    return "".join(ch for ch in fold(text) if ch.isalnum())


def _markers(text: str) -> set[str]:
    folded = fold(text)
    words = set(re.findall(r"[a-z]+", folded))
    return {m for m in VERSION_MARKERS if (m in words if m.isascii() and " " not in m else m in folded)}


def title_similarity(wanted: str, offered: str) -> float:
    full = fuzz.ratio(compact(wanted), compact(offered)) / 100
    core = fuzz.ratio(
        compact(_BRACKETS.sub("", _FEAT.sub("", fold(wanted)))), compact(_BRACKETS.sub("", fold(offered)))
    )
    return max(full, core / 100)


def artist_overlap(wanted: Sequence[str], offered: Sequence[str]) -> float:
    if not wanted:
        return 0.8
    if not offered:
        return 0.0
    offered_keys = [compact(a) for a in offered if compact(a)]
    joined = "".join(offered_keys)
    matched = 0.0
    for artist in wanted:
        key = compact(artist)
        if not key:
            continue
        if key in offered_keys or (len(key) >= 2 and key in joined):
            matched += 1
        else:
            matched += max((fuzz.ratio(key, o) / 100 for o in offered_keys), default=0.0) >= 0.85
    return matched / max(1, sum(1 for a in wanted if compact(a)))


def duration_agreement(wanted_s: int, offered_s: int) -> float:
    if wanted_s <= 0 or offered_s <= 0:
        return 0.7
    diff = abs(wanted_s - offered_s)
    if diff <= 3:
        return 1.0
    if diff <= 10:
        return 0.8
    if diff <= 30:
        return 0.5
    return 0.2


def match_score(title: str, artists: Sequence[str], duration_s: int, track: SourceTrack) -> float:
    score = (
        0.55 * title_similarity(title, track.title)
        + 0.30 * artist_overlap(artists, track.artists)
        + 0.15 * duration_agreement(duration_s, track.duration_s)
    )
    extra_markers = _markers(track.title) - _markers(title)
    score -= 0.3 * len(extra_markers)
    return round(max(0.0, min(1.0, score)), 4)


def best_quality(track: SourceTrack) -> QualityOption | None:
    return max(track.qualities, key=lambda q: (q.rank, q.size_bytes), default=None)


@dataclass(frozen=True)
class Scored:
    track: SourceTrack
    score: float
    source_rank: int

    def sort_key(self) -> tuple[int, int, int, int, float]:
        quality = best_quality(self.track)
        tier = 2 if self.score >= HIGH_SCORE else 1
        return (
            -tier,
            -(quality.rank if quality else 0),
            -(quality.size_bytes if quality else 0),
            self.source_rank,
            -self.score,
        )


def rank(candidates: list[Scored]) -> list[Scored]:
    """Confidence tier → quality → size → source order (→ exact score)."""
    return sorted(candidates, key=Scored.sort_key)

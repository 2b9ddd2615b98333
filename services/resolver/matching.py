"""Is a search result the same recording as the song we want?

A candidate is the same recording only when title, artists and duration all agree:

- title: the exact text first, then the normalised text (NFKC width folding,
  traditional → simplified Chinese, case, punctuation, "feat." clauses and bracketed
  suffixes without a version marker). A difference in letter case alone ("Hello World"
  vs "HELLO WORLD") or a version marker on one side only (Live, Remix, 伴奏...) makes a
  *different* song;
- artists: compared as lists of names (split on "/", "、", "&"...), and by id where both
  sides have ids;
- duration: within :data:`DURATION_TOLERANCE_S` seconds (unknown on either side = no verdict).

The verdict is one of ``exact`` / ``normalised`` (may be downloaded) or ``near`` /
``different`` (never offered; the reason says why).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from opencc_purepy import OpenCC
from rapidfuzz import fuzz

EXACT, NORMALISED, NEAR, DIFFERENT = "exact", "normalised", "near", "different"
ACCEPTED = frozenset({EXACT, NORMALISED})
DURATION_TOLERANCE_S = 5  # the same master differs by a second or two between platforms, rarely more
NEAR_TITLE = 0.85  # normalised-title similarity above which a differing title is "near"
REJECTED_CEILING = 0.7  # near/different scores never reach the download threshold
# Version markers: (label, pattern on the folded, simplified title).
VERSION_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern))
    for label, pattern in (
        ("live", r"\blive\b|现场|演唱会"),
        ("remix", r"\bremix\b|\bmix\b|混音"),
        ("dj", r"\bdj\b|dj版"),
        ("acoustic", r"\bacoustic\b|\bunplugged\b|不插电"),
        ("instrumental", r"伴奏|纯音乐|\binstrumental\b|\binst\b|\bkaraoke\b|\boff vocal\b"),
        ("cover", r"\bcover\b|翻唱|翻自"),
        ("demo", r"\bdemo\b"),
        ("speed", r"\b\d+(\.\d+)?x\b|speed ?up|sped ?up|slowed|加速|降速|降调|升调|倍速"),
        ("piano", r"钢琴版|\bpiano ver"),
        ("ringtone", r"铃声|片段"),
    )
)
_TAGS = re.compile(r"</?em>", re.I)
_BRACKETS = re.compile(r"[(（\[【<《][^()（）\[\]【】<>《》]*[)）\]】>》]")  # innermost first
_DASH_SUFFIX = re.compile(r"\s+[-–—]\s+.*$")
_FEAT = re.compile(r"[(（\[]?\s*\b(feat\.?|ft\.?|featuring)\s.*$", re.I)
_ARTIST_SPLIT = re.compile(r"\s*(?:/|、|&|,|，|;|；|\bfeat\.?|\bft\.?|\bx\b|\band\b|\s和\s)\s*", re.I)


@lru_cache(maxsize=1)
def _to_simplified() -> OpenCC:
    return OpenCC("t2s")


@lru_cache(maxsize=65536)
def simplify(text: str) -> str:
    """Highlight tags removed, NFKC width folding, traditional → simplified Chinese (case kept)."""
    return _to_simplified().convert(unicodedata.normalize("NFKC", _TAGS.sub("", text))).strip()


def _alnum(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def core_title(text: str) -> str:
    """The title without feat. clause, bracketed or dashed suffixes and punctuation (case kept)."""
    simple = simplify(text)
    stripped = _FEAT.sub("", simple)
    while _BRACKETS.search(stripped):
        stripped = _BRACKETS.sub("", stripped)
    core = _alnum(_DASH_SUFFIX.sub("", stripped))
    return core or _alnum(simple)


def markers(text: str) -> frozenset[str]:
    folded = simplify(text).casefold()
    return frozenset(label for label, pattern in VERSION_MARKERS if pattern.search(folded))


def split_artists(names: Sequence[str]) -> list[str]:
    """Artist names as comparable keys: one per artist, also when a source joins them."""
    keys: list[str] = []
    for name in names:
        for part in _ARTIST_SPLIT.split(simplify(name)):
            key = _alnum(part).casefold()
            if key and key not in keys:
                keys.append(key)
    return keys


@dataclass(frozen=True)
class Song:
    """What we want (or what a source offers): title, artists, duration, optional artist ids."""

    title: str
    artists: tuple[str, ...] = ()
    duration_s: int = 0
    artist_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    kind: str  # exact | normalised | near | different
    score: float  # 0..1; near/different stay at or below REJECTED_CEILING
    title_score: float
    artist_score: float
    duration_score: float
    reason: str = ""  # why it is near/different ("" when accepted)

    @property
    def accepted(self) -> bool:
        return self.kind in ACCEPTED


def _title(wanted: str, offered: str) -> tuple[str, float, str]:
    """(kind, score, reason) for the titles alone."""
    if _TAGS.sub("", wanted).strip() == _TAGS.sub("", offered).strip():
        return EXACT, 1.0, ""
    extra = sorted(markers(offered) ^ markers(wanted))
    core_w, core_o = core_title(wanted), core_title(offered)
    similarity = fuzz.ratio(core_w.casefold(), core_o.casefold()) / 100
    if extra:
        whole = fuzz.ratio(simplify(wanted).casefold(), simplify(offered).casefold()) / 100
        return DIFFERENT, whole, f"version marker: {', '.join(extra)}"
    if core_w == core_o:
        return NORMALISED, 0.95, ""
    if core_w.casefold() == core_o.casefold():
        return DIFFERENT, similarity, "case-only difference"
    if similarity >= NEAR_TITLE:
        return NEAR, similarity, f"title differs: {offered!r}"
    return DIFFERENT, similarity, f"title differs: {offered!r}"


def _artists(wanted: Song, offered: Song) -> tuple[str, float, str]:
    if wanted.artist_ids and offered.artist_ids:
        shared_ids = set(wanted.artist_ids) & set(offered.artist_ids)
        if shared_ids == set(wanted.artist_ids):
            return EXACT, 1.0, ""
        return (NEAR, 0.5, "artist mismatch (partial)") if shared_ids else (DIFFERENT, 0.0, "artist mismatch")
    if not wanted.artists:
        return NORMALISED, 0.8, ""
    if not offered.artists:
        return NEAR, 0.3, "artist unknown"
    if list(wanted.artists) == list(offered.artists):
        return EXACT, 1.0, ""
    want, have = split_artists(wanted.artists), split_artists(offered.artists)
    shared = [a for a in want if a in have]
    if want and (set(want) <= set(have) or set(have) <= set(want)) and shared and shared[0] == want[0]:
        return NORMALISED, 0.95, ""
    if shared:
        return NEAR, len(shared) / max(len(want), len(have)), "artist mismatch (partial)"
    return DIFFERENT, 0.0, "artist mismatch"


def _duration(wanted_s: int, offered_s: int) -> tuple[str, float, str]:
    if wanted_s <= 0 or offered_s <= 0:
        return NORMALISED, 0.7, ""
    gap = abs(wanted_s - offered_s)
    if gap <= DURATION_TOLERANCE_S:
        return EXACT, 1.0, ""
    return DIFFERENT, max(0.0, 1 - gap / 30), f"duration {offered_s}s vs {wanted_s}s"


_ORDER = (EXACT, NORMALISED, NEAR, DIFFERENT)


def judge(wanted: Song, offered: Song) -> Verdict:
    """The verdict for ``offered`` as a candidate recording of ``wanted``."""
    parts = (
        _title(wanted.title, offered.title),
        _artists(wanted, offered),
        _duration(wanted.duration_s, offered.duration_s),
    )
    kind = max((part[0] for part in parts), key=_ORDER.index)
    title_score, artist_score, duration_score = (part[1] for part in parts)
    score = 0.55 * title_score + 0.30 * artist_score + 0.15 * duration_score
    if kind not in ACCEPTED:
        score = min(score, REJECTED_CEILING)
    reason = "; ".join(part[2] for part in parts if part[2] and part[0] not in ACCEPTED)
    return Verdict(
        kind, round(score, 4), round(title_score, 4), round(artist_score, 4), round(duration_score, 4), reason
    )

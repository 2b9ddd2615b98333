"""Hard cases for resolution, on with ``--hard-cases`` / ``CATALOGSYNC_SANDBOX_HARD_CASES=1``.

What real platforms do to a resolver, generated deterministically from the seed:

- *case-only twins*: a work whose title is the previous work's title in capitals, by the
  same artists, on another album and 15 s longer ("Hello World" 180 s / "HELLO WORLD" 195 s);
- *same-title re-recordings*: the previous work's exact title and artists, 20 s apart;
- *version decoys* (live, remix, DJ, acoustic, 0.8x, 伴奏, instrumental) that last about
  as long as the original, are listed by more sources, and that every search ranks
  FIRST, ahead of the original (and the later twin ahead of the earlier one);
- *served downgrades*: a (source, track) that advertises 320k/FLAC in search and in
  its media-URL answer but whose media URL serves the 128k file.

Every media file carries the recording it is (see ``audio.recording_of``), the ground
truth a test or benchmark judges the stored bytes by.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.catalog import Track, Work

CASE_TWINS = 0.12  # share of works that are a case-only twin of the previous work
DURATION_TWINS = 0.12  # share of works that are a same-title re-recording of the previous work
DECOY_LISTED = 0.85  # chance that a source lists a given decoy (0.5 without hard cases)
DOWNGRADED = 0.25  # chance that a (source, track) serves 128k whatever it advertises
LIVE_STYLES = (
    "{} (Live)",
    "{} - Remix",
    "{}（DJ版）",
    "{} (Acoustic Version)",
    "{} (0.8x)",
    "{} [Live at Taipei]",
)
INSTRUMENTAL_STYLES = ("{} (伴奏)", "{} (Instrumental)", "{}（纯音乐）", "{} - 伴奏版")
DECOY_EXTRA_SECONDS = 2  # decoys are as long as the original, give or take


def _draw(seed: int, *parts: object) -> int:
    digest = hashlib.blake2b("|".join(map(str, (seed, "hard", *parts))).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _chance(probability: float, seed: int, *parts: object) -> bool:
    return _draw(seed, *parts) % 10_000 < probability * 10_000


def is_twin(seed: int, index: int) -> bool:
    return _draw(seed, "twin", index) % 10_000 < (CASE_TWINS + DURATION_TWINS) * 10_000


def twin(seed: int, work: Work, previous: Work) -> Work:
    """``work`` turned into a twin of ``previous`` (or left alone), by the seed. Twins come in
    pairs: a work whose previous work is itself a twin stays as it is."""
    roll = _draw(seed, "twin", work.index) % 10_000
    if is_twin(seed, previous.index):
        return work
    if roll < CASE_TWINS * 10_000 and previous.title.upper() != previous.title:
        return replace(
            work,
            title=previous.title.upper(),
            artists=previous.artists,
            duration_s=previous.duration_s + 15,
        )
    if roll < (CASE_TWINS + DURATION_TWINS) * 10_000:
        return replace(
            work, title=previous.title, artists=previous.artists, duration_s=previous.duration_s + 20
        )
    return work


def live_title(seed: int, work: Work) -> str:
    return LIVE_STYLES[_draw(seed, "live", work.index) % len(LIVE_STYLES)].format(work.title)


def instrumental_title(seed: int, work: Work) -> str:
    return INSTRUMENTAL_STYLES[_draw(seed, "inst", work.index) % len(INSTRUMENTAL_STYLES)].format(work.title)


def decoy_listed(seed: int, source: str, key: int) -> bool:
    return _chance(DECOY_LISTED, seed, "decoy", source, key)


def downgraded(seed: int, source: str, key: int) -> bool:
    """Whether the source's media URLs for this track serve the 128k file whatever they say."""
    return _chance(DOWNGRADED, seed, "downgrade", source, key)


def search_order(tracks: list[Track], other_artists: Collection[int]) -> list[Track]:
    """Works by the searched artist first (as before); within them decoys (any variant but the
    original) before originals and later twins before earlier ones."""
    return sorted(
        tracks, key=lambda track: (track.work.index in other_artists, track.variant == 0, -track.work.index)
    )

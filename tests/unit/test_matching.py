"""Matching: the same recording only when title, artists and duration agree."""

from __future__ import annotations

import pytest

from catalogsync.v1 import common_pb2
from services.resolver.matching import REJECTED_CEILING, Song, judge, markers, split_artists
from services.resolver.resolution import offered_song, wanted_song
from services.resolver.sources.base import SourceTrack

WANTED = Song("Hello World", ("Lin Yizhou",), 180)

CASES = [
    # (offered, expected kind, expected words in the reason)
    (Song("Hello World", ("Lin Yizhou",), 180), "exact", ""),
    (Song("Hello World", ("Lin Yizhou",), 182), "exact", ""),
    (Song("Hello World", ("Lin Yizhou",), 185), "exact", ""),
    (Song("Hello World", ("Lin Yizhou",), 187), "different", "duration 187s vs 180s"),
    (Song("<em>Hello</em> World", ("Lin Yizhou",), 180), "exact", ""),
    (Song("Ｈｅｌｌｏ　Ｗｏｒｌｄ", ("Lin Yizhou",), 180), "normalised", ""),
    (Song("Hello, World!", ("Lin Yizhou",), 180), "normalised", ""),
    (Song("Hello World (feat. Mira Chen)", ("Lin Yizhou", "Mira Chen"), 180), "normalised", ""),
    (Song("Hello World (电影《海风》插曲)", ("Lin Yizhou",), 180), "normalised", ""),
    (Song("Hello World", ("Lin Yizhou / Mira Chen",), 180), "normalised", ""),
    (Song("Hello World", ("Lin Yizhou",), 0), "normalised", ""),
    (Song("HELLO WORLD", ("Lin Yizhou",), 195), "different", "case-only difference"),
    (Song("hello world", ("Lin Yizhou",), 180), "different", "case-only difference"),
    (Song("Hello World (Live)", ("Lin Yizhou",), 181), "different", "version marker: live"),
    (Song("Hello World [Live at Taipei]", ("Lin Yizhou",), 181), "different", "version marker: live"),
    (Song("Hello World - Remix", ("Lin Yizhou",), 181), "different", "version marker: remix"),
    (Song("Hello World（DJ版）", ("Lin Yizhou",), 181), "different", "version marker: dj"),
    (Song("Hello World (Acoustic Version)", ("Lin Yizhou",), 181), "different", "version marker: acoustic"),
    (Song("Hello World (伴奏)", ("Lin Yizhou",), 180), "different", "version marker: instrumental"),
    (Song("Hello World (Instrumental)", ("Lin Yizhou",), 180), "different", "version marker: instrumental"),
    (Song("Hello World (0.8x)", ("Lin Yizhou",), 180), "different", "version marker: speed"),
    (Song("Hello World (Cover)", ("Lin Yizhou",), 180), "different", "version marker: cover"),
    (Song("Hello World", ("Ada Hale",), 180), "different", "artist mismatch"),
    (Song("Hello World", ("Lin Yizhou",), 195), "different", "duration 195s vs 180s"),
    (Song("Hello World", ("Lin Yizhou",), 165), "different", "duration 165s vs 180s"),
    (Song("Hello Worlds", ("Lin Yizhou",), 180), "near", "title differs"),
    (Song("Goodbye Moon", ("Lin Yizhou",), 180), "different", "title differs"),
]


@pytest.mark.parametrize(
    ("offered", "kind", "reason"), CASES, ids=[c[0].title + str(c[0].duration_s) for c in CASES]
)
def test_verdicts(offered: Song, kind: str, reason: str) -> None:
    verdict = judge(WANTED, offered)
    assert verdict.kind == kind, verdict
    assert reason in verdict.reason
    assert verdict.accepted == (kind in ("exact", "normalised"))
    if not verdict.accepted:
        assert verdict.score <= REJECTED_CEILING


@pytest.mark.parametrize(
    ("wanted", "offered", "kind"),
    [
        (Song("後來", ("劉若英",), 300), Song("后来", ("刘若英",), 300), "normalised"),
        (Song("后来", ("刘若英",), 300), Song("後來", ("劉若英",), 301), "normalised"),
        (
            Song("晴空下的约定", ("林一舟", "Mira Chen"), 200),
            Song("晴空下的约定", ("林一舟",), 200),
            "normalised",
        ),
        (Song("晴空下的约定", ("林一舟",), 200), Song("晴空下的约定 (伴奏)", ("林一舟",), 200), "different"),
        (
            Song("晴空下的约定", ("林一舟",), 200),
            Song("晴空下的约定（现场版）", ("林一舟",), 200),
            "different",
        ),
        (Song("Live Forever", ("Oasis",), 276), Song("Live Forever", ("Oasis",), 276), "exact"),
        (Song("Live Forever (Live)", ("Oasis",), 290), Song("Live Forever (Live)", ("Oasis",), 290), "exact"),
    ],
)
def test_chinese_and_markers_on_both_sides(wanted: Song, offered: Song, kind: str) -> None:
    assert judge(wanted, offered).kind == kind


def test_an_exact_match_scores_above_any_normalised_one() -> None:
    exact = judge(WANTED, Song("Hello World", ("Lin Yizhou",), 180))
    normalised = judge(WANTED, Song("Hello World (feat. X)", ("Lin Yizhou", "X"), 180))
    assert exact.score > normalised.score


def test_artist_ids_decide_when_both_sides_have_them() -> None:
    wanted = Song("Hello World", ("Lin Yizhou",), 180, artist_ids=("a1",))
    assert judge(wanted, Song("Hello World", ("林一舟",), 180, artist_ids=("a1",))).accepted
    other = judge(wanted, Song("Hello World", ("Lin Yizhou",), 180, artist_ids=("a2",)))
    assert other.kind == "different" and "artist mismatch" in other.reason


def test_helpers() -> None:
    assert markers("Song (Live) - Remix") == {"live", "remix"}
    assert markers("Song") == frozenset()
    assert split_artists(["林一舟/Mira Chen", "Ada & Bo"]) == ["林一舟", "mirachen", "ada", "bo"]


def test_artist_ids_count_only_on_the_songs_own_platform() -> None:
    song = common_pb2.SongSnapshot(
        platform="netease",
        name="Hello World",
        duration_s=180,
        artists=[common_pb2.ArtistRef(remote_id="7", name="Lin")],
    )
    same_platform = SourceTrack("netease", "1", "Hello World", ("Lin",), duration_s=180, artist_ids=("8",))
    elsewhere = SourceTrack("kuwo", "1", "Hello World", ("Lin",), duration_s=180, artist_ids=("8",))
    assert judge(wanted_song(song), offered_song(same_platform, song)).reason == "artist mismatch"
    assert judge(wanted_song(song), offered_song(elsewhere, song)).kind == "exact"

"""Ranking: confidence tier, then the quality really served, then source order; probing stops early."""

from __future__ import annotations

from services.resolver.matching import Song, judge
from services.resolver.probe import Served
from services.resolver.ranking import Looked, enough_probed
from services.resolver.sources.base import QualityOption, SourceTrack

WANTED = Song("Hello World", ("Lin",), 180)
FLAC = QualityOption("flac", "flac", 900, 9_000_000)
MP3_320 = QualityOption("320k", "mp3", 320, 7_000_000)
MP3_128 = QualityOption("128k", "mp3", 128, 3_000_000)


def looked(
    source_rank: int, title: str, advertised: tuple[QualityOption, ...], served: QualityOption | None
) -> Looked:
    track = SourceTrack(
        "kuwo", f"id{source_rank}{title}", title, ("Lin",), duration_s=180, qualities=advertised
    )
    item = Looked(track, source_rank, judge(WANTED, Song(track.title, track.artists, track.duration_s)))
    item.served = Served(served) if served else None
    return item


def test_exact_outranks_normalised_whatever_its_quality() -> None:
    exact = looked(3, "Hello World", (MP3_128,), MP3_128)
    normalised = looked(0, "Hello World (feat. X)", (FLAC,), FLAC)
    assert normalised.verdict.kind == "normalised"
    assert sorted([normalised, exact], key=Looked.rank_key) == [exact, normalised]


def test_served_quality_not_advertised_decides_then_source_order() -> None:
    liar = looked(0, "Hello World", (MP3_128, FLAC), MP3_128)
    honest = looked(1, "Hello World", (MP3_128, MP3_320), MP3_320)
    also_honest = looked(2, "Hello World", (MP3_320,), MP3_320)
    assert sorted([liar, also_honest, honest], key=Looked.rank_key) == [honest, also_honest, liar]


def test_probing_stops_once_nothing_left_can_win() -> None:
    best = looked(0, "Hello World", (FLAC,), FLAC)
    runner_up = looked(1, "Hello World", (FLAC,), MP3_320)
    left = [looked(2, "Hello World", (FLAC,), None), looked(3, "Hello World (feat. X)", (FLAC,), None)]
    assert not enough_probed([best], left, limit=5)  # one runner-up is kept for the downloader
    assert enough_probed([best, runner_up], left, limit=5)
    better_left = [looked(0, "Hello World", (FLAC,), None)]
    weak = looked(1, "Hello World", (FLAC,), MP3_128)
    assert not enough_probed([weak, runner_up], better_left, limit=5)
    assert not enough_probed([weak, runner_up], better_left, limit=2)  # the limit never stops a better one
    assert enough_probed([best], left, limit=1)

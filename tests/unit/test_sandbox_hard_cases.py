"""The sandbox's hard cases: deterministic twins, decoys ranked first, served downgrades, ground truth in the bytes."""

from __future__ import annotations

from sandbox import audio
from sandbox.catalog import ORIGINAL, VARIANTS, Catalog, CatalogConfig

HARD = Catalog(CatalogConfig(hard_cases=True, tracks=20))
PLAIN = Catalog(CatalogConfig(tracks=20))


def test_off_by_default_and_deterministic() -> None:
    assert not PLAIN.config.hard_cases
    again = Catalog(CatalogConfig(hard_cases=True, tracks=20))
    assert [HARD.work(w) for w in range(HARD.work_count)] == [again.work(w) for w in range(again.work_count)]
    assert not any(PLAIN.downgraded(s, k) for s in ("qq", "kuwo") for k in range(0, 400, 4))


def test_twins_come_in_pairs_of_both_kinds() -> None:
    pairs = [
        (HARD.work(w - 1), HARD.work(w))
        for w in range(1, HARD.work_count)
        if HARD.work(w).title.casefold() == HARD.work(w - 1).title.casefold()
        and HARD.work(w).artists == HARD.work(w - 1).artists
    ]
    case_only = [(a, b) for a, b in pairs if a.title != b.title]
    same_title = [(a, b) for a, b in pairs if a.title == b.title]
    assert case_only and same_title
    assert all(b.title == a.title.upper() and b.duration_s == a.duration_s + 15 for a, b in case_only)
    assert all(b.duration_s == a.duration_s + 20 for a, b in same_title)
    later = {b.index for _, b in pairs}
    assert not any(a.index in later for a, _ in pairs), "a twin of a twin"


def test_decoys_are_listed_before_the_original() -> None:
    checked = 0
    for w in range(30, 60):
        work = HARD.work(w)
        found, _ = HARD.search("kuwo", f"{work.title} {work.artists[0]}", 0, 30)
        mine = [t for t in found if t.work.index == w]
        if any(t.variant != ORIGINAL for t in mine) and any(t.variant == ORIGINAL for t in mine):
            assert mine[-1].variant == ORIGINAL
            assert all(abs(t.duration_s - work.duration_s) <= 2 for t in mine)
            checked += 1
    assert checked > 10


def test_a_downgraded_file_serves_128k_bytes_of_the_same_recording() -> None:
    source, key = next(
        (s, k)
        for k in range(0, HARD.work_count * VARIANTS, VARIANTS)
        for s in ("kuwo", "migu")
        if HARD.listed(s, k) and HARD.downgraded(s, k) and HARD.quality(s, k, "320k")
    )
    served = HARD.media(source, key, "320k")
    assert served == HARD.media(source, key, "128k")
    assert len(served) < HARD.quality(source, key, "320k").size
    assert audio.recording_of(served) == key
    assert audio.recording_of(HARD.trial(source, key)) == key

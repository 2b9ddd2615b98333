"""The stale ``.part`` sweep: only old temporaries of the downloader, only under the roots, no links followed."""

from __future__ import annotations

import os
import time
from pathlib import Path

from services.downloader.janitor import Janitor

OLD = time.time() - 3600


def make(path: Path, age_from: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"partial")
    if age_from is not None:
        os.utime(path, (age_from, age_from))
    return path


def test_the_sweep_removes_only_stale_part_files_under_the_roots(tmp_path: Path) -> None:
    root, outside = tmp_path / "library", tmp_path / "elsewhere"
    stale = make(root / "qq" / "Artist" / ".Song.mp3.0123456789ab.part", OLD)
    stale_deep = make(root / "kuwo" / "A" / "B" / ".x.flac.ba9876543210.part", OLD)
    fresh = make(root / "qq" / "Artist" / ".Live.mp3.aaaaaaaaaaaa.part")
    finished = make(root / "qq" / "Artist" / "Song.mp3", OLD)
    users_own = make(root / "notes.part", OLD)  # not named like the downloader's temporaries
    outside_stale = make(outside / ".Other.mp3.0123456789ab.part", OLD)
    (root / "link").symlink_to(outside, target_is_directory=True)
    (root / "qq" / ".Linked.mp3.0123456789ab.part").symlink_to(outside_stale)

    janitor = Janitor([root], max_age_s=600)
    assert janitor.sweep() == 2

    assert not stale.exists() and not stale_deep.exists()
    assert fresh.exists() and finished.exists() and users_own.exists()
    assert outside_stale.exists(), "links are not followed out of the library"
    assert (root / "qq" / ".Linked.mp3.0123456789ab.part").is_symlink()


def test_roots_named_by_requests_are_swept_too(tmp_path: Path) -> None:
    second = tmp_path / "disk2"
    stale = make(second / "qq" / ".Song.mp3.0123456789ab.part", OLD)
    janitor = Janitor([], max_age_s=600)
    janitor.watch("relative/path")  # ignored: not absolute
    assert janitor.sweep() == 0 and stale.exists()
    janitor.watch(str(second))
    assert janitor.sweep() == 1 and not stale.exists()
    assert janitor.interval_s == 300

"""StatFiles looks only below the library root: traversal, absolute paths and symlinks out are refused."""

from __future__ import annotations

from pathlib import Path

from services.downloader.stat_files import MAX_PATHS, stat_files


def test_existing_missing_and_escaping_paths(tmp_path: Path) -> None:
    root = tmp_path / "library"
    (root / "qq" / "Ann").mkdir(parents=True)
    (root / "qq" / "Ann" / "Song.mp3").write_bytes(b"12345")
    (tmp_path / "secret.txt").write_text("no")
    (root / "qq" / "out").symlink_to(tmp_path / "secret.txt")
    answer = stat_files(
        root,
        [
            "qq/Ann/Song.mp3",
            "qq/Ann/Gone.mp3",
            "../secret.txt",
            str(tmp_path / "secret.txt"),
            "qq/out",
            "qq",
            "a\x00b",
        ],
    )
    assert answer.error == ""
    seen = [(f.relative_path, f.exists, f.size_bytes, f.error) for f in answer.files]
    assert seen == [
        ("qq/Ann/Song.mp3", True, 5, ""),
        ("qq/Ann/Gone.mp3", False, 0, ""),
        ("../secret.txt", False, 0, "outside the library root"),
        (str(tmp_path / "secret.txt"), False, 0, "must be a relative path"),
        ("qq/out", False, 0, "outside the library root"),
        ("qq", False, 0, "not a regular file"),
        ("a\x00b", False, 0, "must be a relative path"),
    ]


def test_too_many_paths_are_refused_as_a_whole(tmp_path: Path) -> None:
    answer = stat_files(tmp_path, ["a"] * (MAX_PATHS + 1))
    assert answer.error == f"at most {MAX_PATHS} paths per call" and not answer.files

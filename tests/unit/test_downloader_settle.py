"""Settling a finished download onto its layout path: twins aiming at one path never overwrite each other."""

from __future__ import annotations

import threading
from pathlib import Path, PurePosixPath

import pytest

from catalogsync.hashing import sha256_file
from sandbox import audio
from services.downloader import download, files
from services.downloader.download import Plan, settle, store
from services.downloader.tags import TagValues


def _plan(root: Path) -> Plan:
    return Plan(
        root=root,
        ext="mp3",
        primary=PurePosixPath("qq/Artist/Hello World.mp3"),
        alternate=PurePosixPath("qq/Artist/Hello World [qq-2].mp3"),
        tags=TagValues(title="Hello World", artists=("Artist",), album=""),
        cover_url="",
    )


def _part(root: Path, name: str, data: bytes) -> tuple[Path, str]:
    part = root / "qq" / "Artist" / f".{name}.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(data)
    return part, sha256_file(part)[1]


def _settle_at_once(
    barrier: threading.Barrier, results: dict[str, PurePosixPath], key: str, part: Path, sha: str, root: Path
) -> None:
    barrier.wait()
    results[key] = settle(_plan(root), part, sha)[0]


def test_two_recordings_settling_at_once_both_survive(tmp_path: Path) -> None:
    for round_ in range(20):
        root = tmp_path / str(round_)
        first, first_sha = _part(root, "a", b"first recording" * 1000)
        second, second_sha = _part(root, "b", b"second recording" * 1000)
        results: dict[str, PurePosixPath] = {}
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=_settle_at_once, args=(barrier, results, "a", first, first_sha, root)),
            threading.Thread(target=_settle_at_once, args=(barrier, results, "b", second, second_sha, root)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results["a"] != results["b"]
        assert sha256_file(root / results["a"])[1] == first_sha
        assert sha256_file(root / results["b"])[1] == second_sha
        assert not first.exists() and not second.exists()


def test_the_same_bytes_again_reuse_the_file(tmp_path: Path) -> None:
    part, sha = _part(tmp_path, "a", b"x" * 100)
    relative, reused = settle(_plan(tmp_path), part, sha)
    again, sha_again = _part(tmp_path, "b", b"x" * 100)
    assert settle(_plan(tmp_path), again, sha_again) == (relative, True)
    assert not reused


def test_the_file_and_its_lyrics_are_stored_with_one_fsync_of_their_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    real = files.fsync_dir

    def counted(path: Path) -> None:
        synced.append(path)
        real(path)

    monkeypatch.setattr(files, "fsync_dir", counted)
    monkeypatch.setattr(download, "fsync_dir", counted)
    mp3 = audio.mp3_stream(b"store", 128, audio.mp3_size(128, 20_000))
    part, sha = _part(tmp_path, "a", mp3)

    stored = store(_plan(tmp_path), part, sha, "[00:01.00]la la la", False)

    assert (stored.relative, stored.reused, stored.lyrics) == (_plan(tmp_path).primary, False, (True, True))
    assert stored.facts is not None and stored.facts.codec == "mp3"
    audio_path = tmp_path / stored.relative
    assert audio_path.read_bytes() == mp3
    assert audio_path.with_suffix(".lrc").read_text(encoding="utf-8").startswith("[00:01.00]la la la")
    assert synced == [audio_path.parent]  # both renames, one fsync of their folder

    synced.clear()
    again, sha_again = _part(tmp_path, "b", mp3)
    stored = store(_plan(tmp_path), again, sha_again, "[00:01.00]la la la", False)
    assert (stored.reused, stored.lyrics, synced) == (True, (False, True), [])  # nothing new in the folder

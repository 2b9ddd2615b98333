"""The lyrics backfill's disk side: which file a request may name, and when the sidecar is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogsync.library_roots import LibraryRoots
from catalogsync.v1 import downloader_pb2
from services.downloader.lyrics_backfill import BadLyricsTarget, audio_path, write_sidecar

LRC = "[00:00.00]Song - Ann\n[00:12.00]first line\n"


def _request(
    root: Path, relative: str, lrc: str = "", overwrite: bool = False
) -> downloader_pb2.WriteLyricsRequest:
    return downloader_pb2.WriteLyricsRequest(
        library_root=str(root), relative_path=relative, lyrics_lrc=lrc, overwrite_lyrics=overwrite
    )


@pytest.mark.parametrize("relative", ["../outside.mp3", "/etc/passwd.mp3", "qq/a/../../x.mp3", "qq/song", ""])
def test_a_path_outside_the_root_or_without_an_extension_is_refused(tmp_path: Path, relative: str) -> None:
    with pytest.raises(BadLyricsTarget):
        audio_path(LibraryRoots((tmp_path,)), _request(tmp_path, relative))


def test_a_root_outside_the_library_roots_is_refused(tmp_path: Path) -> None:
    library, elsewhere = tmp_path / "library", tmp_path / "elsewhere"
    library.mkdir()
    elsewhere.mkdir()
    with pytest.raises(BadLyricsTarget, match="outside"):
        audio_path(LibraryRoots((library,)), _request(elsewhere, "qq/Ann/Song.mp3"))


def test_the_sidecar_is_written_when_missing_kept_unless_overwrite_and_never_for_no_lyrics(
    tmp_path: Path,
) -> None:
    audio = tmp_path / "qq" / "Ann" / "Song.mp3"
    audio.parent.mkdir(parents=True)
    audio.write_bytes(b"ID3")
    roots = LibraryRoots((tmp_path,))
    sidecar = audio.with_suffix(".lrc")

    looked = write_sidecar(
        audio_path(roots, _request(tmp_path, "qq/Ann/Song.mp3")), _request(tmp_path, "qq/Ann/Song.mp3")
    )
    assert looked.audio_present and not looked.lyrics_present and not looked.written and not sidecar.exists()

    first = write_sidecar(audio, _request(tmp_path, "qq/Ann/Song.mp3", LRC))
    assert first.written and first.lyrics_relative_path == "qq/Ann/Song.lrc"
    assert sidecar.read_text(encoding="utf-8") == LRC

    sidecar.write_text("mine\n", encoding="utf-8")
    kept = write_sidecar(audio, _request(tmp_path, "qq/Ann/Song.mp3", LRC))
    assert kept.lyrics_present and not kept.written and sidecar.read_text(encoding="utf-8") == "mine\n"
    replaced = write_sidecar(audio, _request(tmp_path, "qq/Ann/Song.mp3", LRC, overwrite=True))
    assert replaced.written and sidecar.read_text(encoding="utf-8") == LRC

    instrumental = write_sidecar(
        audio, _request(tmp_path, "qq/Ann/Song.mp3", "[00:00.00]纯音乐，请欣赏", True)
    )
    assert instrumental.no_lyrics and not instrumental.written and sidecar.read_text(encoding="utf-8") == LRC


def test_a_missing_audio_file_gets_no_sidecar(tmp_path: Path) -> None:
    gone = tmp_path / "qq" / "Gone.mp3"
    answer = write_sidecar(gone, _request(tmp_path, "qq/Gone.mp3", LRC))
    assert not answer.audio_present and not answer.written and not gone.with_suffix(".lrc").exists()

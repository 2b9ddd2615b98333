"""Tags written by the downloader, read back with mutagen, on real MP3/FLAC streams from sandbox.audio."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest
from mutagen.flac import FLAC
from mutagen.id3 import ID3
from mutagen.mp4 import MP4, MP4Cover

from sandbox import audio
from services.downloader.cover import Cover, sniff_mime
from services.downloader.tags import TagValues, try_write_tags, write_tags

COVER = Cover(audio.png_cover(b"album"), "image/png")
VALUES = TagValues("晴空下的约定", ("林一舟", "Mira Chen"), "海风来信", COVER)


def _mp3(tmp_path: Path, name: str = "song.mp3") -> tuple[Path, bytes]:
    data = audio.mp3_stream(b"tags-mp3", 128, audio.mp3_size(128, 40_000))
    path = tmp_path / name
    path.write_bytes(data)
    return path, data


def _flac(tmp_path: Path) -> tuple[Path, bytes]:
    data = audio.flac_stream(b"tags-flac", audio.flac_size(60_000))
    path = tmp_path / "song.flac"
    path.write_bytes(data)
    return path, data


def _atom(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _m4a(tmp_path: Path) -> Path:
    """The smallest MP4 mutagen accepts: ftyp, moov with an mvhd (1000 units/s, 3 s), mdat."""
    mvhd = bytes(4) + struct.pack(">IIII", 0, 0, 1000, 3000) + bytes(80)
    data = (
        _atom(b"ftyp", b"M4A " + bytes(4) + b"M4A isom")
        + _atom(b"moov", _atom(b"mvhd", mvhd))
        + _atom(b"mdat", b"\x00" * 256)
    )
    path = tmp_path / "song.m4a"
    path.write_bytes(data)
    return path


def test_mp3_gets_id3v24_with_all_artists_and_cover(tmp_path: Path) -> None:
    path, original = _mp3(tmp_path)
    write_tags(path, "mp3", VALUES)
    tags = ID3(path)
    assert tags.version == (2, 4, 0)
    assert tags["TIT2"].text == ["晴空下的约定"]
    assert tags["TPE1"].text == ["林一舟", "Mira Chen"]
    assert tags["TALB"].text == ["海风来信"]
    (picture,) = tags.getall("APIC")
    assert picture.data == COVER.data
    assert picture.mime == "image/png"
    assert picture.type == 3
    assert path.read_bytes()[tags.size :] == original  # the audio frames are untouched


def test_tagging_is_deterministic(tmp_path: Path) -> None:
    first, _ = _mp3(tmp_path, "a.mp3")
    second, _ = _mp3(tmp_path, "b.mp3")
    write_tags(first, "mp3", VALUES)
    write_tags(second, "mp3", VALUES)
    assert hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()


def test_retagging_replaces_instead_of_appending(tmp_path: Path) -> None:
    path, _ = _mp3(tmp_path)
    write_tags(path, "mp3", VALUES)
    write_tags(path, "mp3", TagValues("New", ("Solo",), "", COVER))
    tags = ID3(path)
    assert tags["TIT2"].text == ["New"]
    assert tags["TPE1"].text == ["Solo"]
    assert tags["TALB"].text == ["海风来信"]
    assert len(tags.getall("APIC")) == 1


def test_flac_gets_vorbis_comments_and_a_picture(tmp_path: Path) -> None:
    path, original = _flac(tmp_path)
    frames, padding = audio.flac_layout(len(original))
    write_tags(path, "flac", VALUES)
    tagged = FLAC(path)
    assert tagged["title"] == ["晴空下的约定"]
    assert tagged["artist"] == ["林一舟", "Mira Chen"]
    assert tagged["album"] == ["海风来信"]
    (picture,) = tagged.pictures
    assert picture.data == COVER.data
    assert picture.type == 3
    assert tagged.info.total_samples == frames * audio.FLAC_BLOCK
    assert path.read_bytes().endswith(original[audio.FLAC_HEADER_BYTES + padding :])


def test_m4a_gets_mp4_atoms(tmp_path: Path) -> None:
    path = _m4a(tmp_path)
    write_tags(path, "m4a", VALUES)
    tagged = MP4(path)
    assert tagged.tags is not None
    assert tagged.tags["\xa9nam"] == ["晴空下的约定"]
    assert tagged.tags["\xa9ART"] == ["林一舟", "Mira Chen"]
    assert tagged.tags["\xa9alb"] == ["海风来信"]
    (cover,) = tagged.tags["covr"]
    assert bytes(cover) == COVER.data
    assert cover.imageformat == MP4Cover.FORMAT_PNG


def test_a_file_that_refuses_tags_is_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "broken.flac"
    data = b"fLaC" + b"\x7f" * 500
    path.write_bytes(data)
    assert try_write_tags(path, "flac", VALUES) is False
    assert path.read_bytes() == data


def test_unknown_extension_is_an_error() -> None:
    with pytest.raises(ValueError, match="no tag writer"):
        write_tags(Path("/nonexistent.ogg"), "ogg", VALUES)


@pytest.mark.parametrize(
    ("data", "declared", "mime"),
    [
        (audio.png_cover(b"x"), "application/octet-stream", "image/png"),
        (b"\xff\xd8\xff\xe0" + bytes(8), "image/png", "image/jpeg"),
        (b"GIF89a", "image/gif", "image/gif"),
    ],
)
def test_cover_type_is_sniffed(data: bytes, declared: str, mime: str) -> None:
    assert sniff_mime(data, declared) == mime

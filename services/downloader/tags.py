"""Title, artists, album and cover written with mutagen: ID3v2.4 (mp3), Vorbis comments (flac), MP4 atoms (m4a)."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3, TALB, TIT2, TPE1, ID3NoHeaderError, MakeID3v1, ParseID3v1
from mutagen.mp4 import MP4, MP4Cover

from services.downloader.cover import Cover

log = logging.getLogger(__name__)
TAGGABLE = ("mp3", "flac", "m4a")
FRONT_COVER = 3  # picture type "Cover (front)" in ID3 and FLAC
_MP4_COVER_FORMATS = {"image/jpeg": MP4Cover.FORMAT_JPEG, "image/png": MP4Cover.FORMAT_PNG}


@dataclass(frozen=True)
class TagValues:
    title: str
    artists: tuple[str, ...]
    album: str
    cover: Cover | None = None


def _write_id3(path: Path | BinaryIO, values: TagValues) -> None:
    try:
        tags = ID3(path)
    except ID3NoHeaderError:
        tags = ID3()
    _rewind(path)
    if values.title:
        tags.setall("TIT2", [TIT2(encoding=3, text=[values.title])])
    if values.artists:
        tags.setall("TPE1", [TPE1(encoding=3, text=list(values.artists))])
    if values.album:
        tags.setall("TALB", [TALB(encoding=3, text=[values.album])])
    if values.cover is not None:
        picture = APIC(
            encoding=3, mime=values.cover.mime, type=FRONT_COVER, desc="Cover", data=values.cover.data
        )
        tags.setall("APIC", [picture])
    # A head alone has no ID3v1 tag at its end (TaggedStream updates the file's own).
    tags.save(path, v2_version=4, v1=1 if isinstance(path, Path) else 0)


def _write_flac(path: Path | BinaryIO, values: TagValues) -> None:
    audio = FLAC(path)
    _rewind(path)
    if values.title:
        audio["title"] = [values.title]
    if values.artists:
        audio["artist"] = list(values.artists)
    if values.album:
        audio["album"] = [values.album]
    if values.cover is not None:
        picture = Picture()
        picture.type = FRONT_COVER
        picture.mime = values.cover.mime
        picture.desc = "Cover"
        picture.data = values.cover.data
        audio.clear_pictures()
        audio.add_picture(picture)
    audio.save(path)


def _rewind(target: Path | BinaryIO) -> None:
    if not isinstance(target, Path):
        target.seek(0)


def _write_mp4(path: Path, values: TagValues) -> None:
    audio = MP4(path)
    if audio.tags is None:
        audio.add_tags()
    assert audio.tags is not None
    if values.title:
        audio.tags["\xa9nam"] = [values.title]
    if values.artists:
        audio.tags["\xa9ART"] = list(values.artists)
    if values.album:
        audio.tags["\xa9alb"] = [values.album]
    if values.cover is not None and values.cover.mime in _MP4_COVER_FORMATS:
        audio.tags["covr"] = [MP4Cover(values.cover.data, imageformat=_MP4_COVER_FORMATS[values.cover.mime])]
    audio.save()


_WRITERS = {"mp3": _write_id3, "flac": _write_flac, "m4a": _write_mp4}
_HEAD_WRITERS = {"mp3": _write_id3, "flac": _write_flac}


def write_tags(path: Path, ext: str, values: TagValues) -> None:
    """Write the tags in place; raises (mutagen or OS errors) when the file will not take them."""
    writer = _WRITERS.get(ext)
    if writer is None:
        raise ValueError(f"no tag writer for .{ext}")
    writer(path, values)


def try_write_tags(path: Path, ext: str, values: TagValues) -> bool:
    """:func:`write_tags`, but a failure only means no tags (logged, never raised)."""
    try:
        write_tags(path, ext, values)
    except Exception as exc:
        log.warning("tags not written to %s: %s: %s", path.name, type(exc).__name__, exc)
        return False
    return True


def tagged_head(ext: str, head: bytes, values: TagValues) -> bytes | None:
    """The head of a file (its ID3v2 tag or FLAC metadata blocks, see tagstream) with the tags
    written, or None when it will not take them (logged, never raised)."""
    buffer = io.BytesIO(head)
    try:
        _HEAD_WRITERS[ext](buffer, values)
    except Exception as exc:
        log.warning(
            "tags not written (.%s head of %d bytes): %s: %s", ext, len(head), type(exc).__name__, exc
        )
        return None
    return buffer.getvalue()


def updated_id3v1(new_head: bytes, old: bytes) -> bytes:
    """An MP3's ID3v1 tag brought in line with its new ID3v2 head (as mutagen does in place)."""
    try:
        tags = ID3(io.BytesIO(new_head))
    except ID3NoHeaderError:
        return old
    frames = ParseID3v1(old) or {}
    for key, frame in frames.items():
        if key not in tags:
            tags.add(frame)
    return bytes(MakeID3v1(tags))

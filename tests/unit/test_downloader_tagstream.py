"""Tags written into the media stream: the file as written is tagged, whole, and hashed exactly."""

from __future__ import annotations

import asyncio
import hashlib
import io

import pytest
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TIT2, TPE1, ParseID3v1

from sandbox import audio
from services.downloader.tags import TagValues, tagged_head, updated_id3v1
from services.downloader.tagstream import NEED_MORE, NOT_IN_HEAD, Retagger, TaggedStream, head_length

VALUES = TagValues("晴空下的约定", ("林一舟", "Mira Chen"), "海风来信")
MP3 = audio.mp3_stream(b"tagstream", 128, audio.mp3_size(128, 200_000), audio.recording_marker(7))
FLAC_BYTES = audio.flac_stream(b"tagstream", audio.flac_size(300_000), audio.recording_marker(8))


def _id3(title: str) -> bytes:
    tags = ID3()
    tags.add(TIT2(encoding=3, text=[title]))
    tags.add(TPE1(encoding=3, text=["Old Artist"]))
    out = io.BytesIO()
    tags.save(out, v2_version=4, v1=0)
    return out.getvalue()


def _retagger(ext: str, values: TagValues = VALUES) -> Retagger:
    async def head(original: bytes) -> bytes | None:
        return tagged_head(ext, original, values)

    return Retagger(head, updated_id3v1)


def _stream(data: bytes, ext: str, retagger: Retagger | None, chunk: int) -> tuple[bytes, TaggedStream]:
    out = io.BytesIO()
    stream = TaggedStream(out, ext, retagger)

    async def run() -> None:
        for start in range(0, len(data), chunk):
            await stream.write(data[start : start + chunk])
        stream.finish()

    asyncio.run(run())
    return out.getvalue(), stream


@pytest.mark.parametrize("chunk", [7, 4096, 1 << 20], ids=["tiny-chunks", "small-chunks", "one-chunk"])
@pytest.mark.parametrize("ext", ["mp3", "flac"])
def test_the_file_written_is_tagged_whole_and_its_hash_is_of_its_bytes(ext: str, chunk: int) -> None:
    original = MP3 if ext == "mp3" else FLAC_BYTES
    written, stream = _stream(original, ext, _retagger(ext), chunk)

    assert stream.tagged is True
    assert stream.digest.hexdigest() == hashlib.sha256(written).hexdigest()
    assert stream.size == len(written)
    if ext == "mp3":
        tags = ID3(io.BytesIO(written))
        assert (tags["TIT2"].text, tags["TPE1"].text) == ([VALUES.title], list(VALUES.artists))
        assert written.endswith(original)  # the audio is untouched after the new tag
    else:
        flac = FLAC(io.BytesIO(written))
        assert (flac["title"], flac["artist"], flac["album"]) == (
            [VALUES.title],
            list(VALUES.artists),
            [VALUES.album],
        )
        frames = original[head_length("flac", original) :]
        assert written.endswith(frames)
    assert audio.recording_of(written) == audio.recording_of(original)


def test_an_existing_id3_tag_is_replaced_and_the_id3v1_tail_follows_it() -> None:
    old_v1 = b"TAG" + b"Old Title".ljust(30, b"\0") + b"Old Artist".ljust(30, b"\0") + bytes(30) + b"1999"
    old_v1 += bytes(125 - len(old_v1)) + bytes([0, 0, 255])
    original = _id3("Old Title") + MP3 + old_v1

    latin = TagValues("New Title", ("New Artist",), "New Album")

    written, stream = _stream(original, "mp3", _retagger("mp3", latin), 1000)

    tags = ID3(io.BytesIO(written))
    assert tags["TIT2"].text == ["New Title"]
    assert len(tags.getall("TIT2")) == 1
    assert written[-128 - len(MP3) : -128] == MP3
    tail = ParseID3v1(written[-128:])
    assert tail is not None
    assert (str(tail["TIT2"]), str(tail["TPE1"]), str(tail["TALB"])) == (
        "New Title",
        "New Artist",
        "New Album",
    )
    assert str(tail["TDRC"]) == "1999"  # what the ID3v1 tag alone said is kept
    assert stream.digest.hexdigest() == hashlib.sha256(written).hexdigest()


def test_streams_whose_tags_are_not_in_the_head_are_written_as_received() -> None:
    m4a = b"\0\0\0\x20ftypM4A " + bytes(1000)
    written, stream = _stream(m4a, "m4a", _retagger("mp3"), 100)
    assert (written, stream.tagged) == (m4a, None)

    untagged, plain = _stream(MP3, "mp3", None, 4096)
    assert (untagged, plain.tagged) == (MP3, None)
    assert plain.digest.hexdigest() == hashlib.sha256(MP3).hexdigest()


def test_a_stream_shorter_than_its_head_is_written_as_received() -> None:
    cut = _id3("Old Title")[:50]
    written, stream = _stream(cut, "mp3", _retagger("mp3"), 16)
    assert (written, stream.tagged) == (cut, None)


def test_a_head_that_will_not_take_tags_keeps_the_original() -> None:
    async def refuse(original: bytes) -> bytes | None:
        return None

    written, stream = _stream(MP3, "mp3", Retagger(refuse, updated_id3v1), 4096)
    assert (written, stream.tagged) == (MP3, False)


def test_head_length() -> None:
    assert head_length("mp3", b"") == NEED_MORE
    assert head_length("mp3", b"\xff\xfb\x90") == 0
    assert head_length("mp3", _id3("x")[:20]) == NEED_MORE
    assert head_length("mp3", _id3("x") + MP3) == len(_id3("x"))
    assert head_length("flac", FLAC_BYTES[:10]) == NEED_MORE
    assert head_length("flac", b"ID3\x04") == NOT_IN_HEAD
    assert head_length("m4a", b"anything") == NOT_IN_HEAD


@pytest.mark.parametrize("ext", ["mp3", "flac"])
def test_both_digests_are_kept_and_only_a_retagged_stream_is_hashed_twice(ext: str) -> None:
    original = MP3 if ext == "mp3" else FLAC_BYTES
    written, tagged = _stream(original, ext, _retagger(ext), 4096)
    assert tagged.media_digest.hexdigest() == hashlib.sha256(original).hexdigest()
    assert tagged.digest.hexdigest() == hashlib.sha256(written).hexdigest() != tagged.media_digest.hexdigest()

    async def refuse(original: bytes) -> bytes | None:
        return None

    for retagger in (None, Retagger(refuse, updated_id3v1)):
        same, plain = _stream(original, ext, retagger, 4096)
        assert same == original
        assert plain.digest is plain.media_digest  # the file is the media: one pass hashes both
        assert plain.digest.hexdigest() == hashlib.sha256(original).hexdigest()

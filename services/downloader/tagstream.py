"""Tags written into the media stream on its way to disk, so the file is written and hashed once.

A tagged MP3 is ``[ID3v2 tag] audio [ID3v1 tag]`` and a tagged FLAC ``fLaC [metadata blocks]
frames``: tagging only changes the *head* (and an MP3's last 128 bytes). :class:`TaggedStream`
holds the first bytes back until the head is complete, asks for the tagged head (mutagen on
those few bytes, once the cover has arrived), writes it and then the audio as it streams,
hashing what it receives and what it writes. The sha256 of the file on disk is known when the
last byte is written; nothing is read back. Only a retagged stream is hashed twice: otherwise the
file is the media as received, and one digest is both. Formats whose tags cannot live in the head (MP4 atoms, a FLAC
behind an ID3 tag) are written untouched and tagged afterwards in place (``tagged`` stays None).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import BinaryIO

NEED_MORE = -2  # head_length: the head is not complete in these bytes yet
NOT_IN_HEAD = -1  # head_length: this stream's tags cannot be written in its head
MAX_HEAD_BYTES = 16 * 1024 * 1024  # an embedded cover can be large; beyond this, tag in place
ID3V1_BYTES = 128


def _syncsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def _mp3_head(data: bytes) -> int:
    if not data.startswith(b"ID3"):
        return NEED_MORE if b"ID3".startswith(data) else 0
    if len(data) < 10:
        return NEED_MORE
    length = 10 + _syncsafe(data[6:10]) + (10 if data[5] & 0x10 else 0)
    if length > MAX_HEAD_BYTES:
        return NOT_IN_HEAD
    return length if len(data) >= length else NEED_MORE


def _flac_head(data: bytes) -> int:
    if len(data) < 4:
        return NEED_MORE if b"fLaC".startswith(data) else NOT_IN_HEAD
    if not data.startswith(b"fLaC"):
        return NOT_IN_HEAD
    position = 4
    while True:
        if position + 4 > len(data):
            return NEED_MORE
        last = data[position] & 0x80
        position += 4 + int.from_bytes(data[position + 1 : position + 4], "big")
        if position > MAX_HEAD_BYTES:
            return NOT_IN_HEAD
        if last:
            return position if len(data) >= position else NEED_MORE


def head_length(ext: str, data: bytes) -> int:
    """Bytes of the stream's tag head found at the start of ``data``, :data:`NEED_MORE` or :data:`NOT_IN_HEAD`."""
    if ext == "mp3":
        return _mp3_head(data)
    if ext == "flac":
        return _flac_head(data)
    return NOT_IN_HEAD


class Retagger:
    """What :class:`TaggedStream` asks: the tagged head for the original one (None when tagging
    failed: the original is kept), and an MP3's ID3v1 tail brought in line with it."""

    def __init__(
        self, head: Callable[[bytes], Awaitable[bytes | None]], tail: Callable[[bytes, bytes], bytes]
    ) -> None:
        self.head = head
        self.tail = tail


class TaggedStream:
    """Write a media stream to ``out`` with its head retagged, hashing the bytes received
    (:attr:`media_digest`) and the bytes written (:attr:`digest`)."""

    def __init__(self, out: BinaryIO, ext: str, retagger: Retagger | None) -> None:
        self._out = out
        self._ext = ext
        self._retagger = retagger
        self._pending: bytearray | None = bytearray() if retagger is not None else None
        self._held = bytearray()  # an MP3's last bytes: maybe an ID3v1 tag to update
        self._hold = ID3V1_BYTES if ext == "mp3" and retagger is not None else 0
        self._new_head = b""
        self.media_digest = hashlib.sha256()
        self._file_digest: hashlib._Hash | None = None  # only once the head is retagged
        self.size = 0
        self.tagged: bool | None = None  # None: the tags were not written in the stream

    @property
    def digest(self) -> hashlib._Hash:
        """The sha256 of the bytes written (those received, unless the head was retagged)."""
        return self._file_digest or self.media_digest

    async def write(self, chunk: bytes) -> None:
        self.media_digest.update(chunk)
        if self._pending is None:
            self._emit(chunk)
            return
        self._pending += chunk
        length = head_length(self._ext, bytes(self._pending))
        if length == NEED_MORE:
            return
        pending, self._pending = self._pending, None
        if length == NOT_IN_HEAD or self._retagger is None:
            self._hold = 0
            self._emit(pending)
            return
        new_head = await self._retagger.head(bytes(pending[:length]))
        self.tagged = new_head is not None
        if new_head is None:
            self._hold = 0
        else:  # nothing is written yet: the file's own digest starts at its new head
            self._file_digest = hashlib.sha256()
        self._new_head = new_head or b""
        self._emit(new_head if new_head is not None else pending[:length])
        self._emit(pending[length:])

    def finish(self) -> None:
        """Write what is still held back (a stream shorter than its head is written as received)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._hold = 0
            self._emit(pending)
        held = bytes(self._held)
        if (
            self._retagger is not None
            and self.tagged
            and len(held) == ID3V1_BYTES
            and held.startswith(b"TAG")
        ):
            held = self._retagger.tail(self._new_head, held)
        self._held.clear()
        self._write(held)

    def _emit(self, data: bytes | bytearray) -> None:
        if not self._hold:
            self._write(data)
            return
        self._held += data
        if len(self._held) > self._hold:
            cut = len(self._held) - self._hold
            self._write(self._held[:cut])
            del self._held[:cut]

    def _write(self, data: bytes | bytearray) -> None:
        if data:
            self._out.write(data)
            if self._file_digest is not None:
                self._file_digest.update(data)
            self.size += len(data)

"""Real media bytes for the sandbox: valid MP3 and FLAC streams of an exact size, and PNG covers.

The streams carry deterministic noise derived from a seed, so every track has
its own bytes (and sha256) while staying small and cheap to produce. Tags can
be written into them with mutagen like into any real file.

Every stream also carries the sandbox recording it is (``CSREC:<track key>;`` at
the start of each frame's payload): ground truth that survives tagging, so a
test or benchmark can tell from the bytes on disk which recording was stored.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from functools import lru_cache

# MPEG-1 Layer III at 48 kHz: frame length = 144 * bitrate / 48000, no padding needed.
MP3_BITRATE_INDEX = {128: 0b1001, 192: 0b1011, 256: 0b1101, 320: 0b1110}
MP3_SIDE_INFO_BYTES = 32  # stereo
FLAC_BLOCK = 1152
FLAC_HEADER_BYTES = 4 + 4 + 34 + 4  # "fLaC", STREAMINFO header+body, PADDING header
_RECORDING = re.compile(rb"CSREC:(\d{1,12});")


def recording_marker(key: int) -> bytes:
    """The identity a stream of sandbox recording ``key`` carries in its audio payload."""
    return b"CSREC:%d;" % key


def recording_of(data: bytes) -> int | None:
    """The sandbox recording (track key) whose audio these bytes are, or None."""
    found = _RECORDING.search(data)
    return int(found.group(1)) if found else None


def mp3_frame_bytes(bitrate_kbps: int) -> int:
    return 144 * bitrate_kbps * 1000 // 48000


def _noise(seed: bytes, length: int) -> bytes:
    """Deterministic pseudo-random bytes (SHAKE-256 of the seed)."""
    return hashlib.shake_256(seed).digest(length)


def mp3_size(bitrate_kbps: int, approx_bytes: int) -> int:
    """The exact size of the MP3 stream :func:`mp3_stream` makes for ``approx_bytes``."""
    frame = mp3_frame_bytes(bitrate_kbps)
    return max(1, approx_bytes // frame) * frame


def mp3_stream(seed: bytes, bitrate_kbps: int, size: int, marker: bytes = b"") -> bytes:
    """A valid MPEG-1 Layer III stream of exactly ``size`` bytes (a multiple of the frame size).

    ``marker`` (see :func:`recording_marker`) starts every frame's payload.
    """
    frame = mp3_frame_bytes(bitrate_kbps)
    if size % frame or size <= 0:
        raise ValueError(f"size {size} is not a positive multiple of the {frame}-byte frame")
    header = bytes([0xFF, 0xFB, (MP3_BITRATE_INDEX[bitrate_kbps] << 4) | (0b01 << 2), 0x00])
    payload = frame - len(header) - MP3_SIDE_INFO_BYTES
    count = size // frame
    noise = _noise(seed, payload * count)
    side_info = bytes(MP3_SIDE_INFO_BYTES)
    parts = []
    for i in range(count):
        ancillary = noise[i * payload + len(marker) : (i + 1) * payload].replace(b"\xff", b"\x7f")
        parts.append(header + side_info + marker + ancillary)
    return b"".join(parts)


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


@lru_cache(maxsize=1)
def _crc16_table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        crc = i << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return tuple(table)


def _utf8_number(value: int) -> bytes:
    """FLAC's UTF-8-like coding of frame numbers."""
    if value < 0x80:
        return bytes([value])
    for length, first_mask in ((2, 0xC0), (3, 0xE0), (4, 0xF0), (5, 0xF8), (6, 0xFC)):
        if value < 1 << (5 * length + 1):
            out = []
            for _ in range(length - 1):
                out.append(0x80 | (value & 0x3F))
                value >>= 6
            out.append(first_mask | value)
            return bytes(reversed(out))
    raise ValueError("frame number too large")


# Frame numbers below each bound take this many bytes in FLAC's UTF-8-like coding.
_UTF8_BANDS = ((0x80, 1), (1 << 11, 2), (1 << 16, 3), (1 << 21, 4), (1 << 26, 5), (1 << 31, 6))
_FLAC_FRAME_FIXED = 4 + 1 + 1 + FLAC_BLOCK + 2


def _flac_frames_bytes(frames: int) -> int:
    """Bytes of frames 0 .. ``frames``-1, in closed form (no walk over the frames)."""
    total, start = frames * _FLAC_FRAME_FIXED, 0
    for bound, length in _UTF8_BANDS:
        total += max(0, min(frames, bound) - start) * length
        start = bound
    return total


def flac_layout(approx_bytes: int) -> tuple[int, int]:
    """(frames, padding) so that the stream is exactly ``approx_bytes`` long (min one frame)."""
    low, high = 0, max(1, approx_bytes // _FLAC_FRAME_FIXED + 1)  # the most frames that fit is below high
    while low < high:
        middle = (low + high + 1) // 2
        if FLAC_HEADER_BYTES + _flac_frames_bytes(middle) <= approx_bytes:
            low = middle
        else:
            high = middle - 1
    frames = max(1, low)
    return frames, max(0, approx_bytes - FLAC_HEADER_BYTES - _flac_frames_bytes(frames))


def flac_size(approx_bytes: int) -> int:
    """Cheap enough for every search result: the layout is computed, not walked frame by frame."""
    frames, padding = flac_layout(approx_bytes)
    return FLAC_HEADER_BYTES + padding + _flac_frames_bytes(frames)


def _crc16_of_zeros_basis(length: int) -> tuple[int, ...]:
    """CRC-16 after ``length`` zero bytes starting from each single-bit state (CRC is linear)."""
    table = _crc16_table()
    basis = []
    for bit in range(16):
        crc = 1 << bit
        for _ in range(length):
            crc = ((crc << 8) & 0xFFFF) ^ table[crc >> 8]
        basis.append(crc)
    return tuple(basis)


def _crc16_continue(state: int, basis: tuple[int, ...], body_crc: int) -> int:
    """CRC-16 of ``prefix + body`` from the state after ``prefix`` and the CRC of ``body`` alone."""
    shifted = 0
    for bit in range(16):
        if state >> bit & 1:
            shifted ^= basis[bit]
    return shifted ^ body_crc


def _crc16_state(data: bytes, state: int = 0) -> int:
    table = _crc16_table()
    for byte in data:
        state = ((state << 8) & 0xFFFF) ^ table[(state >> 8) ^ byte]
    return state


def flac_stream(seed: bytes, size: int, marker: bytes = b"") -> bytes:
    """A valid FLAC stream (44.1 kHz, mono, 8 bit, verbatim subframes) of exactly ``size`` bytes.

    Every frame carries the same block of seeded noise, so the frame CRCs can be
    computed from the header alone (CRC-16 is linear) and large files stay cheap.
    ``marker`` (see :func:`recording_marker`) starts every frame's samples.
    """
    frames, padding = flac_layout(size)
    total_samples = frames * FLAC_BLOCK
    info = struct.pack(">HH", FLAC_BLOCK, FLAC_BLOCK) + b"\x00\x00\x00" * 2
    # sample rate (20 bits) | channels-1 (3) | bits-1 (5) | total samples (36)
    packed = (44100 << 44) | (0 << 41) | (7 << 36) | total_samples
    info += packed.to_bytes(8, "big") + bytes(16)
    out = bytearray(b"fLaC")
    out += bytes([0x00]) + len(info).to_bytes(3, "big") + info
    out += bytes([0x80 | 0x01]) + padding.to_bytes(3, "big") + bytes(padding)
    body = b"\x02" + marker + _noise(seed, FLAC_BLOCK - len(marker))
    body_crc = _crc16_state(body)
    basis = _crc16_of_zeros_basis(len(body))
    for number in range(frames):
        header = bytes([0xFF, 0xF8, 0x39, 0x02]) + _utf8_number(number)
        header += bytes([_crc8(header)])
        crc = _crc16_continue(_crc16_state(header), basis, body_crc)
        out += header + body + crc.to_bytes(2, "big")
    if len(out) != size:
        raise AssertionError(f"flac stream is {len(out)} bytes, expected {size}")
    return bytes(out)


def png_cover(seed: bytes, side: int = 16) -> bytes:
    """A small solid-colour PNG (the album cover)."""
    r, g, b = _noise(seed, 3)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes([r, g, b]) * side for _ in range(side))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )

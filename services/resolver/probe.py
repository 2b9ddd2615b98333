"""What a media URL really serves: a ranged GET of its first bytes, read with mutagen.

Search results advertise qualities the anonymous media URL often does not serve
(QQ lists 320k/FLAC sizes and serves 128k; a source may answer "320k" and send a
128k file). The probe reads the total size from ``Content-Range`` and the codec,
bitrate and sample rate from the MP3 frame header (Xing/Info when present) or the
FLAC STREAMINFO block of the first :data:`PROBE_BYTES` bytes.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import httpx
import mutagen
from mutagen import MutagenError
from mutagen.flac import FLAC
from mutagen.mp3 import MP3

from catalogsync.http_client import UpstreamError
from services.resolver.sources.base import QualityOption

PROBE_BYTES = 64 * 1024
_TOTAL = re.compile(r"/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Served:
    quality: QualityOption  # label, ext, bitrate and total size of the file really served
    sample_rate: int = 0
    parsed: bool = True  # False: the bytes could not be read; quality is what the source said


def mp3_label(bitrate_kbps: int) -> str:
    if bitrate_kbps >= 300:
        return "320k"
    if bitrate_kbps >= 190:
        return "192k"
    return "128k"


def _total_size(response: httpx.Response, received: int) -> int:
    found = _TOTAL.search(response.headers.get("content-range", ""))
    if found:
        return int(found.group(1))
    length = response.headers.get("content-length", "")
    return int(length) if length.isdigit() else received


def read_quality(head: bytes, total_size: int) -> tuple[QualityOption, int] | None:
    """(quality, sample rate) from the first bytes of a file of ``total_size`` bytes, or None."""
    try:
        found = mutagen.File(io.BytesIO(head))
    except (MutagenError, ValueError, EOFError, IndexError):
        return None
    if isinstance(found, FLAC):
        info = found.info
        seconds = info.total_samples / info.sample_rate if info.sample_rate else 0
        kbps = round(total_size * 8 / seconds / 1000) if seconds else 0
        label = "hires" if info.sample_rate > 48_000 or info.bits_per_sample > 16 else "flac"
        return QualityOption(label, "flac", kbps, total_size), info.sample_rate
    if isinstance(found, MP3) and found.info is not None:
        kbps = round(found.info.bitrate / 1000)
        return QualityOption(mp3_label(kbps), "mp3", kbps, total_size), found.info.sample_rate
    return None


async def probe(
    client: httpx.AsyncClient, source: str, url: str, headers: dict[str, str], stated: QualityOption
) -> Served:
    """What ``url`` serves. Raises UpstreamError when the URL does not answer with media."""
    ranged = {**headers, "Range": f"bytes=0-{PROBE_BYTES - 1}"}
    try:
        async with client.stream("GET", url, headers=ranged) as response:
            if response.status_code >= 400:
                raise UpstreamError(
                    source, url, f"probe: HTTP {response.status_code}", status=response.status_code
                )
            head = bytearray()
            async for chunk in response.aiter_bytes():
                head += chunk
                if len(head) >= PROBE_BYTES:
                    break
            total = _total_size(response, len(head))
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise UpstreamError(source, url, f"probe: {type(exc).__name__}") from exc
    read = read_quality(bytes(head[:PROBE_BYTES]), total)
    if read is None:
        return Served(QualityOption(stated.label, stated.ext, stated.bitrate_kbps, total), parsed=False)
    quality, sample_rate = read
    return Served(quality, sample_rate)

"""The album cover for tags, fetched best effort: image/* only, at most 5 MB."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

log = logging.getLogger(__name__)
MAX_COVER_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Cover:
    data: bytes
    mime: str  # "image/jpeg", "image/png"...


def sniff_mime(data: bytes, declared: str) -> str:
    """The image type from its magic bytes, else the declared type."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return declared


async def fetch_cover(client: httpx.AsyncClient, url: str, max_bytes: int = MAX_COVER_BYTES) -> Cover | None:
    """The cover at ``url``, or None on any problem (failures only mean no cover)."""
    if not url.startswith(("http://", "https://")):
        return None
    try:
        async with client.stream("GET", url, headers={"Accept": "image/*"}) as response:
            declared = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if response.status_code != 200 or not declared.startswith("image/"):
                log.info("no cover: HTTP %d, %r (%s)", response.status_code, declared, url)
                return None
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > max_bytes:
                    log.info("no cover: larger than %d bytes (%s)", max_bytes, url)
                    return None
    except httpx.HTTPError as exc:
        log.info("no cover: %s (%s)", exc or type(exc).__name__, url)
        return None
    if not data:
        return None
    return Cover(bytes(data), sniff_mime(bytes(data), declared))

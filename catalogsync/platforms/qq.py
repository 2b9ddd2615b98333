"""QQ Music wire formats shared by the collector and the resolver.

The musicu gateway (one POST carrying named requests, two levels of ``code``),
HTML-entity and highlight cleanup, and the two song shapes QQ answers with
(old ``songmid/songname/size128`` and new ``mid/name/file.size_128mp3``)
normalised into one :class:`QQSong`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from catalogsync.http_client import UpstreamError, request_json

PLATFORM = "qq"
MUSICU_URL = "https://u.y.qq.com/cgi-bin/musicu.fcg"
SITE_HEADERS = {"Referer": "https://y.qq.com/", "Origin": "https://y.qq.com"}
_COMM = {"ct": 24, "cv": 0, "uin": "0", "format": "json"}
_TAGS = re.compile(r"</?em>", re.IGNORECASE)


@contextmanager
def expect_shape(what: str, url: str) -> Iterator[None]:
    """Turn a missing key or wrong type while reading an answer into an UpstreamError."""
    try:
        yield
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise UpstreamError(PLATFORM, url, f"unexpected {what} answer ({type(exc).__name__}: {exc})") from exc


def clean_text(value: object) -> str:
    """Unescape HTML entities exactly once and drop ``<em>`` highlight tags."""
    if value is None:
        return ""
    return html.unescape(_TAGS.sub("", str(value)))


def album_cover_url(album_mid: str) -> str:
    return f"https://y.gtimg.cn/music/photo_new/T002R300x300M000{album_mid}.jpg" if album_mid else ""


def musicu_body(key: str, module: str, method: str, param: dict[str, Any]) -> dict[str, Any]:
    return {"comm": _COMM, key: {"module": module, "method": method, "param": param}}


def musicu_data(payload: Any, key: str, what: str) -> dict[str, Any]:
    """The ``data`` of named request ``key``, after checking the top-level and per-request codes."""
    if not isinstance(payload, dict):
        raise UpstreamError(PLATFORM, MUSICU_URL, f"{what}: the gateway answer is not an object")
    if payload.get("code") != 0:
        raise UpstreamError(PLATFORM, MUSICU_URL, f"{what}: gateway code {payload.get('code')!r}")
    part = payload.get(key)
    if not isinstance(part, dict):
        raise UpstreamError(PLATFORM, MUSICU_URL, f"{what}: the answer has no {key!r} member")
    if part.get("code") != 0:
        raise UpstreamError(PLATFORM, MUSICU_URL, f"{what}: request code {part.get('code')!r}")
    data = part.get("data")
    if not isinstance(data, dict):
        raise UpstreamError(PLATFORM, MUSICU_URL, f"{what}: the answer has no data")
    return data


async def musicu(
    client: httpx.AsyncClient, key: str, module: str, method: str, param: dict[str, Any]
) -> dict[str, Any]:
    """POST one named request to the gateway and return its checked ``data``."""
    payload = await request_json(
        client,
        PLATFORM,
        "POST",
        MUSICU_URL,
        json_body=musicu_body(key, module, method, param),
        headers=SITE_HEADERS,
    )
    return musicu_data(payload, key, f"{module}.{method}")


@dataclass(frozen=True)
class QQSong:
    """One song, whichever shape it came in."""

    mid: str
    name: str
    artists: tuple[tuple[str, str], ...]  # (singer mid, name)
    album: str
    album_mid: str
    duration_s: int
    media_mid: str
    sizes: dict[str, int]  # "128k" | "320k" | "flac" -> bytes (absent when 0)

    @property
    def cover_url(self) -> str:
        return album_cover_url(self.album_mid)


def _artists(singers: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(s.get("mid") or s.get("id") or ""), clean_text(s.get("name"))) for s in singers or ())


def _sizes(values: dict[str, Any]) -> dict[str, int]:
    return {label: int(size) for label, size in values.items() if size and int(size) > 0}


def _mid(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"song mid {value!r} is not a non-empty string")
    return value


def song_from_new(song: dict[str, Any]) -> QQSong:
    """Search results, toplist ``songInfoList`` and CgiGetDiss songs."""
    album = song.get("album") or {}
    file = song.get("file") or {}
    mid = _mid(song.get("mid"))
    return QQSong(
        mid=mid,
        name=clean_text(song.get("name") or song.get("title")),
        artists=_artists(song.get("singer")),
        album=clean_text(album.get("name") or album.get("title")),
        album_mid=str(album.get("mid") or ""),
        duration_s=int(song.get("interval") or 0),
        media_mid=str(file.get("media_mid") or mid),
        sizes=_sizes(
            {
                "128k": file.get("size_128mp3"),
                "320k": file.get("size_320mp3"),
                "flac": file.get("size_flac"),
            }
        ),
    )


def song_from_old(song: dict[str, Any]) -> QQSong:
    """Songs of the legacy playlist CGI (``songmid``, ``songname``, ``size128``…)."""
    mid = _mid(song.get("songmid"))
    return QQSong(
        mid=mid,
        name=clean_text(song.get("songname") or song.get("songorig")),
        artists=_artists(song.get("singer")),
        album=clean_text(song.get("albumname")),
        album_mid=str(song.get("albummid") or ""),
        duration_s=int(song.get("interval") or 0),
        media_mid=str(song.get("strMediaMid") or mid),
        sizes=_sizes(
            {"128k": song.get("size128"), "320k": song.get("size320"), "flac": song.get("sizeflac")}
        ),
    )

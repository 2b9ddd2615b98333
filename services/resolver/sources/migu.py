"""Migu (咪咕) download source: PC resource search, listenSong redirect for media, ``lrcUrl`` lyrics.

Search answers a bare JSON array of song objects. Media comes from the official
listenSong endpoint, which redirects to the file: we follow the redirects with
HEAD requests (by hand, so the URLs stay the real ones) and return the final URL.
A host that refuses HEAD (405/501) is asked with a ranged GET (``Range: bytes=0-0``,
body never read) instead, as musicdl probes. A non-audio answer (JSON/HTML error) or
no redirect means the file is not served (VIP only) → None. The user's own migu.cn
cookies (``CATALOGSYNC_MIGU_COOKIE``) go with the listenSong request.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from catalogsync.accounts import Account
from catalogsync.http_client import RETRY_STATUSES, UpstreamError, request_json, request_text
from services.resolver.sources.base import AccountCheck, MediaLink, QualityOption, SourceTrack

NAME = "migu"
SEARCH_URL = "https://app.u.nf.migu.cn/pc/resource/song/item/search/v1.0"
LISTEN_URL = "https://app.pd.nf.migu.cn/MIGUM3.0/v1.0/content/sub/listenSong.do"
ASSET_BASE = "http://d.musicapp.migu.cn"
LYRIC_HEADERS = {"Referer": "https://app.c.nf.migu.cn/", "channel": "0146921"}
LISTEN_USER_ID = "15548614588710179085069"
# formatType -> the quality it stands for (size filled in from the song object)
FORMATS = {
    "PQ": QualityOption("128k", "mp3", 128),
    "HQ": QualityOption("320k", "mp3", 320),
    "SQ": QualityOption("flac", "flac", 900),
    "ZQ24": QualityOption("hires", "flac", 2304),
    "ZQ": QualityOption("hires", "flac", 2304),
}
AUDIO_TYPES = ("audio/", "application/octet-stream")
MAX_REDIRECTS = 5
HEAD_REFUSED = frozenset({405, 501})
_CONTENT_RANGE_TOTAL = re.compile(r"^bytes \d+-\d+/(\d+)$")


def _size(entry: dict[str, Any]) -> int:
    """Byte size of an ``audioFormats`` entry: ``asize``, then ``isize``, then ``size`` (strings)."""
    for field in ("asize", "isize", "size"):
        text = str(entry.get(field) or "").strip()
        if text.isdigit() and int(text) > 0:
            return int(text)
    return 0


def _cover(song: dict[str, Any]) -> str:
    for field in ("img3", "img2", "img1"):
        url = str(song.get(field) or "").strip()
        if url.startswith("//"):
            return "https:" + url
        if url.startswith("/"):
            return ASSET_BASE + url
        if url.startswith("http"):
            return url
    return ""


def _artists(song: dict[str, Any]) -> tuple[str, ...]:
    singers = song.get("singerList")
    if isinstance(singers, list):
        names = tuple(str(s.get("name") or "") for s in singers if isinstance(s, dict))
        if any(n.strip() for n in names):
            return tuple(n for n in names if n.strip())
    joined = str(song.get("singerName") or song.get("singer") or "")
    return tuple(part.strip() for part in joined.split(",") if part.strip())


def _duration(value: Any) -> int:
    text = str(value or "").strip()
    return int(float(text)) if text.replace(".", "", 1).isdigit() else 0


def parse_song(song: dict[str, Any]) -> SourceTrack | None:
    """One PC search song object, or None when it lacks the ids media needs."""
    copyright_id = str(song.get("copyrightId") or "").strip()
    content_id = str(song.get("contentId") or "").strip()
    if not copyright_id or not content_id:
        return None
    formats: list[dict[str, Any]] = []
    for entry in song.get("audioFormats") or []:
        if not isinstance(entry, dict):
            continue
        tone = str(entry.get("formatType") or "")
        option = FORMATS.get(tone)
        if option is None or not entry.get("resourceType"):
            continue
        formats.append(
            {
                "tone": tone,
                "resource_type": str(entry["resourceType"]),
                "size": _size(entry),
            }
        )
    formats.sort(key=lambda f: FORMATS[f["tone"]].rank)
    ext = song.get("ext")
    ext = ext if isinstance(ext, dict) else {}
    lrc_url = str(ext.get("lrcUrl") or song.get("lrcUrl") or "")
    return SourceTrack(
        source=NAME,
        remote_id=copyright_id,
        title=str(song.get("songName") or song.get("name") or ""),
        artists=_artists(song),
        album=str(song.get("album") or ""),
        duration_s=_duration(song.get("duration")),
        qualities=tuple(_option(f) for f in formats),
        cover_url=_cover(song),
        extra={
            "copyright_id": copyright_id,
            "content_id": content_id,
            "song_id": str(song.get("songId") or ""),
            "formats": formats,
            "lrc_url": lrc_url,
        },
    )


def _option(fmt: dict[str, Any]) -> QualityOption:
    base = FORMATS[fmt["tone"]]
    return QualityOption(base.label, base.ext, base.bitrate_kbps, int(fmt.get("size") or 0))


def parse_search(payload: Any, url: str = SEARCH_URL) -> list[SourceTrack]:
    """The bare JSON array the PC search answers."""
    if not isinstance(payload, list):
        raise UpstreamError(NAME, url, f"search answered {type(payload).__name__}, not a song array")
    tracks = (parse_song(song) for song in payload if isinstance(song, dict))
    return [t for t in tracks if t is not None]


def listen_params(track: SourceTrack, fmt: dict[str, Any]) -> dict[str, str]:
    return {
        "channel": "mx",
        "copyrightId": track.extra["copyright_id"],
        "contentId": track.extra["content_id"],
        "toneFlag": fmt["tone"],
        "resourceType": fmt["resource_type"],
        "userId": LISTEN_USER_ID,
        "netType": "00",
    }


def is_audio(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower().startswith(AUDIO_TYPES)


def probed_size(response: httpx.Response) -> int:
    """The file size a HEAD (Content-Length) or a ranged GET (Content-Range total) reported; 0 = unknown."""
    if response.status_code == 206:
        match = _CONTENT_RANGE_TOTAL.match(response.headers.get("content-range", ""))
        return int(match.group(1)) if match else 0
    length = response.headers.get("content-length", "")
    return int(length) if length.isdigit() else 0


class Source:
    name = NAME

    def __init__(self, client: httpx.AsyncClient, account: Account | None = None) -> None:
        self._account = account
        self._client = client

    async def search(self, keyword: str, limit: int) -> list[SourceTrack]:
        params = {"text": keyword, "pageNo": 1, "pageSize": limit}
        payload = await request_json(self._client, NAME, "GET", SEARCH_URL, params=params)
        return parse_search(payload)[:limit]

    async def _ranged_get(self, url: httpx.URL) -> httpx.Response:
        """The headers of ``GET url`` with ``Range: bytes=0-0``; the body is never read."""
        headers = {"Range": "bytes=0-0", **self._cookie_header(url)}
        async with self._client.stream("GET", url, headers=headers, follow_redirects=False) as response:
            return response

    def _cookie_header(self, url: httpx.URL) -> dict[str, str]:
        """The user's cookies, for Migu's own API hosts only (never the CDN)."""
        if self._account is None or url.host not in {"app.pd.nf.migu.cn", "app.c.nf.migu.cn"}:
            return {}
        return {"Cookie": self._account.header()}

    async def _head(self, url: httpx.URL) -> httpx.Response:
        """One HEAD request (no automatic redirects), retried on timeouts, 429 and 5xx;
        a ranged GET when the host refuses HEAD."""
        last: UpstreamError | None = None
        for attempt in range(3):
            if attempt:
                await asyncio.sleep(0.5 * 2 ** (attempt - 1))
            try:
                response = await self._client.head(
                    url, headers=self._cookie_header(url), follow_redirects=False
                )
                if response.status_code in HEAD_REFUSED:
                    response = await self._ranged_get(url)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last = UpstreamError(NAME, str(url), f"{type(exc).__name__}: {exc or 'no answer'}")
                continue
            if response.status_code in RETRY_STATUSES:
                last = UpstreamError(
                    NAME, str(url), f"HTTP {response.status_code}", status=response.status_code
                )
                continue
            if response.status_code >= 400:
                raise UpstreamError(
                    NAME, str(url), f"HTTP {response.status_code}", status=response.status_code
                )
            return response
        assert last is not None
        raise last

    async def _follow(self, params: dict[str, str]) -> tuple[httpx.URL, httpx.Response] | None:
        """Follow the listen URL's redirects by hand (keeping the real URLs); None unless it ends in audio."""
        url = httpx.URL(LISTEN_URL, params=params)
        for hop in range(MAX_REDIRECTS + 1):
            response = await self._head(url)
            location = response.headers.get("location", "")
            if response.is_redirect and location:
                url = url.join(location)
                continue
            if hop == 0 or not is_audio(response.headers.get("content-type", "")):
                return None
            return url, response
        return None

    async def media(self, track: SourceTrack, quality: QualityOption) -> MediaLink | None:
        """Try the track's formats from ``quality`` down; the first redirected audio answer wins."""
        if not track.extra.get("content_id"):
            return None
        formats = [f for f in track.extra.get("formats") or [] if f.get("tone") in FORMATS]
        allowed = [f for f in formats if FORMATS[f["tone"]].rank <= quality.rank]
        for fmt in sorted(allowed, key=lambda f: FORMATS[f["tone"]].rank, reverse=True):
            found = await self._follow(listen_params(track, fmt))
            if found is None:
                continue
            url, response = found
            option = _option(fmt)
            if not option.size_bytes:
                option = QualityOption(option.label, option.ext, option.bitrate_kbps, probed_size(response))
            return MediaLink(str(url), option)
        return None

    async def check_account(self) -> AccountCheck:
        if self._account is None:
            return AccountCheck(None, "no account set")
        return AccountCheck(None, "migu has no known official who-am-I call: the account cannot be checked")

    async def lyrics(self, track: SourceTrack) -> str:
        url = str(track.extra.get("lrc_url") or "")
        if not url:
            return ""
        return await request_text(self._client, NAME, "GET", url, headers=LYRIC_HEADERS)

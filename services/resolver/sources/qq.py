"""QQ Music as a download source: musicu search, vkey media URLs, base64 lyrics."""

from __future__ import annotations

import base64
import binascii
import random
from typing import Any

import httpx

from catalogsync.accounts import Account
from catalogsync.http_client import UpstreamError, request_json
from catalogsync.platforms.qq import MUSICU_URL, PLATFORM, QQSong, expect_shape, musicu, song_from_new
from services.resolver.sources.base import MediaLink, QualityOption, SourceTrack

LYRIC_URL = "https://c.y.qq.com/lyric/fcgi-bin/fcg_query_lyric_new.fcg"
LYRIC_HEADERS = {"Referer": "https://y.qq.com/portal/player.html"}
MEDIA_HEADERS = {"Referer": "http://y.qq.com"}
SEARCH = ("music.search.SearchCgiService", "DoSearchForQQMusicMobile")
VKEY = ("vkey.GetVkeyServer", "CgiGetVkey")
# label -> (filename prefix, extension, nominal kbps), worst first
FILES = {"128k": ("M500", "mp3", 128), "320k": ("M800", "mp3", 320), "flac": ("F000", "flac", 900)}


def qualities(song: QQSong) -> tuple[QualityOption, ...]:
    """The files the song lists (``file.size_*`` > 0), best last."""
    return tuple(
        QualityOption(label, ext, kbps, song.sizes[label])
        for label, (_, ext, kbps) in FILES.items()
        if label in song.sizes
    )


def to_track(song: QQSong) -> SourceTrack:
    return SourceTrack(
        source=PLATFORM,
        remote_id=song.mid,
        title=song.name,
        artists=tuple(name for _, name in song.artists),
        album=song.album,
        duration_s=song.duration_s,
        qualities=qualities(song),
        cover_url=song.cover_url,
        extra={"media_mid": song.media_mid},
    )


def parse_search(data: dict[str, Any], url: str) -> list[SourceTrack]:
    """``data.body.item_song`` (new song shape); items without a mid are skipped."""
    with expect_shape("search", url):
        items = (data.get("body") or {}).get("item_song") or []
        return [to_track(song_from_new(item)) for item in items if item.get("mid")]


def filename(label: str, media_mid: str) -> str:
    prefix, ext, _ = FILES[label]
    return f"{prefix}{media_mid}{media_mid}.{ext}"


def parse_vkey(data: dict[str, Any], url: str) -> str | None:
    """The full media URL (``sip[0] + purl``), or None when ``purl`` is empty (not allowed)."""
    with expect_shape("vkey", url):
        info = data["midurlinfo"][0]
        purl = str(info.get("purl") or "")
        if not purl:
            return None
        sip = data.get("sip") or []
        if not sip:
            raise UpstreamError(PLATFORM, url, "vkey answer has a purl but no sip (CDN base URL)")
        return str(sip[0]) + purl


def parse_lyric(payload: Any, url: str) -> str:
    """The base64 ``lyric`` as LRC text ('' when there is none)."""
    if not isinstance(payload, dict):
        raise UpstreamError(PLATFORM, url, "lyric: the answer is not an object")
    if payload.get("code") != 0:
        raise UpstreamError(PLATFORM, url, f"lyric: code {payload.get('code')!r}")
    encoded = payload.get("lyric") or ""
    try:
        return base64.b64decode(str(encoded)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise UpstreamError(PLATFORM, url, f"lyric is not base64 UTF-8 text: {exc}") from exc


def ladder(track: SourceTrack, quality: QualityOption) -> list[QualityOption]:
    """Files to ask for, best first: those the song lists at or below ``quality``
    (the standard three when the track lists none)."""
    options = track.qualities or tuple(
        QualityOption(label, ext, kbps) for label, (_, ext, kbps) in FILES.items()
    )
    wanted = [q for q in options if q.label in FILES and q.rank <= quality.rank]
    return sorted(wanted, key=lambda q: q.rank, reverse=True)


def _guid() -> str:
    return str(random.randrange(1_000_000_000, 10_000_000_000))


class Source:
    name = PLATFORM

    def __init__(self, client: httpx.AsyncClient, account: Account | None = None) -> None:
        self._account = account
        self._client = client

    async def search(self, keyword: str, limit: int) -> list[SourceTrack]:
        param = {
            "searchid": _guid() + _guid(),
            "query": keyword,
            "search_type": 0,
            "num_per_page": limit,
            "page_num": 1,
            "highlight": 0,
            "grp": 1,
        }
        data = await musicu(self._client, "req_0", *SEARCH, param)
        return parse_search(data, MUSICU_URL)[:limit]

    async def media(self, track: SourceTrack, quality: QualityOption) -> MediaLink | None:
        """Ask for ``quality`` and, when ``purl`` is empty, for each lower file the song lists."""
        media_mid = str(track.extra.get("media_mid") or track.remote_id)
        for option in ladder(track, quality):
            param = {
                "filename": [filename(option.label, media_mid)],
                "guid": _guid(),
                "songmid": [track.remote_id],
                "songtype": [0],
                "uin": "0",
                "loginflag": 1,
                "platform": "20",
            }
            data = await musicu(self._client, "req_1", *VKEY, param)
            url = parse_vkey(data, MUSICU_URL)
            if url:
                return MediaLink(url, option, dict(MEDIA_HEADERS))
        return None

    async def lyrics(self, track: SourceTrack) -> str:
        params = {
            "songmid": track.remote_id,
            "g_tk": 5381,
            "format": "json",
            "inCharset": "utf8",
            "outCharset": "utf-8",
            "platform": "yqq",
            "loginUin": 0,
            "hostUin": 0,
        }
        payload = await request_json(
            self._client, PLATFORM, "GET", LYRIC_URL, params=params, headers=LYRIC_HEADERS
        )
        return parse_lyric(payload, LYRIC_URL)

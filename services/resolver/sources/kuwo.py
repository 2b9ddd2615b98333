"""Kuwo (酷我) as a download source: legacy search, web ``playUrl`` (token + Secret), lyrics.

Search needs no token and answers with every value as a string; qualities and
approximate sizes come from ``N_MINFO``. ``playUrl`` may serve less than the
``br`` asked for; the link carries what was served (sizes unknown: the exact
size comes from the media response). Refusals (``code`` ≠ 200, no URL, a token
refused twice) mean unavailable.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from catalogsync.accounts import Account
from catalogsync.http_client import UpstreamError, request_json
from catalogsync.platforms.kuwo_secret import KuwoWebSession, TokenRefused
from services.resolver.sources.base import MediaLink, QualityOption, SourceTrack

PLATFORM = "kuwo"
SEARCH_URL = "http://www.kuwo.cn/search/searchMusicBykeyWord"
PLAY_URL = "https://www.kuwo.cn/api/v1/www/music/playUrl"
LYRIC_URL = "http://m.kuwo.cn/newh5/singles/songinfoandlrc"
COVER_PREFIX = "https://img2.kuwo.cn/star/albumcover/"
SEARCH_PARAMS = {
    "vipver": 1,
    "client": "kt",
    "ft": "music",
    "cluster": 0,
    "strategy": 2012,
    "encoding": "utf8",
    "rformat": "json",
    "mobi": 1,
    "issubtitle": 1,
    "show_copyright_off": 1,
}
BR_FOR_LABEL = {
    "128k": "128kmp3",
    "192k": "192kmp3",
    "320k": "320kmp3",
    "flac": "2000kflac",
    "hires": "2000kflac",
}
# N_MINFO bitrates we can ask ``playUrl`` for; 4000 (24-bit FLAC) has no known ``br`` and is left out.
LABEL_FOR_BITRATE = {128: ("128k", "mp3"), 192: ("192k", "mp3"), 320: ("320k", "mp3"), 2000: ("flac", "flac")}
_ARTIST_SEPARATOR = re.compile(r"(?<!\s)&(?!\s)(?!#?\w+;)")
_HIGHLIGHT = re.compile(r"</?em>", re.IGNORECASE)
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}


def clean(value: Any) -> str:
    """Entities unescaped once, ``&nbsp;`` as a space, highlight tags removed."""
    return _HIGHLIGHT.sub("", html.unescape(str(value or ""))).replace("\xa0", " ")


def to_int(value: Any) -> int:
    try:
        return int(float(str(value).strip()))
    except (ValueError, OverflowError):
        return 0


def split_artists(joined: Any) -> tuple[str, ...]:
    """Artist names of Kuwo's ``&``-joined string (an ``&`` between spaces stays in the name)."""
    parts = _ARTIST_SEPARATOR.split(str(joined or ""))
    names = [clean(p).strip() for p in parts] if len(parts) > 1 else [clean(parts[0])]
    return tuple(name for name in names if name)


def parse_size(text: str) -> int:
    """Bytes of a size like ``8.83Mb``, ``8.83 MB``, ``512kb`` or ``1234``; 0 when unreadable."""
    match = _SIZE.match(text or "")
    if match is None:
        return 0
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def parse_minfo(text: str) -> tuple[QualityOption, ...]:
    """Qualities of an ``N_MINFO``/``MINFO`` string, worst first; unknown bitrates ignored."""
    found: dict[str, QualityOption] = {}
    for entry in (text or "").split(";"):
        fields = dict(part.partition(":")[::2] for part in entry.split(",") if ":" in part)
        bitrate = to_int(fields.get("bitrate", ""))
        if bitrate not in LABEL_FOR_BITRATE:
            continue
        label, ext = LABEL_FOR_BITRATE[bitrate]
        option = QualityOption(
            label, fields.get("format") or ext, bitrate, parse_size(fields.get("size", ""))
        )
        if label not in found or option.size_bytes > found[label].size_bytes:
            found[label] = option
    return tuple(sorted(found.values(), key=lambda q: q.rank))


def song_id(value: Any) -> str:
    """The numeric rid of ``123``, ``"123"`` or ``"MUSIC_123"``; '' when it is none of those."""
    text = str(value or "").strip().removeprefix("MUSIC_")
    return text if text.isdigit() else ""


def parse_search(payload: Any, url: str) -> list[SourceTrack]:
    """Tracks of a legacy search answer (``abslist``); rows without an id are skipped."""
    if not isinstance(payload, dict) or not isinstance(payload.get("abslist"), list):
        raise UpstreamError(PLATFORM, url, "search: no abslist in the answer")
    tracks = []
    for row in payload["abslist"]:
        if not isinstance(row, dict):
            continue
        rid = song_id(row.get("MUSICRID")) or song_id(row.get("DC_TARGETID"))
        if not rid:
            continue
        cover = str(row.get("web_albumpic_short") or "")
        tracks.append(
            SourceTrack(
                source=PLATFORM,
                remote_id=rid,
                title=clean(row.get("SONGNAME") or row.get("NAME")),
                artists=split_artists(row.get("ARTIST")),
                album=clean(row.get("ALBUM")),
                duration_s=to_int(row.get("DURATION")),
                qualities=parse_minfo(str(row.get("N_MINFO") or row.get("MINFO") or "")),
                cover_url=COVER_PREFIX + cover if cover else "",
            )
        )
    return tracks


def parse_play_url(payload: Any, url: str) -> MediaLink | None:
    """The media link of a ``playUrl`` answer, or None when Kuwo refuses."""
    if not isinstance(payload, dict):
        raise UpstreamError(PLATFORM, url, "play URL: expected a JSON object")
    data = payload.get("data")
    if to_int(payload.get("code")) != 200 or payload.get("success") is False or not isinstance(data, dict):
        return None
    media = str(data.get("url") or "")
    if urlsplit(media).scheme not in {"http", "https"}:
        return None
    path_ext = urlsplit(media).path.rpartition(".")[2].lower()
    bitrate = to_int(data.get("bitrate"))
    if bitrate in LABEL_FOR_BITRATE:
        label, ext = LABEL_FOR_BITRATE[bitrate]
    elif path_ext == "flac":
        label, ext, bitrate = "flac", "flac", 2000
    else:
        # Kuwo did not say what it served: claim the least, never more than we know.
        label, ext, bitrate = "128k", path_ext or "mp3", 128
    return MediaLink(media, QualityOption(label, str(data.get("format") or ext), bitrate))


def _lrc_tag(seconds: float) -> str:
    centis = round(seconds * 100)
    minutes, centis = divmod(centis, 6000)
    return f"[{minutes:02d}:{centis // 100:02d}.{centis % 100:02d}]"


def parse_lyrics(payload: Any, url: str) -> str:
    """LRC built from ``lrclist`` (string seconds); lines sharing a time (translations) are kept."""
    if not isinstance(payload, dict) or to_int(payload.get("status")) != 200:
        status = payload.get("status") if isinstance(payload, dict) else type(payload).__name__
        raise UpstreamError(PLATFORM, url, f"lyrics: status {status!r}")
    data = payload.get("data")
    lines = data.get("lrclist") if isinstance(data, dict) else None
    out = []
    for line in lines if isinstance(lines, list) else []:
        if not isinstance(line, dict):
            continue
        try:
            seconds = float(str(line.get("time")))
        except ValueError:
            continue
        out.append(_lrc_tag(max(0.0, seconds)) + clean(line.get("lineLyric")))
    return "\n".join(out) + "\n" if out else ""


class Source:
    """Kuwo download source."""

    name = PLATFORM

    def __init__(self, client: httpx.AsyncClient, account: Account | None = None) -> None:
        self._account = account
        self._client = client
        self._session = KuwoWebSession.for_client(client)

    async def search(self, keyword: str, limit: int) -> list[SourceTrack]:
        params = {**SEARCH_PARAMS, "pn": 0, "rn": max(1, limit), "all": keyword}
        payload = await request_json(self._client, PLATFORM, "GET", SEARCH_URL, params=params)
        return parse_search(payload, SEARCH_URL)[: max(1, limit)]

    async def media(self, track: SourceTrack, quality: QualityOption) -> MediaLink | None:
        rid = song_id(track.remote_id)
        if not rid:
            return None
        params = {
            "mid": rid,
            "type": "music",
            "httpsStatus": 1,
            "br": BR_FOR_LABEL.get(quality.label, "128kmp3"),
            "plat": "web_www",
            "from": "",
        }
        referer = f"https://www.kuwo.cn/play_detail/{rid}"
        try:
            payload = await self._session.get_json(PLAY_URL, params, referer=referer)
        except TokenRefused:
            return None
        return parse_play_url(payload, PLAY_URL)

    async def lyrics(self, track: SourceTrack) -> str:
        rid = song_id(track.remote_id)
        if not rid:
            return ""
        params = {"musicId": rid, "httpsStatus": 1}
        payload = await request_json(self._client, PLATFORM, "GET", LYRIC_URL, params=params)
        return parse_lyrics(payload, LYRIC_URL)

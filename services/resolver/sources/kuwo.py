"""Kuwo (酷我) as a download source: legacy search, media from antiserver or the web ``playUrl``, lyrics.

Search needs no token and answers with every value as a string; qualities and
approximate sizes come from ``N_MINFO``. Media (kuwo.md §6): anonymously the token-free
antiserver (``convert_url3``, as musicdl and UnblockNeteaseMusic use it) first and the
web ``playUrl`` (token + Secret) second; with the user's own login cookies the web
``playUrl`` first, since that is where the account's VIP levels are served. Either may
serve less than the ``br`` asked for; the link carries what was served (the least when
the answer does not say). Refusals (``code`` ≠ 200, no URL, a token refused twice)
mean unavailable.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from catalogsync.accounts import Account
from catalogsync.http_client import UpstreamError, parse_json, request_json, request_text
from catalogsync.platforms.kuwo import (
    ANTISERVER_URL,
    PLATFORM,
    account_cookies,
    plain_text,
    song_id,
    split_artist_names,
    to_int,
)
from catalogsync.platforms.kuwo_secret import KuwoWebSession, TokenRefused
from services.resolver.sources.base import AccountCheck, MediaLink, QualityOption, SourceTrack

log = logging.getLogger(__name__)
SEARCH_URL = "http://www.kuwo.cn/search/searchMusicBykeyWord"
PLAY_URL = "https://www.kuwo.cn/api/v1/www/music/playUrl"
LYRIC_URL = "http://m.kuwo.cn/newh5/singles/songinfoandlrc"
ANTISERVER_PARAMS = {"type": "convert_url3", "response": "url"}
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
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}


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
                title=plain_text(row.get("SONGNAME") or row.get("NAME")),
                artists=split_artist_names(row.get("ARTIST")),
                album=plain_text(row.get("ALBUM")),
                duration_s=to_int(row.get("DURATION")),
                qualities=parse_minfo(str(row.get("N_MINFO") or row.get("MINFO") or "")),
                cover_url=COVER_PREFIX + cover if cover else "",
            )
        )
    return tracks


def _served(media: str, bitrate: int, fmt: str) -> MediaLink | None:
    """The link for ``media``, labelled with what the answer says was served (the least when silent)."""
    if urlsplit(media).scheme not in {"http", "https"}:
        return None
    path_ext = urlsplit(media).path.rpartition(".")[2].lower()
    if bitrate in LABEL_FOR_BITRATE:
        label, ext = LABEL_FOR_BITRATE[bitrate]
    elif path_ext == "flac":
        label, ext, bitrate = "flac", "flac", 2000
    else:
        # Kuwo did not say what it served: claim the least, never more than we know.
        label, ext, bitrate = "128k", path_ext or "mp3", 128
    return MediaLink(media, QualityOption(label, fmt or ext, bitrate))


def parse_play_url(payload: Any, url: str) -> MediaLink | None:
    """The media link of a web ``playUrl`` answer, or None when Kuwo refuses."""
    if not isinstance(payload, dict):
        raise UpstreamError(PLATFORM, url, "play URL: expected a JSON object")
    data = payload.get("data")
    if to_int(payload.get("code")) != 200 or payload.get("success") is False or not isinstance(data, dict):
        return None
    return _served(str(data.get("url") or ""), to_int(data.get("bitrate")), str(data.get("format") or ""))


def parse_antiserver(text: str, url: str) -> MediaLink | None:
    """The media link of an antiserver answer: JSON ``{code, url, bitrate?, format?}`` (``convert_url3``)
    or the plain-text URL (``convert_url``); None when it gives no http(s) URL."""
    body = text.strip()
    if body.startswith("{"):
        payload = parse_json(PLATFORM, url, body)
        if not isinstance(payload, dict) or to_int(payload.get("code")) != 200:
            return None
        return _served(
            str(payload.get("url") or ""), to_int(payload.get("bitrate")), str(payload.get("format") or "")
        )
    return _served(body.split()[0] if body else "", 0, "")


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
        out.append(_lrc_tag(max(0.0, seconds)) + plain_text(line.get("lineLyric")))
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

    async def _antiserver(self, rid: str, br: str) -> MediaLink | None:
        fmt = "flac|mp3" if br.endswith("flac") else "mp3"
        params = {**ANTISERVER_PARAMS, "format": fmt, "rid": f"MUSIC_{rid}", "br": br}
        return parse_antiserver(
            await request_text(self._client, PLATFORM, "GET", ANTISERVER_URL, params=params), ANTISERVER_URL
        )

    async def _web_play_url(self, rid: str, br: str) -> MediaLink | None:
        params = {"mid": rid, "type": "music", "httpsStatus": 1, "br": br, "plat": "web_www", "from": ""}
        referer = f"https://www.kuwo.cn/play_detail/{rid}"
        try:
            payload = await self._session.get_json(
                PLAY_URL, params, referer=referer, user_cookies=account_cookies(self._account)
            )
        except TokenRefused:
            return None
        return parse_play_url(payload, PLAY_URL)

    async def media(self, track: SourceTrack, quality: QualityOption) -> MediaLink | None:
        rid = song_id(track.remote_id)
        if not rid:
            return None
        br = BR_FOR_LABEL.get(quality.label, "128kmp3")
        routes = [self._antiserver, self._web_play_url]
        if self._account is not None:
            routes.reverse()
        failure: UpstreamError | None = None
        for route in routes:
            try:
                link = await route(rid, br)
            except UpstreamError as exc:
                log.info("kuwo media %s: %s failed (%s)", rid, route.__name__.lstrip("_"), exc)
                failure = failure or exc
                continue
            if link is not None:
                return link
        if failure is not None:
            raise failure
        return None

    async def check_account(self) -> AccountCheck:
        if self._account is None:
            return AccountCheck(None, "no account set")
        if not self._account.get("userid"):
            return AccountCheck(
                False, "the cookie has no userid (copy the whole www.kuwo.cn cookie after logging in)"
            )
        return AccountCheck(None, "kuwo has no known official who-am-I call: the account cannot be checked")

    async def lyrics(self, track: SourceTrack) -> str:
        rid = song_id(track.remote_id)
        if not rid:
            return ""
        params = {"musicId": rid, "httpsStatus": 1}
        payload = await request_json(self._client, PLATFORM, "GET", LYRIC_URL, params=params)
        return parse_lyrics(payload, LYRIC_URL)

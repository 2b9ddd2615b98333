"""QQ Music as a download source: musicu search (app comm), vkey media URLs (POST), lyrics.

Follows lx-music-mobile (2025-11) for search — ``DoSearchForQQMusicMobile`` with the app
``comm`` and the QQ Music app User-Agent, signed (``musics.fcg?sign=``) first and through the
plain ``musicu.fcg`` when that fails; the web comm gets no results — and
luren-dc/QQMusicApi (2025-08) / copws/qq-music-api (2025-09) for vkey filenames:
``<prefix><songmid><media_mid>`` (then ``<prefix><songmid><songmid>``), never the media
mid twice, always by POST (the GET ``data=`` form answers an empty ``purl``).

Without an account QQ serves only 128k (``M500``); 320k and FLAC need the user's own
VIP login, so search results list the better files only when an account is set.
"""

from __future__ import annotations

import base64
import binascii
import logging
import random
import re
from typing import Any

import httpx

from catalogsync.accounts import Account
from catalogsync.http_client import UpstreamError, request_json
from catalogsync.platforms.qq import (
    MUSICU_URL,
    PLATFORM,
    QQSong,
    account_key,
    account_uin,
    expect_shape,
    musicu,
    musicu_raw,
    request_headers,
    song_from_new,
)
from services.resolver.sources.base import AccountCheck, MediaLink, QualityOption, SourceTrack

log = logging.getLogger(__name__)
LYRIC_URL = "https://c.y.qq.com/lyric/fcgi-bin/fcg_query_lyric_new.fcg"
LYRIC_HEADERS = {"Referer": "https://y.qq.com/portal/player.html"}
MEDIA_HEADERS = {"Referer": "http://y.qq.com"}
SEARCH = ("music.search.SearchCgiService", "DoSearchForQQMusicMobile")
VKEY = ("vkey.GetVkeyServer", "CgiGetVkey")
WHO_AM_I = ("music.UserInfo.userInfoServer", "GetLoginUserInfo")
# Request codes luren-dc treats as "login expired / not accepted".
LOGIN_REFUSED = frozenset({1000, 104400, 104401})
NO_LYRICS = -1901
# label -> (filename prefix, extension, nominal kbps), worst first
FILES = {"128k": ("M500", "mp3", 128), "320k": ("M800", "mp3", 320), "flac": ("F000", "flac", 900)}
ANONYMOUS_LABELS = frozenset({"128k"})
_LRC_TAG = re.compile(r"\[[^\]]*\]")
_NOT_WORDS = re.compile(r"[\W_]+")


def qualities(song: QQSong, labels: frozenset[str] | None = None) -> tuple[QualityOption, ...]:
    """The files the song lists (``file.size_*`` > 0) among ``labels`` (all when None), best last."""
    return tuple(
        QualityOption(label, ext, kbps, song.sizes[label])
        for label, (_, ext, kbps) in FILES.items()
        if label in song.sizes and (labels is None or label in labels)
    )


def to_track(song: QQSong, labels: frozenset[str] | None = None) -> SourceTrack:
    return SourceTrack(
        source=PLATFORM,
        remote_id=song.mid,
        title=song.name,
        artists=tuple(name for _, name in song.artists),
        album=song.album,
        duration_s=song.duration_s,
        qualities=qualities(song, labels),
        cover_url=song.cover_url,
        extra={"media_mid": song.media_mid},
    )


def parse_search(data: dict[str, Any], url: str, labels: frozenset[str] | None = None) -> list[SourceTrack]:
    """``data.body.item_song`` (new song shape); items without a mid are skipped."""
    with expect_shape("search", url):
        items = (data.get("body") or {}).get("item_song") or []
        return [to_track(song_from_new(item), labels) for item in items if item.get("mid")]


def filenames(label: str, song_mid: str, media_mid: str) -> list[str]:
    """Filenames to ask for, in order: ``<prefix><songmid><media_mid>`` when they differ, then
    ``<prefix><songmid><songmid>``. The media mid is never used twice."""
    prefix, ext, _ = FILES[label]
    names = [f"{prefix}{song_mid}{media_mid}.{ext}"] if media_mid and media_mid != song_mid else []
    return [*names, f"{prefix}{song_mid}{song_mid}.{ext}"]


def parse_vkey(data: dict[str, Any], url: str) -> str | None:
    """The full media URL (``sip[0] + purl``) of the first entry with a ``purl``; None when every
    ``purl`` is empty (not allowed)."""
    with expect_shape("vkey", url):
        infos = data["midurlinfo"]
        if not infos:
            raise IndexError("midurlinfo is empty")
        purl = next((str(i.get("purl") or i.get("wifiurl") or "") for i in infos if i.get("purl")), "")
        if not purl:
            return None
        sip = data.get("sip") or []
        if not sip:
            raise UpstreamError(PLATFORM, url, "vkey answer has a purl but no sip (CDN base URL)")
        return str(sip[0]) + purl


def is_placeholder(lrc: str) -> bool:
    """The one-line "此歌曲为没有填词的纯音乐，请您欣赏" QQ returns for instrumentals (and variants)."""
    lines = [words for line in lrc.splitlines() if (words := _NOT_WORDS.sub("", _LRC_TAG.sub("", line)))]
    return len(lines) == 1 and len(lines[0]) <= 20 and "纯音乐" in lines[0] and "欣赏" in lines[0]


def parse_lyric(payload: Any, url: str) -> str:
    """The base64 ``lyric`` as LRC text; '' when there is none (``-1901``) or it is the
    instrumental placeholder."""
    if not isinstance(payload, dict):
        raise UpstreamError(PLATFORM, url, "lyric: the answer is not an object")
    code = payload.get("code")
    if code == NO_LYRICS or payload.get("retcode") == NO_LYRICS or payload.get("subcode") == NO_LYRICS:
        return ""
    if code != 0:
        raise UpstreamError(PLATFORM, url, f"lyric: code {code!r}")
    encoded = payload.get("lyric") or ""
    try:
        text = base64.b64decode(str(encoded)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise UpstreamError(PLATFORM, url, f"lyric is not base64 UTF-8 text: {exc}") from exc
    return "" if is_placeholder(text) else text


def parse_who_am_i(payload: Any) -> AccountCheck:
    """``GetLoginUserInfo``: request code 0 = accepted; 1000/104400/104401 = not accepted."""
    key = ".".join(WHO_AM_I)
    part = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(part, dict) or payload.get("code") != 0:
        return AccountCheck(None, "unexpected answer from the platform")
    code = part.get("code")
    if code in LOGIN_REFUSED:
        return AccountCheck(False, f"the platform refused the login (code {code})")
    if code != 0:
        return AccountCheck(None, f"the platform answered code {code!r}")
    data = part.get("data")
    data = data if isinstance(data, dict) else {}
    vip = data.get("vipType") or data.get("isVip") or data.get("green_vip")
    return AccountCheck(True, "VIP" if vip else "logged in (no VIP)")


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

    @property
    def _labels(self) -> frozenset[str] | None:
        """The files this client may get: all with a login (uin and key), 128k without."""
        logged_in = account_uin(self._account) != "0" and bool(account_key(self._account))
        return None if logged_in else ANONYMOUS_LABELS

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
        try:
            data = await musicu(
                self._client, "req", *SEARCH, param, account=self._account, app=True, signed=True
            )
        except UpstreamError as exc:
            log.info("qq signed search failed, trying the plain gateway: %s", exc)
            data = await musicu(self._client, "req", *SEARCH, param, account=self._account, app=True)
        return parse_search(data, MUSICU_URL, self._labels)[:limit]

    async def media(self, track: SourceTrack, quality: QualityOption) -> MediaLink | None:
        """Ask for ``quality`` and, when ``purl`` is empty, for each lower file the song lists."""
        media_mid = str(track.extra.get("media_mid") or track.remote_id)
        for option in ladder(track, quality):
            names = filenames(option.label, track.remote_id, media_mid)
            param = {
                "filename": names,
                "guid": _guid(),
                "songmid": [track.remote_id] * len(names),
                "songtype": [0] * len(names),
                "uin": account_uin(self._account),
                "loginflag": 1,
                "platform": "20",
            }
            data = await musicu(self._client, "req_1", *VKEY, param, account=self._account)
            url = parse_vkey(data, MUSICU_URL)
            if url:
                return MediaLink(url, option, dict(MEDIA_HEADERS))
        return None

    async def check_account(self) -> AccountCheck:
        if self._account is None:
            return AccountCheck(None, "no account set")
        try:
            payload = await musicu_raw(self._client, ".".join(WHO_AM_I), *WHO_AM_I, {}, account=self._account)
        except UpstreamError as exc:
            reason = f"HTTP {exc.status}" if exc.status else "no usable answer"
            return AccountCheck(None, f"could not ask the platform ({reason})")
        return parse_who_am_i(payload)

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
        headers = request_headers(self._account, base=LYRIC_HEADERS)
        payload = await request_json(self._client, PLATFORM, "GET", LYRIC_URL, params=params, headers=headers)
        return parse_lyric(payload, LYRIC_URL)

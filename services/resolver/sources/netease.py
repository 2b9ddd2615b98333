"""NetEase Cloud Music as a download source: search, eapi song URL (by level), lyrics.

Search: eapi ``/eapi/search/song/list/page`` first (lx-music-desktop, 2026-01: cloudsearch
hides some songs), then ``https://music.163.com/api/cloudsearch/pc`` (plain form) when the
first fails or finds nothing. Media: ``https://interface3.music.163.com/eapi/song/enhance/
player/url/v1`` (eapi). Lyrics: ``https://music.163.com/api/song/lyric``. Who am I:
``https://music.163.com/api/nuser/account/get``. A null URL, an entry code other than 200
or a ``freeTrialInfo`` (a 30-second clip) means the full file is not available to us.

Without the user's ``MUSIC_U`` NetEase serves at most ``exhigh`` (320k) and no VIP-only
song, so search results offer lossless files only when an account is set.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from catalogsync.accounts import Account
from catalogsync.http_client import UpstreamError
from catalogsync.platforms.netease_api import EAPI_BASE, PLATFORM, WEB_BASE, call_api, call_eapi
from catalogsync.platforms.netease_songs import read_song
from services.resolver.sources.base import AccountCheck, MediaLink, QualityOption, SourceTrack

log = logging.getLogger(__name__)
SEARCH_PATH = "/api/cloudsearch/pc"
SONG_LIST_PATH = "/eapi/search/song/list/page"
ACCOUNT_PATH = "/api/nuser/account/get"
ANONYMOUS_LABELS = frozenset({"128k", "192k", "320k"})
SONG_URL_PATH = "/eapi/song/enhance/player/url/v1"
LYRIC_PATH = "/api/song/lyric"
# Quality hint fields of a song object, worst first: (field, label, ext).
QUALITY_FIELDS = (("l", "128k", "mp3"), ("m", "192k", "mp3"), ("h", "320k", "mp3"))
LOSSLESS_FIELDS = (("sq", "flac", "flac"), ("hr", "hires", "flac"))
LEVEL_FOR_LABEL = {
    "128k": "standard",
    "192k": "higher",
    "320k": "exhigh",
    "flac": "lossless",
    "hires": "hires",
}
LABEL_FOR_LEVEL = {level: label for label, level in LEVEL_FOR_LABEL.items()}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def song_qualities(song: dict[str, Any], labels: frozenset[str] | None = None) -> tuple[QualityOption, ...]:
    """The files a song object advertises (``l``/``m``/``h``/``sq``/``hr``) among ``labels``
    (all when None), worst first."""
    options = []
    for key, label, ext in QUALITY_FIELDS + LOSSLESS_FIELDS:
        hint = song.get(key)
        if isinstance(hint, dict) and (labels is None or label in labels):
            options.append(QualityOption(label, ext, _int(hint.get("br")) // 1000, _int(hint.get("size"))))
    return tuple(options)


def _tracks(songs: list[Any], url: str, labels: frozenset[str] | None) -> list[SourceTrack]:
    tracks = []
    for song in songs:
        info = read_song(song, url)
        tracks.append(
            SourceTrack(
                source=PLATFORM,
                remote_id=info.song_id,
                title=info.name,
                artists=tuple(name for _, name in info.artists),
                album=info.album,
                duration_s=info.duration_s,
                qualities=song_qualities(song, labels),
                cover_url=info.cover_url,
                extra={"fee": song.get("fee")},
            )
        )
    return tracks


def parse_search(payload: dict[str, Any], labels: frozenset[str] | None = None) -> list[SourceTrack]:
    """``cloudsearch/pc`` songs as source tracks (an empty result has no ``songs`` key)."""
    url = WEB_BASE + SEARCH_PATH
    result = payload.get("result")
    if not isinstance(result, dict):
        raise UpstreamError(PLATFORM, url, "search: 'result' is not an object")
    songs = result.get("songs") or []
    if not isinstance(songs, list):
        raise UpstreamError(PLATFORM, url, "search: 'result.songs' is not a list")
    return _tracks(songs, url, labels)


def parse_song_list_page(payload: dict[str, Any], labels: frozenset[str] | None = None) -> list[SourceTrack]:
    """``search/song/list/page``: ``data.resources[].baseInfo.simpleSongData`` song objects."""
    url = EAPI_BASE + SONG_LIST_PATH
    data = payload.get("data")
    resources = data.get("resources") if isinstance(data, dict) else None
    if resources is None and isinstance(data, dict):
        resources = []
    if not isinstance(resources, list):
        raise UpstreamError(PLATFORM, url, "search: 'data.resources' is not a list")
    songs = []
    for item in resources:
        base = item.get("baseInfo") if isinstance(item, dict) else None
        song = base.get("simpleSongData") if isinstance(base, dict) else None
        if not isinstance(song, dict):
            raise UpstreamError(PLATFORM, url, f"search: resource without a song: {str(item)[:80]!r}")
        songs.append(song)
    return _tracks(songs, url, labels)


def parse_account(payload: dict[str, Any]) -> AccountCheck:
    """``nuser/account/get``: ``account``/``profile`` null (or ``anonimousUser``) = not logged in."""
    account = payload.get("account")
    if not isinstance(account, dict) or account.get("anonimousUser") or not payload.get("profile"):
        return AccountCheck(False, "the platform does not see a logged-in user (MUSIC_U expired or wrong)")
    vip = account.get("vipType")
    return AccountCheck(True, "VIP" if isinstance(vip, int) and vip > 0 else "logged in (no VIP)")


def _served_label(entry: dict[str, Any], ext: str, bitrate_kbps: int) -> str:
    level = entry.get("level")
    if level in LABEL_FOR_LEVEL:
        return LABEL_FOR_LEVEL[level]
    if ext == "flac":
        return "flac"
    return "320k" if bitrate_kbps >= 320 else "192k" if bitrate_kbps >= 192 else "128k"


def parse_song_url(payload: dict[str, Any], song_id: str) -> MediaLink | None:
    """The full-file link for ``song_id`` in a ``player/url/v1`` answer, or None (no URL, trial only)."""
    url = EAPI_BASE + SONG_URL_PATH
    data = payload.get("data")
    if not isinstance(data, list):
        raise UpstreamError(PLATFORM, url, "song url: 'data' is not a list")
    entry = next((e for e in data if isinstance(e, dict) and str(e.get("id")) == song_id), None)
    if entry is None or entry.get("code") != 200 or entry.get("freeTrialInfo") is not None:
        return None
    media_url = entry.get("url")
    if not isinstance(media_url, str) or not media_url.startswith(("http://", "https://")):
        return None
    ext = str(entry.get("type") or entry.get("encodeType") or "mp3").lower()
    bitrate_kbps = _int(entry.get("br")) // 1000
    label = _served_label(entry, ext, bitrate_kbps)
    return MediaLink(media_url, QualityOption(label, ext, bitrate_kbps, _int(entry.get("size"))))


def parse_lyric(payload: dict[str, Any]) -> str:
    """``lrc.lyric``, or '' for instrumentals (``nolyric``) and songs without lyrics (``uncollected``)."""
    lrc = payload.get("lrc")
    if payload.get("nolyric") or payload.get("uncollected") or not isinstance(lrc, dict):
        return ""
    lyric = lrc.get("lyric")
    return lyric if isinstance(lyric, str) else ""


class Source:
    """The NetEase download source."""

    name = "netease"

    def __init__(self, client: httpx.AsyncClient, account: Account | None = None) -> None:
        self._account = account
        self._client = client

    @property
    def _labels(self) -> frozenset[str] | None:
        """The files this client may get: all with a login (``MUSIC_U``), up to 320k without."""
        return None if self._account is not None and self._account.get("MUSIC_U") else ANONYMOUS_LABELS

    async def search(self, keyword: str, limit: int) -> list[SourceTrack]:
        """``search/song/list/page`` first; ``cloudsearch/pc`` when it fails or finds nothing."""
        params = {
            "keyword": keyword,
            "needCorrect": "1",
            "channel": "typing",
            "offset": 0,
            "scene": "normal",
            "total": True,
            "limit": limit,
        }
        try:
            payload = await call_eapi(self._client, SONG_LIST_PATH, params, "search", self._account)
            found = parse_song_list_page(payload, self._labels)
        except UpstreamError as exc:
            log.info("netease search/song/list/page failed, trying cloudsearch: %s", exc)
            found = []
        if found:
            return found[:limit]
        form = {"s": keyword, "type": 1, "limit": limit, "offset": 0, "total": "true"}
        payload = await call_api(self._client, SEARCH_PATH, form, "search", account=self._account)
        return parse_search(payload, self._labels)[:limit]

    async def check_account(self) -> AccountCheck:
        if self._account is None:
            return AccountCheck(None, "no account set")
        try:
            payload = await call_api(self._client, ACCOUNT_PATH, {}, "who am I", account=self._account)
        except UpstreamError as exc:
            reason = f"HTTP {exc.status}" if exc.status else "no usable answer"
            return AccountCheck(None, f"could not ask the platform ({reason})")
        return parse_account(payload)

    async def media(self, track: SourceTrack, quality: QualityOption) -> MediaLink | None:
        if not track.remote_id.isdigit():
            return None
        params = {
            "ids": json.dumps([int(track.remote_id)]),
            "level": LEVEL_FOR_LABEL.get(quality.label, "exhigh"),
            "encodeType": "flac",
        }
        return parse_song_url(
            await call_eapi(self._client, SONG_URL_PATH, params, "song url", self._account), track.remote_id
        )

    async def lyrics(self, track: SourceTrack) -> str:
        if not track.remote_id.isdigit():
            return ""
        form = {"id": track.remote_id, "lv": -1, "tv": -1, "kv": -1}
        return parse_lyric(await call_api(self._client, LYRIC_PATH, form, "lyrics", account=self._account))

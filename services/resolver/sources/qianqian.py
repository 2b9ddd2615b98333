"""Qianqian (千千, music.91q.com) download source: signed search and tracklink, LRC from the ``lyric`` URL.

Every API call is signed (``catalogsync.platforms.qianqian_sign``). tracklink gives
``data.path`` for a full file; a VIP-only song answers ``path: ""`` with only a
``trail_audio_info`` clip, which is not a download (→ None). The user's own
music.91q.com cookies (``CATALOGSYNC_QIANQIAN_COOKIE``) go with the API calls, as the
site sends them; there is no known official who-am-I call to check them with.
"""

from __future__ import annotations

from typing import Any

import httpx

from catalogsync.accounts import Account
from catalogsync.http_client import UpstreamError, request_json, request_text
from catalogsync.platforms import qianqian_sign
from services.resolver.sources.base import AccountCheck, MediaLink, QualityOption, SourceTrack

NAME = "qianqian"
API = "https://music.91q.com/v1"
SEARCH_URL = f"{API}/search"
TRACKLINK_URL = f"{API}/song/tracklink"
HEADERS = {"Referer": "https://music.91q.com/", "From": "Web"}
OK_ERRNO = 22000
# quality label -> the tracklink ``rate`` asking for it
RATES = {"128k": 128, "192k": 128, "320k": 320, "flac": 3000, "hires": 3000}


def _int(value: Any) -> int:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else 0


def quality_for(rate: Any, fmt: Any, size: Any = 0) -> QualityOption:
    """The quality a ``rate`` (kbps) and ``format`` stand for."""
    kbps = _int(rate)
    ext = str(fmt or "").strip().lower() or ("flac" if kbps >= 900 else "mp3")
    if ext == "flac" or kbps >= 900:
        return QualityOption("flac", "flac", kbps or 900, _int(size))
    if kbps >= 320:
        return QualityOption("320k", ext, kbps, _int(size))
    return QualityOption("128k", ext, kbps or 128, _int(size))


def unwrap(payload: Any, url: str) -> dict[str, Any]:
    """``data`` of the ``{errno, errmsg, state, data}`` envelope; an error envelope raises."""
    if not isinstance(payload, dict):
        raise UpstreamError(NAME, url, "answered no JSON object")
    errno = payload.get("errno", OK_ERRNO)
    if errno != OK_ERRNO or payload.get("state") is False:
        raise UpstreamError(NAME, url, f"errno {errno!r}: {payload.get('errmsg', '')}")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise UpstreamError(NAME, url, "answered without a data object")
    return data


def parse_track(item: dict[str, Any]) -> SourceTrack | None:
    """One ``data.typeTrack[]`` entry, or None without a TSID."""
    tsid = str(item.get("TSID") or item.get("id") or "").strip()
    if not tsid:
        return None
    artists = tuple(
        str(a.get("name") or "")
        for a in item.get("artist") or []
        if isinstance(a, dict) and str(a.get("name") or "").strip()
    )
    rate_info = item.get("rateFileInfo")
    rate_info = rate_info if isinstance(rate_info, dict) else {}
    qualities = {
        q.label: q
        for q in (
            quality_for(rate, info.get("format"), info.get("size"))
            for rate, info in rate_info.items()
            if isinstance(info, dict) and _int(rate) >= 128
        )
    }
    return SourceTrack(
        source=NAME,
        remote_id=tsid,
        title=str(item.get("title") or ""),
        artists=artists,
        album=str(item.get("albumTitle") or ""),
        duration_s=_int(item.get("duration")),
        qualities=tuple(sorted(qualities.values(), key=lambda q: q.rank)),
        cover_url=str(item.get("pic") or ""),
        extra={"lyric_url": str(item.get("lyric") or "")},
    )


def parse_search(payload: Any, url: str = SEARCH_URL) -> list[SourceTrack]:
    tracks = unwrap(payload, url).get("typeTrack") or []
    if not isinstance(tracks, list):
        raise UpstreamError(NAME, url, "data.typeTrack is not a list")
    parsed = (parse_track(item) for item in tracks if isinstance(item, dict))
    return [t for t in parsed if t is not None]


def parse_tracklink(payload: Any, url: str = TRACKLINK_URL) -> MediaLink | None:
    """The full-file link, or None when only a trial clip (or nothing) is offered."""
    data = unwrap(payload, url)
    path = str(data.get("path") or "").strip()
    trial = data.get("trail_audio_info")
    trial_path = str(trial.get("path") or "").strip() if isinstance(trial, dict) else ""
    if not path or path == trial_path:
        return None
    return MediaLink(path, quality_for(data.get("rate"), data.get("format"), data.get("size")))


class Source:
    name = NAME

    def __init__(self, client: httpx.AsyncClient, account: Account | None = None) -> None:
        self._account = account
        self._client = client

    async def _get(self, url: str, params: dict[str, Any]) -> Any:
        signed = qianqian_sign.signed(params)
        headers = {**HEADERS, "Cookie": self._account.header()} if self._account else HEADERS
        return await request_json(self._client, NAME, "GET", url, params=signed, headers=headers)

    async def search(self, keyword: str, limit: int) -> list[SourceTrack]:
        params = {"word": keyword, "type": 1, "pageNo": 1, "pageSize": limit}
        return parse_search(await self._get(SEARCH_URL, params))[:limit]

    async def media(self, track: SourceTrack, quality: QualityOption) -> MediaLink | None:
        params = {"TSID": track.remote_id, "rate": RATES.get(quality.label, 320)}
        return parse_tracklink(await self._get(TRACKLINK_URL, params))

    async def check_account(self) -> AccountCheck:
        if self._account is None:
            return AccountCheck(None, "no account set")
        return AccountCheck(
            None, "qianqian has no known official who-am-I call: the account cannot be checked"
        )

    async def lyrics(self, track: SourceTrack) -> str:
        """GET the search item's ``lyric`` URL (from tracklink when the track came without one)."""
        url = str(track.extra.get("lyric_url") or "")
        if "lyric_url" not in track.extra:
            data = unwrap(await self._get(TRACKLINK_URL, {"TSID": track.remote_id}), TRACKLINK_URL)
            url = str(data.get("lyric") or "")
        if not url:
            return ""
        return await request_text(self._client, NAME, "GET", url, headers=HEADERS)

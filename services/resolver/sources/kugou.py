"""Kugou (酷狗) download source: song_search_v2, getSongInfo playInfo per file hash, two-step LRC lyrics.

Every quality is its own file hash (``FileHash`` 128k, ``HQFileHash`` 320k,
``SQFileHash`` FLAC, ``ResFileHash`` hi-res); an empty or all-zero hash means the
quality does not exist. playInfo answers ``url: ""`` for files an anonymous client
may not have (VIP, paid); then the next lower quality is tried. Search sends
``area_code=1`` as lx-music-desktop does (without it some songs are left out). A
playInfo ``url`` whose host refuses the file is replaced by the first ``backup_url``
that answers (checked with HEAD). The user's own kugou.com cookies
(``CATALOGSYNC_KUGOU_COOKIE``, with the ``KuGoo`` login cookie) go with playInfo.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import httpx

from catalogsync.accounts import Account
from catalogsync.http_client import UpstreamError, request_json
from services.resolver.sources.base import QUALITY_RANK, AccountCheck, MediaLink, QualityOption, SourceTrack

NAME = "kugou"
SEARCH_URL = "http://songsearch.kugou.com/song_search_v2"
PLAY_INFO_URL = "http://m.kugou.com/app/i/getSongInfo.php"
LYRIC_SEARCH_URL = "http://lyrics.kugou.com/search"
LYRIC_DOWNLOAD_URL = "http://lyrics.kugou.com/download"
COVER_SIZE = "400"
SEARCH_PARAMS = {"area_code": 1}
_TAGS = re.compile(r"</?em>", re.I)
# (field prefix, quality label, default ext, nominal kbps)
FILES = (
    ("", "128k", "mp3", 128),
    ("HQ", "320k", "mp3", 320),
    ("SQ", "flac", "flac", 900),
    ("Res", "hires", "flac", 2304),
)
_BY_LABEL = {label: (prefix, ext, kbps) for prefix, label, ext, kbps in FILES}


def strip_tags(text: Any) -> str:
    """Remove ``<em>`` highlight tags."""
    return _TAGS.sub("", str(text or ""))


def valid_hash(value: Any) -> str:
    """The hash in upper case, or '' when it is empty or all zeros."""
    text = str(value or "").strip().upper()
    return "" if not text or set(text) == {"0"} else text


def _int(value: Any) -> int:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else 0


def parse_artists(item: dict[str, Any]) -> tuple[str, ...]:
    """``Singers[].name`` when present, else ``SingerName`` split on ``、``."""
    singers = item.get("Singers")
    if isinstance(singers, list):
        names = tuple(strip_tags(s.get("name")) for s in singers if isinstance(s, dict))
        if any(n.strip() for n in names):
            return tuple(n for n in names if n.strip())
    return tuple(part for part in (p.strip() for p in strip_tags(item.get("SingerName")).split("、")) if part)


def parse_item(item: dict[str, Any]) -> SourceTrack | None:
    """One ``data.lists[]`` entry, or None when it has no usable hash."""
    hashes: dict[str, str] = {}
    qualities: list[QualityOption] = []
    for prefix, label, default_ext, kbps in FILES:
        file_hash = valid_hash(item.get(f"{prefix}FileHash"))
        if not file_hash:
            continue
        hashes[label] = file_hash
        ext = str(item.get(f"{prefix}ExtName") or default_ext).lower()
        bitrate = _int(item.get(f"{prefix}Bitrate")) or kbps
        qualities.append(QualityOption(label, ext, bitrate, _int(item.get(f"{prefix}FileSize"))))
    if not hashes:
        return None
    title = strip_tags(item.get("SongName"))
    artists = parse_artists(item)
    image = str(item.get("Image") or "").replace("{size}", COVER_SIZE)
    return SourceTrack(
        source=NAME,
        remote_id=next(iter(hashes.values())),
        title=title,
        artists=artists,
        album=strip_tags(item.get("AlbumName")),
        duration_s=_int(item.get("Duration")),
        qualities=tuple(qualities),
        cover_url=image,
        extra={
            "hashes": hashes,
            "album_id": str(item.get("AlbumID") or ""),
            "singer_name": "、".join(artists),
            "duration_s": _int(item.get("Duration")),
        },
    )


def parse_search(payload: Any, url: str = SEARCH_URL) -> list[SourceTrack]:
    if not isinstance(payload, dict):
        raise UpstreamError(NAME, url, "search answered no JSON object")
    if payload.get("status") != 1:
        code = payload.get("error_code") or payload.get("errcode")
        raise UpstreamError(NAME, url, f"search status {payload.get('status')!r} (error_code {code!r})")
    data = payload.get("data")
    lists = data.get("lists") if isinstance(data, dict) else None
    if not isinstance(lists, list):
        raise UpstreamError(NAME, url, "search answered without data.lists")
    tracks = (parse_item(item) for item in lists if isinstance(item, dict))
    return [t for t in tracks if t is not None]


def parse_play_info(payload: Any, label: str, url: str = PLAY_INFO_URL) -> MediaLink | None:
    """A playInfo answer: the link, or None when ``url`` is empty (VIP, paid, missing)."""
    if not isinstance(payload, dict):
        raise UpstreamError(NAME, url, "playInfo answered no JSON object")
    link = str(payload.get("url") or "").strip()
    if not link:
        return None
    _, default_ext, kbps = _BY_LABEL[label]
    quality = QualityOption(
        label,
        str(payload.get("extName") or default_ext).lower(),
        _int(payload.get("bitRate")) or kbps,
        _int(payload.get("fileSize")),
    )
    return MediaLink(link, quality)


def backup_urls(payload: Any) -> tuple[str, ...]:
    """The ``backup_url`` list of a playInfo answer (other CDN hosts for the same file)."""
    backups = payload.get("backup_url") if isinstance(payload, dict) else None
    if not isinstance(backups, list):
        return ()
    return tuple(str(u).strip() for u in backups if str(u).strip().startswith("http"))


def parse_lyric_candidates(payload: Any, url: str = LYRIC_SEARCH_URL) -> list[tuple[str, str]]:
    """``(id, accesskey)`` of each lyric candidate."""
    if not isinstance(payload, dict) or payload.get("status") != 200:
        raise UpstreamError(NAME, url, "lyric search failed")
    candidates = payload.get("candidates") or []
    if not isinstance(candidates, list):
        raise UpstreamError(NAME, url, "lyric search answered a bad candidates list")
    return [
        (str(c["id"]), str(c["accesskey"]))
        for c in candidates
        if isinstance(c, dict) and c.get("id") and c.get("accesskey")
    ]


def parse_lyric_download(payload: Any, url: str = LYRIC_DOWNLOAD_URL) -> str:
    """The base64 ``content`` of a ``fmt=lrc`` download, decoded as UTF-8."""
    if not isinstance(payload, dict) or payload.get("status") != 200:
        raise UpstreamError(NAME, url, "lyric download failed")
    try:
        return base64.b64decode(str(payload.get("content") or "")).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise UpstreamError(NAME, url, f"lyric content is not base64 UTF-8 LRC: {exc}") from exc


class Source:
    name = NAME

    def __init__(self, client: httpx.AsyncClient, account: Account | None = None) -> None:
        self._account = account
        self._client = client

    async def search(self, keyword: str, limit: int) -> list[SourceTrack]:
        params = {**SEARCH_PARAMS, "keyword": keyword, "page": 1, "pagesize": limit}
        payload = await request_json(self._client, NAME, "GET", SEARCH_URL, params=params)
        return parse_search(payload)[:limit]

    async def media(self, track: SourceTrack, quality: QualityOption) -> MediaLink | None:
        """playInfo for the wanted quality's hash, then each lower one, until a URL comes back."""
        hashes = track.extra.get("hashes") or {"128k": track.remote_id}
        for _, label, _, _ in reversed(FILES):
            file_hash = valid_hash(hashes.get(label))
            if not file_hash or QUALITY_RANK[label] > quality.rank:
                continue
            params = {"cmd": "playInfo", "hash": file_hash}
            headers = {"Cookie": self._account.header()} if self._account else {}
            payload = await request_json(
                self._client, NAME, "GET", PLAY_INFO_URL, params=params, headers=headers
            )
            link = parse_play_info(payload, label)
            if link is not None:
                return await self._answering(link, backup_urls(payload))
        return None

    async def _answers(self, url: str) -> bool:
        try:
            response = await self._client.head(url, follow_redirects=True)
        except httpx.HTTPError:
            return False
        return response.status_code < 400

    async def _answering(self, link: MediaLink, backups: tuple[str, ...]) -> MediaLink:
        """``link``, or the first of ``backups`` that answers when the link's host refuses the file."""
        if not backups or await self._answers(link.url):
            return link
        for backup in backups:
            if await self._answers(backup):
                return MediaLink(backup, link.quality, link.headers)
        return link

    async def check_account(self) -> AccountCheck:
        if self._account is None:
            return AccountCheck(None, "no account set")
        if "KugooID=" not in self._account.get("KuGoo"):
            return AccountCheck(False, "the cookie has no KuGoo login cookie with a KugooID")
        return AccountCheck(None, "kugou has no known official who-am-I call: the account cannot be checked")

    async def lyrics(self, track: SourceTrack) -> str:
        file_hash = valid_hash(track.remote_id)
        singer = str(track.extra.get("singer_name") or "、".join(track.artists))
        params = {
            "ver": 1,
            "man": "yes",
            "client": "pc",
            "keyword": f"{singer} - {track.title}" if singer else track.title,
            "hash": file_hash,
            "timelength": int(track.extra.get("duration_s") or track.duration_s or 0),
        }
        payload = await request_json(self._client, NAME, "GET", LYRIC_SEARCH_URL, params=params)
        candidates = parse_lyric_candidates(payload)
        if not candidates:
            return ""
        lyric_id, accesskey = candidates[0]
        params = {
            "ver": 1,
            "client": "pc",
            "id": lyric_id,
            "accesskey": accesskey,
            "fmt": "lrc",
            "charset": "utf8",
        }
        payload = await request_json(self._client, NAME, "GET", LYRIC_DOWNLOAD_URL, params=params)
        return parse_lyric_download(payload)

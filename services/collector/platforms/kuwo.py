"""Kuwo (酷我) discovery: playlist square, bang toplists, playlist detail, playlist URLs.

Web API calls go through ``KuwoWebSession`` (token cookie + ``Secret``). Playlist
detail falls back to the token-free nplserver when the web API fails. Numbers
may arrive as strings; names carry HTML entities (unescaped once); artists are
one ``&``-joined string plus the first artist's id.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx

from catalogsync.accounts import Account
from catalogsync.http_client import UpstreamError, request_json
from catalogsync.platforms.kuwo_secret import KuwoWebSession
from catalogsync.v1 import collector_pb2, common_pb2
from services.collector.platforms.base import DiscoveryPage, PlaylistNotFound, PlaylistRef, split_on_domain

log = logging.getLogger(__name__)

PLATFORM = "kuwo"
SQUARE_URL = "https://www.kuwo.cn/api/pc/classify/playlist/getRcmPlayList"
BANG_MENU_URL = "https://www.kuwo.cn/api/www/bang/bang/bangMenu"
BANG_SONGS_URL = "https://www.kuwo.cn/api/www/bang/bang/musicList"
PLAYLIST_URL = "https://www.kuwo.cn/api/www/playlist/playListInfo"
NPLSERVER_URL = "http://nplserver.kuwo.cn/pl.svc"
SQUARE_REFERER = "https://www.kuwo.cn/playlists"
RANK_REFERER = "https://www.kuwo.cn/rankList"
NPLSERVER_PARAMS = {
    "op": "getlistinfo",
    "encode": "utf8",
    "keyset": "pl2012",
    "identity": "kuwo",
    "pcmp4": 1,
    "vipver": "MUSIC_9.0.5.0_W1",
    "newver": 1,
}
DETAIL_PAGE_SIZE = 100
# An "&" joins artists unless it starts an entity or touches a space ("Simon & Garfunkel").
_ARTIST_SEPARATOR = re.compile(r"(?<!\s)&(?!\s)(?!#?\w+;)")
_PLAYLIST_PATH = re.compile(r"^/(?:(?:h5app|newh5app|newh5)/)?playlist(?:_detail)?/(\d+)/?$")
_PLAYLIST_QUERY_PATH = re.compile(r"^/(?:(?:h5app|newh5app|newh5)/)?playlist(?:_detail)?/?$")
_RANK_PATH = re.compile(r"^/rankList(?:/(\d+))?/?$")


def clean(value: Any) -> str:
    """Text with HTML entities unescaped once and ``&nbsp;`` as a plain space."""
    return html.unescape(str(value or "")).replace("\xa0", " ")


def to_int(value: Any) -> int:
    """An int from an int, a digit string or a float string; 0 when absent or unreadable."""
    if isinstance(value, bool) or value is None:
        return 0
    try:
        return int(str(value).strip())
    except ValueError:
        try:
            return int(float(str(value)))
        except (ValueError, OverflowError):
            return 0


def split_artists(joined: str, first_id: Any = None) -> list[common_pb2.ArtistRef]:
    """Artists of a ``&``-joined string; the first one gets ``first_id``."""
    parts = _ARTIST_SEPARATOR.split(str(joined or ""))
    names = [clean(p).strip() for p in parts] if len(parts) > 1 else [clean(parts[0])]
    refs = [common_pb2.ArtistRef(name=name) for name in names if name]
    if refs and to_int(first_id) > 0:
        refs[0].remote_id = str(to_int(first_id))
    return refs


def playlist_url(remote_id: str) -> str:
    return f"https://www.kuwo.cn/playlist_detail/{remote_id}"


def toplist_url(bang_id: str) -> str:
    return f"https://www.kuwo.cn/rankList?bangId={bang_id}"


def _raw(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def web_data(payload: Any, url: str, what: str) -> Any:
    """``data`` of a web API answer whose ``code`` is 200; UpstreamError otherwise."""
    if not isinstance(payload, dict):
        raise UpstreamError(PLATFORM, url, f"{what}: expected a JSON object")
    code = to_int(payload.get("code")) if "code" in payload else -1
    if code != 200:
        message = payload.get("msg") or payload.get("message") or "no message"
        raise UpstreamError(PLATFORM, url, f"{what}: code {payload.get('code')!r}: {message}")
    return payload.get("data")


def parse_song(raw: Any, url: str) -> common_pb2.SongSnapshot:
    """A web API song object or an nplserver ``musiclist`` item."""
    if not isinstance(raw, dict):
        raise UpstreamError(PLATFORM, url, f"song entry is {type(raw).__name__}, not an object")
    rid = to_int(str(raw.get("rid") or raw.get("id") or raw.get("musicrid") or "").removeprefix("MUSIC_"))
    if rid <= 0:
        raise UpstreamError(PLATFORM, url, f"song without an id: {_raw(raw)[:120]}")
    return common_pb2.SongSnapshot(
        platform=PLATFORM,
        remote_song_id=str(rid),
        name=clean(raw.get("name")),
        artists=split_artists(raw.get("artist", ""), raw.get("artistid")),
        album=clean(raw.get("album")),
        duration_s=to_int(raw.get("duration")),
        cover_url=str(raw.get("albumpic") or raw.get("pic") or raw.get("pic120") or ""),
        metadata_json=_raw(raw),
    )


def _songs(rows: Any, url: str) -> list[common_pb2.SongSnapshot]:
    if not isinstance(rows, list):
        raise UpstreamError(PLATFORM, url, "track list is missing or not a list")
    return [parse_song(row, url) for row in rows]


def _playlist_id(raw: dict[str, Any], url: str) -> str:
    remote_id = to_int(raw.get("id"))
    if remote_id <= 0:
        raise UpstreamError(PLATFORM, url, f"playlist without an id: {_raw(raw)[:120]}")
    return str(remote_id)


def parse_square(payload: Any, url: str) -> tuple[list[common_pb2.PlaylistSummary], int]:
    """(playlists, total) of a ``getRcmPlayList`` page."""
    data = web_data(payload, url, "playlist square")
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise UpstreamError(PLATFORM, url, "playlist square: data.data is missing")
    playlists = []
    for raw in data["data"]:
        if not isinstance(raw, dict):
            raise UpstreamError(PLATFORM, url, "playlist square: an entry is not an object")
        remote_id = _playlist_id(raw, url)
        playlists.append(
            common_pb2.PlaylistSummary(
                platform=PLATFORM,
                remote_playlist_id=remote_id,
                kind=common_pb2.PLAYLIST_SQUARE,
                name=clean(raw.get("name")),
                cover_url=str(raw.get("img") or ""),
                play_count=to_int(raw.get("listencnt")),
                creator=clean(raw.get("uname") or raw.get("userName")),
                track_count=to_int(raw.get("total")),
                description=clean(raw.get("desc") or raw.get("info")),
                source_url=playlist_url(remote_id),
                metadata_json=_raw(raw),
            )
        )
    return playlists, to_int(data.get("total"))


def parse_toplists(payload: Any, url: str) -> list[common_pb2.PlaylistSummary]:
    """Every board of ``bangMenu``, in order; the id is ``sourceid`` (the bangId)."""
    groups = web_data(payload, url, "toplist index")
    if not isinstance(groups, list):
        raise UpstreamError(PLATFORM, url, "toplist index: data is not a list")
    boards = []
    for group in groups:
        entries = group.get("list") if isinstance(group, dict) else None
        if not isinstance(entries, list):
            raise UpstreamError(PLATFORM, url, "toplist index: a group has no list")
        for raw in entries:
            bang_id = to_int(raw.get("sourceid")) if isinstance(raw, dict) else 0
            if bang_id <= 0:
                raise UpstreamError(PLATFORM, url, f"toplist without a sourceid: {_raw(raw)[:120]}")
            boards.append(
                common_pb2.PlaylistSummary(
                    platform=PLATFORM,
                    remote_playlist_id=str(bang_id),
                    kind=common_pb2.TOPLIST,
                    name=clean(raw.get("name")),
                    cover_url=str(raw.get("pic") or ""),
                    description=clean(raw.get("intro")),
                    source_url=toplist_url(str(bang_id)),
                    metadata_json=_raw(raw),
                )
            )
    return boards


@dataclass(frozen=True)
class DetailPage:
    """One page of a playlist or toplist: the playlist itself (when the page says) and its tracks."""

    tracks: list[common_pb2.SongSnapshot]
    total: int
    summary: common_pb2.PlaylistSummary | None = None


def parse_bang_songs(payload: Any, url: str) -> DetailPage:
    """A page of ``bang/musicList``; ``data.num`` is the (string) total."""
    data = web_data(payload, url, "toplist songs")
    if data is None:
        raise PlaylistNotFound(f"kuwo has no toplist at {url}")
    if not isinstance(data, dict):
        raise UpstreamError(PLATFORM, url, "toplist songs: data is not an object")
    return DetailPage(_songs(data.get("musicList"), url), to_int(data.get("num")))


def _detail_summary(raw: dict[str, Any], remote_id: str) -> common_pb2.PlaylistSummary:
    meta = {k: v for k, v in raw.items() if k.lower() != "musiclist"}
    return common_pb2.PlaylistSummary(
        platform=PLATFORM,
        remote_playlist_id=remote_id,
        kind=common_pb2.PLAYLIST_SQUARE,
        name=clean(raw.get("name") or raw.get("title")),
        cover_url=str(raw.get("img500") or raw.get("img") or raw.get("pic") or ""),
        play_count=to_int(raw.get("listencnt") or raw.get("playnum")),
        creator=clean(raw.get("uname") or raw.get("userName")),
        track_count=to_int(raw.get("total")),
        description=clean(raw.get("info") or raw.get("desc")),
        source_url=playlist_url(remote_id),
        metadata_json=_raw(meta),
    )


def parse_playlist_info(payload: Any, url: str) -> DetailPage:
    """A page of the web ``playListInfo``; ``data: null`` means there is no such playlist."""
    data = web_data(payload, url, "playlist detail")
    if data is None:
        raise PlaylistNotFound(f"kuwo has no playlist at {url}")
    if not isinstance(data, dict):
        raise UpstreamError(PLATFORM, url, "playlist detail: data is not an object")
    summary = _detail_summary(data, _playlist_id(data, url))
    return DetailPage(_songs(data.get("musicList"), url), to_int(data.get("total")), summary)


def parse_nplserver_playlist(payload: Any, url: str) -> DetailPage:
    """A page of nplserver ``getlistinfo`` (``result: "ok"``, string numbers, 0-based pn)."""
    if not isinstance(payload, dict) or payload.get("result") != "ok":
        result = payload.get("result") if isinstance(payload, dict) else type(payload).__name__
        raise UpstreamError(PLATFORM, url, f"nplserver playlist: result {result!r}")
    summary = _detail_summary(payload, _playlist_id(payload, url))
    return DetailPage(_songs(payload.get("musiclist"), url), to_int(payload.get("total")), summary)


async def collect_pages(
    fetch: Callable[[int], Awaitable[DetailPage]], track_limit: int
) -> tuple[DetailPage, list[common_pb2.SongSnapshot]]:
    """(first page, tracks) over pages 1, 2, ... until the total, an empty or repeated page, or the limit.

    Progress is counted in tracks received, not pages × size: servers may cap the page size.
    """
    first: DetailPage | None = None
    tracks: list[common_pb2.SongSnapshot] = []
    seen: set[str] = set()
    number = 1
    while True:
        page = await fetch(number)
        first = first or page
        fresh = [t for t in page.tracks if t.remote_song_id not in seen]
        seen.update(t.remote_song_id for t in fresh)
        tracks.extend(fresh)
        if track_limit and len(tracks) >= track_limit:
            return first, tracks[:track_limit]
        if not fresh or len(tracks) >= page.total:
            return first, tracks
        number += 1


def parse_url(url: str) -> PlaylistRef | None:
    """The playlist or toplist a Kuwo URL points at (kuwo.md §8), or None."""
    parts = split_on_domain(url, "kuwo.cn")
    if parts is None:
        return None
    # Bodian (波点) collections live in another app with their own ids and API
    # (bd-api.kuwo.cn); their playlistId is not a Kuwo playlist id.
    if "/bodian/" in parts.path:
        return None
    path = parts.fragment if parts.fragment.startswith("/") else parts.path
    path, _, fragment_query = path.partition("?")
    query = parse_qs(fragment_query or parts.query)
    match = _PLAYLIST_PATH.match(path)
    if match:
        return PlaylistRef(match.group(1), common_pb2.PLAYLIST_SQUARE)
    pid = query.get("pid", [""])[0]
    if _PLAYLIST_QUERY_PATH.match(path) and pid.isdigit():
        return PlaylistRef(pid, common_pb2.PLAYLIST_SQUARE)
    match = _RANK_PATH.match(path)
    if match:
        # A bare /rankList shows "the first board", which only the live index knows.
        bang_id = match.group(1) or query.get("bangId", [""])[0]
        return PlaylistRef(bang_id, common_pb2.TOPLIST) if bang_id.isdigit() else None
    return None


class Platform:
    """Kuwo discovery adapter."""

    name = PLATFORM

    def __init__(
        self,
        client: httpx.AsyncClient,
        account: Account | None = None,
        *,
        detail_page_size: int = DETAIL_PAGE_SIZE,
    ) -> None:
        self._account = account
        self._client = client
        self._session = KuwoWebSession.for_client(client)
        self._detail_page_size = max(1, detail_page_size)

    async def _toplists(self) -> list[common_pb2.PlaylistSummary]:
        payload = await self._session.get_json(BANG_MENU_URL, {"httpsStatus": 1}, referer=RANK_REFERER)
        return parse_toplists(payload, BANG_MENU_URL)

    async def list_discovery(self, kind: int, page_size: int) -> AsyncIterator[DiscoveryPage]:
        page_size = max(1, page_size)
        if kind == common_pb2.TOPLIST:
            boards = await self._toplists()
            for start in range(0, len(boards) or 1, page_size):
                yield DiscoveryPage(
                    page=start // page_size + 1,
                    playlists=boards[start : start + page_size],
                    upstream_total=len(boards),
                    has_more=start + page_size < len(boards),
                )
            return
        if kind != common_pb2.PLAYLIST_SQUARE:
            raise ValueError(f"kuwo has no discovery kind {kind}")
        seen: set[str] = set()
        number = 1
        while True:
            params = {"pn": number, "rn": page_size, "order": "hot", "httpsStatus": 1}
            payload = await self._session.get_json(SQUARE_URL, params, referer=SQUARE_REFERER)
            playlists, total = parse_square(payload, SQUARE_URL)
            fresh = [p for p in playlists if p.remote_playlist_id not in seen]
            if not fresh:
                return
            seen.update(p.remote_playlist_id for p in fresh)
            has_more = len(seen) < total if total else len(playlists) >= page_size
            yield DiscoveryPage(page=number, playlists=fresh, upstream_total=total, has_more=has_more)
            if not has_more:
                return
            number += 1

    async def fetch_playlist(
        self, remote_playlist_id: str, kind: int, track_limit: int
    ) -> collector_pb2.FetchPlaylistResponse:
        remote_id = remote_playlist_id.strip()
        if not remote_id.isdigit():
            raise PlaylistNotFound(f"{remote_id!r} is not a kuwo playlist id")
        if kind == common_pb2.TOPLIST:
            return await self._fetch_toplist(remote_id, track_limit)
        try:
            return await self._fetch_web_playlist(remote_id, track_limit)
        except UpstreamError as exc:
            log.info("kuwo playlist %s: web API failed (%s); trying nplserver", remote_id, exc)
            try:
                return await self._fetch_nplserver_playlist(remote_id, track_limit)
            except UpstreamError as fallback:
                log.info("kuwo playlist %s: nplserver failed too (%s)", remote_id, fallback)
                raise exc from None

    def _rows(self, track_limit: int) -> int:
        return min(self._detail_page_size, track_limit) if track_limit > 0 else self._detail_page_size

    async def _fetch_web_playlist(
        self, remote_id: str, track_limit: int
    ) -> collector_pb2.FetchPlaylistResponse:
        rows = self._rows(track_limit)

        async def fetch(number: int) -> DetailPage:
            params = {"pid": remote_id, "pn": number, "rn": rows, "httpsStatus": 1}
            referer = playlist_url(remote_id)
            return parse_playlist_info(
                await self._session.get_json(PLAYLIST_URL, params, referer=referer), PLAYLIST_URL
            )

        first, tracks = await collect_pages(fetch, track_limit)
        return collector_pb2.FetchPlaylistResponse(playlist=first.summary, tracks=tracks)

    async def _fetch_nplserver_playlist(
        self, remote_id: str, track_limit: int
    ) -> collector_pb2.FetchPlaylistResponse:
        rows = self._rows(track_limit)

        async def fetch(number: int) -> DetailPage:
            params = {**NPLSERVER_PARAMS, "pid": remote_id, "pn": number - 1, "rn": rows}
            payload = await request_json(self._client, PLATFORM, "GET", NPLSERVER_URL, params=params)
            return parse_nplserver_playlist(payload, NPLSERVER_URL)

        first, tracks = await collect_pages(fetch, track_limit)
        return collector_pb2.FetchPlaylistResponse(playlist=first.summary, tracks=tracks)

    async def _fetch_toplist(self, bang_id: str, track_limit: int) -> collector_pb2.FetchPlaylistResponse:
        rows = self._rows(track_limit)

        async def fetch(number: int) -> DetailPage:
            params = {"bangId": bang_id, "pn": number, "rn": rows, "httpsStatus": 1}
            payload = await self._session.get_json(BANG_SONGS_URL, params, referer=RANK_REFERER)
            return parse_bang_songs(payload, BANG_SONGS_URL)

        first, tracks = await collect_pages(fetch, track_limit)
        if not first.tracks and first.total == 0:
            raise PlaylistNotFound(f"kuwo has no toplist {bang_id}")
        boards = {b.remote_playlist_id: b for b in await self._toplists()}
        summary = boards.get(bang_id) or common_pb2.PlaylistSummary(
            platform=PLATFORM,
            remote_playlist_id=bang_id,
            kind=common_pb2.TOPLIST,
            source_url=toplist_url(bang_id),
        )
        summary.track_count = first.total
        return collector_pb2.FetchPlaylistResponse(playlist=summary, tracks=tracks)

"""Kuwo (酷我) discovery: playlist square, bang toplists and playlist detail, each with a fallback.

Order (kuwo.md §1–§4, lx-music-desktop ``kw/songList``/``leaderboard`` as of 2026):
- square: token-free ``wapi.kuwo.cn`` first, the same path on ``www.kuwo.cn`` second;
- playlist detail: token-free nplserver first, the web ``playListInfo`` (token + Secret) second;
- toplist index: web ``bangMenu`` first, the token-free qukudata board tree second;
- toplist songs: web ``bang/musicList`` first, token-free kbangserver ``ksong.s`` second.
A route that answers "no such playlist" is not retried elsewhere only when every route says so.
The user's own login cookies (``CATALOGSYNC_KUWO_COOKIE``) go with web API calls.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import httpx

from catalogsync.accounts import Account
from catalogsync.http_client import UpstreamError, request_json
from catalogsync.platforms.kuwo import (
    KBANG_URL,
    NPLSERVER_URL,
    PLATFORM,
    QUKU_URL,
    WAPI_PARAMS,
    WAPI_SQUARE_URL,
    account_cookies,
)
from catalogsync.platforms.kuwo_secret import KuwoWebSession
from catalogsync.v1 import collector_pb2, common_pb2
from services.collector.platforms.base import DiscoveryPage, PlaylistNotFound
from services.collector.platforms.kuwo_parse import (
    DetailPage,
    collect_pages,
    parse_bang_songs,
    parse_kbang_songs,
    parse_nplserver_playlist,
    parse_playlist_info,
    parse_quku_boards,
    parse_square,
    parse_toplists,
    playlist_url,
    toplist_url,
)

log = logging.getLogger(__name__)

SQUARE_URL = "https://www.kuwo.cn/api/pc/classify/playlist/getRcmPlayList"
BANG_MENU_URL = "https://www.kuwo.cn/api/www/bang/bang/bangMenu"
BANG_SONGS_URL = "https://www.kuwo.cn/api/www/bang/bang/musicList"
PLAYLIST_URL = "https://www.kuwo.cn/api/www/playlist/playListInfo"
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
QUKU_TREE_PARAMS = {"op": "query", "cont": "tree", "node": 2, "pn": 0, "rn": 1000, "fmt": "json", "level": 2}
KBANG_PARAMS = {
    "from": "pc",
    "fmt": "json",
    "type": "bang",
    "data": "content",
    "show_copyright_off": 0,
    "pcmp4": 1,
    "isbang": 1,
}
DETAIL_PAGE_SIZE = 100
T = TypeVar("T")


async def first_answer(what: str, routes: list[tuple[str, Callable[[], Awaitable[T]]]]) -> T:
    """The answer of the first route that gives one.

    PlaylistNotFound when a route said so and the others failed; otherwise the first failure."""
    failures: list[Exception] = []
    for name, route in routes:
        try:
            return await route()
        except (UpstreamError, PlaylistNotFound) as exc:
            log.info("kuwo %s: %s failed (%s)", what, name, exc)
            failures.append(exc)
    not_found = [f for f in failures if isinstance(f, PlaylistNotFound)]
    raise not_found[0] if not_found else failures[0]


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

    async def _web(self, url: str, params: dict[str, object], referer: str) -> dict[str, object]:
        return await self._session.get_json(
            url, params, referer=referer, user_cookies=account_cookies(self._account)
        )

    async def _plain(self, url: str, params: dict[str, object]) -> object:
        return await request_json(self._client, PLATFORM, "GET", url, params=params)

    async def _toplists(self) -> list[common_pb2.PlaylistSummary]:
        async def web() -> list[common_pb2.PlaylistSummary]:
            return parse_toplists(
                await self._web(BANG_MENU_URL, {"httpsStatus": 1}, RANK_REFERER), BANG_MENU_URL
            )

        async def tree() -> list[common_pb2.PlaylistSummary]:
            return parse_quku_boards(await self._plain(QUKU_URL, QUKU_TREE_PARAMS), QUKU_URL)

        return await first_answer("toplist index", [("web bangMenu", web), ("qukudata tree", tree)])

    async def _square_page(self, number: int, size: int) -> tuple[list[common_pb2.PlaylistSummary], int]:
        params = {"pn": number, "rn": size, "order": "hot", "httpsStatus": 1}

        async def wapi() -> tuple[list[common_pb2.PlaylistSummary], int]:
            return parse_square(
                await self._plain(WAPI_SQUARE_URL, {**WAPI_PARAMS, **params}), WAPI_SQUARE_URL
            )

        async def www() -> tuple[list[common_pb2.PlaylistSummary], int]:
            return parse_square(await self._web(SQUARE_URL, params, SQUARE_REFERER), SQUARE_URL)

        return await first_answer("playlist square", [("wapi square", wapi), ("www square", www)])

    async def list_discovery(
        self, kind: common_pb2.DiscoveryKind, page_size: int
    ) -> AsyncIterator[DiscoveryPage]:
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
            playlists, total = await self._square_page(number, page_size)
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
        self, remote_playlist_id: str, kind: common_pb2.DiscoveryKind, track_limit: int
    ) -> collector_pb2.FetchPlaylistResponse:
        remote_id = remote_playlist_id.strip()
        if not remote_id.isdigit():
            raise PlaylistNotFound(f"{remote_id!r} is not a kuwo playlist id")
        if kind == common_pb2.TOPLIST:
            return await self._fetch_toplist(remote_id, track_limit)

        async def nplserver() -> collector_pb2.FetchPlaylistResponse:
            return await self._paged(self._nplserver_page(remote_id, track_limit), track_limit)

        async def web() -> collector_pb2.FetchPlaylistResponse:
            return await self._paged(self._web_playlist_page(remote_id, track_limit), track_limit)

        return await first_answer(
            f"playlist {remote_id}", [("nplserver", nplserver), ("web playListInfo", web)]
        )

    def _rows(self, track_limit: int) -> int:
        return min(self._detail_page_size, track_limit) if track_limit > 0 else self._detail_page_size

    async def _paged(
        self, fetch: Callable[[int], Awaitable[DetailPage]], track_limit: int
    ) -> collector_pb2.FetchPlaylistResponse:
        first, tracks = await collect_pages(fetch, track_limit)
        return collector_pb2.FetchPlaylistResponse(playlist=first.summary, tracks=tracks)

    def _web_playlist_page(self, remote_id: str, track_limit: int) -> Callable[[int], Awaitable[DetailPage]]:
        rows = self._rows(track_limit)

        async def fetch(number: int) -> DetailPage:
            params = {"pid": remote_id, "pn": number, "rn": rows, "httpsStatus": 1}
            return parse_playlist_info(
                await self._web(PLAYLIST_URL, params, playlist_url(remote_id)), PLAYLIST_URL
            )

        return fetch

    def _nplserver_page(self, remote_id: str, track_limit: int) -> Callable[[int], Awaitable[DetailPage]]:
        rows = self._rows(track_limit)

        async def fetch(number: int) -> DetailPage:
            params = {**NPLSERVER_PARAMS, "pid": remote_id, "pn": number - 1, "rn": rows}
            return parse_nplserver_playlist(await self._plain(NPLSERVER_URL, params), NPLSERVER_URL)

        return fetch

    async def _fetch_toplist(self, bang_id: str, track_limit: int) -> collector_pb2.FetchPlaylistResponse:
        rows = self._rows(track_limit)

        async def web(number: int) -> DetailPage:
            params = {"bangId": bang_id, "pn": number, "rn": rows, "httpsStatus": 1}
            return parse_bang_songs(await self._web(BANG_SONGS_URL, params, RANK_REFERER), BANG_SONGS_URL)

        async def kbang(number: int) -> DetailPage:
            params = {**KBANG_PARAMS, "id": bang_id, "pn": number - 1, "rn": rows}
            return parse_kbang_songs(await self._plain(KBANG_URL, params), KBANG_URL)

        async def pages_of(
            fetch: Callable[[int], Awaitable[DetailPage]],
        ) -> tuple[DetailPage, list[common_pb2.SongSnapshot]]:
            first, tracks = await collect_pages(fetch, track_limit)
            if not first.tracks and first.total == 0:
                raise PlaylistNotFound(f"kuwo has no toplist {bang_id}")
            return first, tracks

        first, tracks = await first_answer(
            f"toplist {bang_id}",
            [("web bang/musicList", lambda: pages_of(web)), ("kbangserver", lambda: pages_of(kbang))],
        )
        summary = first.summary
        if summary is None or not summary.name:
            try:
                boards = {b.remote_playlist_id: b for b in await self._toplists()}
            except UpstreamError:
                boards = {}
            summary = boards.get(bang_id) or common_pb2.PlaylistSummary(
                platform=PLATFORM,
                remote_playlist_id=bang_id,
                kind=common_pb2.TOPLIST,
                source_url=toplist_url(bang_id),
            )
        summary.track_count = first.total
        return collector_pb2.FetchPlaylistResponse(playlist=summary, tracks=tracks)

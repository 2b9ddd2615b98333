"""QQ Music discovery: playlist square, toplists (musicu gateway), playlist detail, URL forms.

Playlist detail tries, in order: the legacy CGI ``fcg_ucc_getcdinfo_byids_cp`` (paged with
``song_begin``/``song_num``); when it answers ``subcode 4000`` / no ``cdlist`` (many public
playlists since 2026-03), the gateway ``music.srfDissInfo.aiDissInfo`` /
``uniform_get_Dissinfo`` as lx-music-mobile does (2026-05); then ``music.srfDissInfo.DissInfo``
/ ``CgiGetDiss`` (luren-dc). The gateway routes are also tried when the CGI fails outright.
A playlist is "not found or private" only when all three say so.
The user's own QQ login (cookies and ``comm``) goes along, so their private playlists work.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator

import httpx

from catalogsync.accounts import Account
from catalogsync.http_client import UpstreamError, request_json
from catalogsync.platforms.qq import MUSICU_URL, PLATFORM, SITE_HEADERS, musicu, musicu_raw, request_headers
from catalogsync.v1 import collector_pb2, common_pb2
from services.collector.platforms.base import DiscoveryPage, PlaylistNotFound
from services.collector.platforms.qq_parse import (
    PlaylistPage,
    parse_dissinfo,
    parse_playlist_detail,
    parse_square,
    parse_toplist_detail,
    parse_toplists,
)

SQUARE_URL = "https://c.y.qq.com/splcloud/fcgi-bin/fcg_get_diss_by_tag.fcg"
DETAIL_URL = "https://c.y.qq.com/qzone/fcg-bin/fcg_ucc_getcdinfo_byids_cp.fcg"
DETAIL_HEADERS = {"Referer": "https://y.qq.com/n/yqq/playlist"}
TOPLIST_MODULE = "musicToplist.ToplistInfoServer"
CGI_PARAMS = {
    "g_tk": 5381,
    "loginUin": 0,
    "hostUin": 0,
    "format": "json",
    "inCharset": "utf8",
    "outCharset": "utf-8",
    "notice": 0,
    "needNewCode": 0,
}
TOPLIST_PAGE = 100
DETAIL_PAGE = 1000
GATEWAY_PAGE = 100
# Gateway playlist routes after the legacy CGI, in the order they are tried.
DISS_ROUTES = (
    ("music.srfDissInfo.aiDissInfo", "uniform_get_Dissinfo"),
    ("music.srfDissInfo.DissInfo", "CgiGetDiss"),
)


def guess_period(today: datetime.date | None = None) -> str:
    """This week's chart period (``YYYY_W``); the answer says when a chart uses another one."""
    year, week, _ = (today or datetime.date.today()).isocalendar()
    return f"{year}_{week}"


class Platform:
    name = PLATFORM

    def __init__(self, client: httpx.AsyncClient, account: Account | None = None) -> None:
        self._account = account
        self._client = client

    def list_discovery(self, kind: common_pb2.DiscoveryKind, page_size: int) -> AsyncIterator[DiscoveryPage]:
        if kind == common_pb2.TOPLIST:
            return self._toplists(page_size)
        return self._square(page_size)

    async def _square(self, page_size: int) -> AsyncIterator[DiscoveryPage]:
        sin, page = 0, 1
        while True:
            params = {
                **CGI_PARAMS,
                "platform": "yqq.json",
                "picmid": 1,
                "categoryId": 10000000,
                "sortId": 5,
                "sin": sin,
                "ein": sin + page_size - 1,
            }
            payload = await request_json(
                self._client, PLATFORM, "GET", SQUARE_URL, params=params, headers=SITE_HEADERS
            )
            found = parse_square(payload, SQUARE_URL)
            sin += found.received  # the server may clamp ein: advance by what came back
            more = found.received > 0 and sin < found.total
            yield DiscoveryPage(page, found.playlists, found.total, has_more=more)
            if not more:
                return
            page += 1

    async def _toplists(self, page_size: int) -> AsyncIterator[DiscoveryPage]:
        data = await musicu(self._client, "toplist", TOPLIST_MODULE, "GetAll", {})
        toplists = parse_toplists(data, MUSICU_URL)
        size = max(1, page_size)
        chunks = [toplists[i : i + size] for i in range(0, len(toplists), size)] or [[]]
        for number, chunk in enumerate(chunks, start=1):
            yield DiscoveryPage(number, chunk, len(toplists), has_more=number < len(chunks))

    async def fetch_playlist(
        self, remote_playlist_id: str, kind: common_pb2.DiscoveryKind, track_limit: int
    ) -> collector_pb2.FetchPlaylistResponse:
        if kind == common_pb2.TOPLIST:
            return await self._toplist(remote_playlist_id, track_limit)
        return await self._playlist(remote_playlist_id, track_limit)

    async def _toplist(self, top_id: str, track_limit: int) -> collector_pb2.FetchPlaylistResponse:
        if not top_id.isdigit():
            raise PlaylistNotFound(f"toplist id {top_id!r} is not a number")
        period, asked_again = guess_period(), False
        response = collector_pb2.FetchPlaylistResponse()
        seen: set[str] = set()
        while True:
            offset = len(response.tracks)
            num = min(TOPLIST_PAGE, track_limit - offset) if track_limit > 0 else TOPLIST_PAGE
            param = {"topId": int(top_id), "offset": offset, "num": num, "period": period}
            data = await musicu(self._client, "detail", TOPLIST_MODULE, "GetDetail", param)
            page = parse_toplist_detail(data, MUSICU_URL)
            if page.period and page.period != period and not asked_again:
                period, asked_again = page.period, True  # the chart uses another period: ask with it
                continue
            fresh = [t for t in page.tracks if t.remote_song_id not in seen]
            seen.update(t.remote_song_id for t in fresh)
            if offset == 0:
                response.playlist.CopyFrom(page.summary)
            response.tracks.extend(fresh)
            done = len(response.tracks)
            if not fresh or done >= page.total or (track_limit > 0 and done >= track_limit):
                return response

    async def _playlist(self, remote_id: str, track_limit: int) -> collector_pb2.FetchPlaylistResponse:
        refusals: list[str] = []
        cgi_error: UpstreamError | None = None
        try:
            return await self._playlist_by_cgi(remote_id, track_limit)
        except PlaylistNotFound as exc:
            refusals.append(f"CGI: {exc}")
        except UpstreamError as exc:  # the CGI failed: the gateway may still answer
            cgi_error = exc
        if remote_id.isdigit():
            for module, method in DISS_ROUTES:
                found = await self._playlist_by_gateway(remote_id, track_limit, module, method)
                if found is not None:
                    return found
                refusals.append(f"{method}: no playlist")
        if cgi_error is not None:
            raise cgi_error  # not "not found": the route that might have known failed
        raise PlaylistNotFound(f"playlist {remote_id} not found or private ({'; '.join(refusals)})")

    async def _playlist_by_cgi(self, remote_id: str, track_limit: int) -> collector_pb2.FetchPlaylistResponse:
        response = collector_pb2.FetchPlaylistResponse()
        seen: set[str] = set()
        headers = request_headers(self._account, base=DETAIL_HEADERS)
        while True:
            params = {
                **CGI_PARAMS,
                "platform": "yqq",
                "type": 1,
                "json": 1,
                "utf8": 1,
                "onlysong": 0,
                "disstid": remote_id,
                "song_begin": len(response.tracks),
                "song_num": DETAIL_PAGE,
            }
            payload = await request_json(
                self._client, PLATFORM, "GET", DETAIL_URL, params=params, headers=headers
            )
            page = parse_playlist_detail(payload, DETAIL_URL)
            if _add_page(response, page, seen, track_limit):
                return response

    async def _playlist_by_gateway(
        self, remote_id: str, track_limit: int, module: str, method: str
    ) -> collector_pb2.FetchPlaylistResponse | None:
        """One gateway route, paged with ``song_begin``/``song_num``; None when it has no playlist."""
        response = collector_pb2.FetchPlaylistResponse()
        seen: set[str] = set()
        begin = 0
        while True:
            param = {
                "disstid": int(remote_id),
                "enc_host_uin": "",
                "tag": 1,
                "userinfo": 1,
                "orderlist": 1,
                "onlysonglist": 0,
                "song_begin": begin,
                "song_num": GATEWAY_PAGE,
            }
            payload = await musicu_raw(self._client, "req_0", module, method, param, account=self._account)
            if not isinstance(payload, dict) or payload.get("code") != 0:
                code = payload.get("code") if isinstance(payload, dict) else None
                raise UpstreamError(PLATFORM, MUSICU_URL, f"{module}.{method}: gateway code {code!r}")
            part = payload.get("req_0")
            data = part.get("data") if isinstance(part, dict) and part.get("code") == 0 else None
            page = parse_dissinfo(data, MUSICU_URL, remote_id) if isinstance(data, dict) else None
            if page is None:
                return response if response.tracks else None
            begin += len(page.tracks)
            if _add_page(response, page, seen, track_limit):
                return response


def _add_page(
    response: collector_pb2.FetchPlaylistResponse, page: PlaylistPage, seen: set[str], track_limit: int
) -> bool:
    """Append a page's new tracks; True when the playlist is complete (or the limit is reached)."""
    fresh = [t for t in page.tracks if t.remote_song_id not in seen]
    seen.update(t.remote_song_id for t in fresh)
    if not response.tracks:
        response.playlist.CopyFrom(page.summary)
    response.tracks.extend(fresh)
    if track_limit > 0 and len(response.tracks) >= track_limit:
        del response.tracks[track_limit:]
        return True
    return not fresh or len(response.tracks) >= page.total

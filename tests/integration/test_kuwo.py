"""Kuwo token session and discovery adapter against the sandbox over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from catalogsync.http_client import UpstreamError
from catalogsync.platforms.kuwo import NPLSERVER_URL
from catalogsync.platforms.kuwo_secret import KuwoWebSession, TokenCookie
from catalogsync.v1 import common_pb2
from sandbox import ids
from sandbox.catalog import Catalog, CatalogConfig
from services.collector.platforms.base import PlaylistNotFound
from services.collector.platforms.kuwo import BANG_MENU_URL, SQUARE_URL, Platform
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.anyio
TOKEN_NAME = "Hm_Iuvt_cdb524f42f23cer9b268564v7y735ewrq2324"
WAPI_PATH = "/api/pc/classify/playlist/getRcmPlayList"


@pytest.fixture(scope="module")
def summary(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.admin("GET", "catalog")


@pytest.fixture(scope="module")
def world(summary: dict[str, Any]) -> Catalog:
    """The sandbox's deterministic catalog, rebuilt from its config."""
    return Catalog(CatalogConfig(**summary["config"]))


def hits(sandbox: Sandbox, path: str) -> int:
    return sandbox.requests()["requests"].get(path, 0)


async def test_web_api_refuses_without_token_cookie_or_secret(sandbox: Sandbox) -> None:
    async with sandbox.client() as client:
        bare = (await client.get(BANG_MENU_URL, params={"httpsStatus": 1})).json()
        assert bare["success"] is False and "code" not in bare
        cookie = await KuwoWebSession(client).token()
        headers = {"Cookie": f"{cookie.name}={cookie.value}", "Referer": "https://www.kuwo.cn/"}
        no_secret = (await client.get(BANG_MENU_URL, headers=headers)).json()
        assert no_secret["success"] is False
        bad_secret = (await client.get(BANG_MENU_URL, headers={**headers, "Secret": "NOT-HEX"})).json()
        assert bad_secret["success"] is False
        square = (await client.get(SQUARE_URL, params={"pn": 1, "rn": 2})).json()
        assert square["code"] == 200  # the square needs no token


async def test_session_fetches_a_token_once_and_signs_requests(sandbox: Sandbox) -> None:
    home, menu = hits(sandbox, "www.kuwo.cn/"), hits(sandbox, "www.kuwo.cn/api/www/bang/bang/bangMenu")
    async with sandbox.client() as client:
        session = KuwoWebSession(client)
        for _ in range(2):
            payload = await session.get_json(BANG_MENU_URL, {"httpsStatus": 1})
            assert payload["code"] == 200
        assert (await session.token()).name == TOKEN_NAME
    assert hits(sandbox, "www.kuwo.cn/") == home + 1
    assert hits(sandbox, "www.kuwo.cn/api/www/bang/bang/bangMenu") == menu + 2


async def test_refused_token_is_refreshed_once(sandbox: Sandbox) -> None:
    home, menu = hits(sandbox, "www.kuwo.cn/"), hits(sandbox, "www.kuwo.cn/api/www/bang/bang/bangMenu")
    async with sandbox.client() as client:
        session = KuwoWebSession(client, TokenCookie(TOKEN_NAME, "expiredToken"))
        payload = await session.get_json(BANG_MENU_URL, {"httpsStatus": 1})
        assert payload["code"] == 200
        assert (await session.token()).value != "expiredToken"
    assert hits(sandbox, "www.kuwo.cn/") == home + 1
    assert hits(sandbox, "www.kuwo.cn/api/www/bang/bang/bangMenu") == menu + 2


async def test_token_page_failure_is_an_upstream_error(sandbox_faults: Sandbox) -> None:
    sandbox_faults.set_faults({"host": "www.kuwo.cn", "path_prefix": "/", "status": 503})
    async with sandbox_faults.client() as client:
        with pytest.raises(UpstreamError, match=r"kuwo: token page: HTTP 503 \(https://www.kuwo.cn/\)"):
            await KuwoWebSession(client).get_json(BANG_MENU_URL, {})


async def test_square_pages_until_the_total(sandbox: Sandbox, summary: dict[str, Any]) -> None:
    expected = [p["remote_id"] for p in summary["playlists"]["kuwo"]["playlist_square"]]
    async with sandbox.client() as client:
        pages = [page async for page in Platform(client).list_discovery(common_pb2.PLAYLIST_SQUARE, 2)]
    ids = [p.remote_playlist_id for page in pages for p in page.playlists]
    assert ids == expected
    assert [page.page for page in pages] == [1, 2]
    assert [page.has_more for page in pages] == [True, False]
    assert {page.upstream_total for page in pages} == {len(expected)}
    names = [p["name"] for p in summary["playlists"]["kuwo"]["playlist_square"]]
    assert [p.name for page in pages for p in page.playlists] == names  # incl. "late night & rainy days"


async def test_square_past_the_end_repeats_the_last_page(sandbox: Sandbox, summary: dict[str, Any]) -> None:
    expected = [p["remote_id"] for p in summary["playlists"]["kuwo"]["playlist_square"]]
    async with sandbox.client() as client:
        payload = (await client.get(SQUARE_URL, params={"pn": 9, "rn": 2, "order": "hot"})).json()
    assert payload["data"]["total"] == str(len(expected))
    assert [p["id"] for p in payload["data"]["data"]] == expected[2:]


async def test_toplists_are_bang_ids(sandbox: Sandbox, summary: dict[str, Any]) -> None:
    expected = [p["remote_id"] for p in summary["playlists"]["kuwo"]["toplist"]]
    async with sandbox.client() as client:
        pages = [page async for page in Platform(client).list_discovery(common_pb2.TOPLIST, 1)]
    assert [p.remote_playlist_id for page in pages for p in page.playlists] == expected == ["93", "17"]
    assert [page.has_more for page in pages] == [True, False]


def _artists(world: Catalog, key: int) -> list[str]:
    return list(world.track(key).artists)


async def test_fetch_playlist_pages_and_keeps_hostile_names(sandbox: Sandbox, world: Catalog) -> None:
    playlist = world.playlist("kuwo", "playlist_square", 0)
    before = hits(sandbox, "nplserver.kuwo.cn/pl.svc")
    web_before = hits(sandbox, "www.kuwo.cn/api/www/playlist/playListInfo")
    async with sandbox.client() as client:
        platform = Platform(client, detail_page_size=3)
        response = await platform.fetch_playlist(playlist.remote_id, common_pb2.PLAYLIST_SQUARE, 0)
        limited = await platform.fetch_playlist(playlist.remote_id, common_pb2.PLAYLIST_SQUARE, 4)
    assert hits(sandbox, "nplserver.kuwo.cn/pl.svc") == before + 4 + 2  # token-free server first
    assert hits(sandbox, "www.kuwo.cn/api/www/playlist/playListInfo") == web_before
    assert response.playlist.name == playlist.name
    assert response.playlist.track_count == len(playlist.track_keys)
    assert [t.name for t in response.tracks] == [world.track(k).title for k in playlist.track_keys]
    assert [[a.name for a in t.artists] for t in response.tracks] == [
        _artists(world, k) for k in playlist.track_keys
    ]
    titles = {t.name for t in response.tracks}
    assert {"../../etc/passwd", "nul\x00byte\x01ctrl", "x" * 300, "  .hidden. "} <= titles
    first = response.tracks[0]
    assert [a.name for a in first.artists] == ["林一舟", "Mira Chen"]
    assert first.artists[0].remote_id and not first.artists[1].remote_id
    assert first.duration_s == 231
    assert len(limited.tracks) == 4


async def test_fetch_toplist(sandbox: Sandbox, world: Catalog) -> None:
    board = world.playlist("kuwo", "toplist", 0)
    async with sandbox.client() as client:
        response = await Platform(client, detail_page_size=4).fetch_playlist("93", common_pb2.TOPLIST, 0)
    assert (response.playlist.remote_playlist_id, response.playlist.name) == ("93", board.name)
    assert response.playlist.kind == common_pb2.TOPLIST
    assert response.playlist.track_count == len(board.track_keys)
    assert [t.name for t in response.tracks] == [world.track(k).title for k in board.track_keys]


async def test_unknown_playlist_and_toplist_are_not_found(sandbox: Sandbox, world: Catalog) -> None:
    missing = str(int(world.playlist("kuwo", "playlist_square", 0).remote_id) + 500)
    async with sandbox.client() as client:
        platform = Platform(client)
        with pytest.raises(PlaylistNotFound):
            await platform.fetch_playlist(missing, common_pb2.PLAYLIST_SQUARE, 0)
        with pytest.raises(PlaylistNotFound):
            await platform.fetch_playlist("999", common_pb2.TOPLIST, 0)
        with pytest.raises(PlaylistNotFound):
            await platform.fetch_playlist("abc", common_pb2.PLAYLIST_SQUARE, 0)


async def test_playlist_falls_back_to_the_web_api(sandbox_faults: Sandbox, world: Catalog) -> None:
    playlist = world.playlist("kuwo", "playlist_square", 1)
    sandbox_faults.set_faults({"host": "nplserver.kuwo.cn", "path_prefix": "/pl.svc", "status": 403})
    before = hits(sandbox_faults, "www.kuwo.cn/api/www/playlist/playListInfo")
    async with sandbox_faults.client() as client:
        response = await Platform(client, detail_page_size=4).fetch_playlist(
            playlist.remote_id, common_pb2.PLAYLIST_SQUARE, 0
        )
    assert hits(sandbox_faults, "www.kuwo.cn/api/www/playlist/playListInfo") == before + 3
    assert response.playlist.name == playlist.name == "Indie/Folk: late night & rainy days 2"
    assert [t.remote_song_id for t in response.tracks] == [str(ids.kuwo_rid(k)) for k in playlist.track_keys]
    assert [t.name for t in response.tracks] == [world.track(k).title for k in playlist.track_keys]


async def test_square_uses_wapi_then_www(sandbox_faults: Sandbox, summary: dict[str, Any]) -> None:
    expected = [p["remote_id"] for p in summary["playlists"]["kuwo"]["playlist_square"]]
    wapi, www = "wapi.kuwo.cn" + WAPI_PATH, "www.kuwo.cn" + WAPI_PATH
    before = (hits(sandbox_faults, wapi), hits(sandbox_faults, www))
    async with sandbox_faults.client() as client:
        first = [p async for p in Platform(client).list_discovery(common_pb2.PLAYLIST_SQUARE, 10)]
        assert (hits(sandbox_faults, wapi), hits(sandbox_faults, www)) == (before[0] + 1, before[1])
        sandbox_faults.set_faults({"host": "wapi.kuwo.cn", "path_prefix": "/", "status": 502})
        second = [p async for p in Platform(client).list_discovery(common_pb2.PLAYLIST_SQUARE, 10)]
    assert hits(sandbox_faults, www) == before[1] + 1
    assert [p.remote_playlist_id for page in first for p in page.playlists] == expected
    assert [p.remote_playlist_id for page in second for p in page.playlists] == expected


async def test_toplist_index_falls_back_to_the_board_tree(
    sandbox_faults: Sandbox, summary: dict[str, Any]
) -> None:
    sandbox_faults.set_faults({"host": "www.kuwo.cn", "path_prefix": "/api/www/bang/", "status": 503})
    before = hits(sandbox_faults, "qukudata.kuwo.cn/q.k")
    async with sandbox_faults.client() as client:
        pages = [page async for page in Platform(client).list_discovery(common_pb2.TOPLIST, 10)]
        board = await Platform(client, detail_page_size=4).fetch_playlist("93", common_pb2.TOPLIST, 0)
    names = [p["name"] for p in summary["playlists"]["kuwo"]["toplist"]]
    assert [p.name for page in pages for p in page.playlists] == names
    assert [p.remote_playlist_id for page in pages for p in page.playlists] == ["93", "17"]
    assert hits(sandbox_faults, "qukudata.kuwo.cn/q.k") == before + 1
    # the songs came from kbangserver, which names the board itself
    assert board.playlist.name == names[0]
    assert board.playlist.track_count == len(board.tracks) > 0


async def test_toplist_songs_fall_back_to_kbangserver(sandbox_faults: Sandbox, world: Catalog) -> None:
    board = world.playlist("kuwo", "toplist", 1)
    sandbox_faults.set_faults(
        {"host": "www.kuwo.cn", "path_prefix": "/api/www/bang/bang/musicList", "status": 500}
    )
    before = hits(sandbox_faults, "kbangserver.kuwo.cn/ksong.s")
    async with sandbox_faults.client() as client:
        response = await Platform(client, detail_page_size=4).fetch_playlist(
            board.remote_id, common_pb2.TOPLIST, 0
        )
    assert hits(sandbox_faults, "kbangserver.kuwo.cn/ksong.s") == before + 3
    assert [t.remote_song_id for t in response.tracks] == [str(ids.kuwo_rid(k)) for k in board.track_keys]
    assert response.playlist.name == board.name


async def test_broken_json_is_an_upstream_error(sandbox_faults: Sandbox, world: Catalog) -> None:
    sandbox_faults.set_faults(
        {"host": "www.kuwo.cn", "path_prefix": "/api/www/bang/bang/bangMenu", "broken_json": True},
        {"host": "www.kuwo.cn", "path_prefix": "/api/www/playlist/", "broken_json": True},
        {"host": "nplserver.kuwo.cn", "path_prefix": "/", "broken_json": True},
        {"host": "qukudata.kuwo.cn", "path_prefix": "/", "broken_json": True},
    )
    async with sandbox_faults.client() as client:
        platform = Platform(client)
        with pytest.raises(UpstreamError, match="kuwo: broken JSON"):
            _ = [page async for page in platform.list_discovery(common_pb2.TOPLIST, 10)]
        playlist_id = world.playlist("kuwo", "playlist_square", 0).remote_id
        with pytest.raises(UpstreamError, match=f"broken JSON.*{NPLSERVER_URL}"):
            await platform.fetch_playlist(playlist_id, common_pb2.PLAYLIST_SQUARE, 0)


async def test_http_500_is_an_upstream_error(sandbox_faults: Sandbox) -> None:
    sandbox_faults.set_faults(
        {"host": "www.kuwo.cn", "path_prefix": "/api/www/bang/bang/musicList", "status": 500},
        {"host": "kbangserver.kuwo.cn", "path_prefix": "/", "status": 502},
    )
    async with sandbox_faults.client() as client:
        with pytest.raises(UpstreamError, match="HTTP 500"):
            await Platform(client).fetch_playlist("93", common_pb2.TOPLIST, 0)

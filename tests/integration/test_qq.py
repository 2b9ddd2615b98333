"""QQ Music adapters over real HTTP against the sandbox."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import httpx
import pytest

from catalogsync.http_client import UpstreamError, parse_json
from catalogsync.platforms.qq import MUSICU_URL, WEB_COMM
from catalogsync.v1 import common_pb2
from sandbox import ids
from sandbox.catalog import VARIANTS, Catalog, CatalogConfig
from sandbox.platforms import qq_shapes
from sandbox.platforms.qq_gateway import DISS_MAX_PAGE
from services.collector.platforms.base import PlaylistNotFound
from services.collector.platforms.qq import DETAIL_URL, SQUARE_URL, Platform
from services.collector.platforms.qq_parse import parse_square
from services.collector.url_forms import qq_playlist as parse_url
from services.resolver.sources.base import QualityOption, SourceTrack
from services.resolver.sources.qq import LYRIC_URL, Source, parse_lyric
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.anyio
BEST = QualityOption("flac", "flac", 900)


@pytest.fixture(scope="module")
def world(sandbox: Sandbox) -> Catalog:
    """The sandbox's own catalog, rebuilt from its config (it is deterministic)."""
    return Catalog(CatalogConfig(**sandbox.admin("GET", "catalog")["config"]))


def _keyword(world: Catalog, key: int) -> str:
    track = world.track(key)
    return f"{track.title} {track.artists[0]}"


def _originals(world: Catalog, playable: bool) -> list[int]:
    keys = [w * VARIANTS for w in range(3, world.work_count)]  # skip the fixed and hostile titles
    keys = [k for k in keys if world.listed("qq", k) and world.playable("qq", k) == playable]
    return [k for k in keys if not world.config.hostile or k // VARIANTS >= 9]


async def test_square_pages_through_every_playlist(sandbox: Sandbox, world: Catalog) -> None:
    expected = world.playlists("qq", "playlist_square")
    async with sandbox.client() as client:
        pages = [page async for page in Platform(client).list_discovery(common_pb2.PLAYLIST_SQUARE, 2)]
    assert [len(p.playlists) for p in pages] == [2, 1]
    assert [p.has_more for p in pages] == [True, False]
    assert pages[0].upstream_total == len(expected)
    found = [s for page in pages for s in page.playlists]
    assert [s.remote_playlist_id for s in found] == [p.remote_id for p in expected]
    assert [s.name for s in found] == [p.name for p in expected]
    assert [s.creator for s in found] == [p.creator for p in expected]


async def test_square_clamps_big_pages(sandbox: Sandbox, world: Catalog) -> None:
    async with sandbox.client() as client:
        pages = [page async for page in Platform(client).list_discovery(common_pb2.PLAYLIST_SQUARE, 500)]
    assert [len(p.playlists) for p in pages] == [len(world.playlists("qq", "playlist_square"))]


async def test_toplists_equal_the_sandbox_without_the_mv_chart(sandbox: Sandbox, world: Catalog) -> None:
    async with sandbox.client() as client:
        pages = [page async for page in Platform(client).list_discovery(common_pb2.TOPLIST, 50)]
    found = [s for page in pages for s in page.playlists]
    expected = world.playlists("qq", "toplist")
    assert [s.remote_playlist_id for s in found] == [p.remote_id for p in expected]
    assert [s.track_count for s in found] == [len(p.track_keys) + p.non_music_rows for p in expected]
    assert all(s.kind == common_pb2.TOPLIST for s in found)


async def test_first_toplist_keeps_the_video_row(sandbox: Sandbox, world: Catalog) -> None:
    chart = world.playlists("qq", "toplist")[0]
    async with sandbox.client() as client:
        response = await Platform(client).fetch_playlist(chart.remote_id, common_pb2.TOPLIST, 0)
    assert response.playlist.name == chart.name
    music = [t for t in response.tracks if not t.non_music]
    videos = [t for t in response.tracks if t.non_music]
    assert [t.remote_song_id for t in music] == [ids.qq_song_mid(k) for k in chart.track_keys]
    assert [t.name for t in music] == [world.track(k).title for k in chart.track_keys]
    assert len(videos) == chart.non_music_rows == 1
    assert videos[0].remote_song_id == f"qqtop_{chart.remote_id}_3"
    assert videos[0].non_music_reason


async def test_toplist_track_limit(sandbox: Sandbox, world: Catalog) -> None:
    chart = world.playlists("qq", "toplist")[1]
    async with sandbox.client() as client:
        response = await Platform(client).fetch_playlist(chart.remote_id, common_pb2.TOPLIST, 4)
    assert [t.remote_song_id for t in response.tracks] == [ids.qq_song_mid(k) for k in chart.track_keys[:4]]


async def test_first_square_playlist_keeps_hostile_names(sandbox: Sandbox, world: Catalog) -> None:
    playlist = world.playlists("qq", "playlist_square")[0]
    async with sandbox.client() as client:
        response = await Platform(client).fetch_playlist(playlist.remote_id, common_pb2.PLAYLIST_SQUARE, 0)
    names = [t.name for t in response.tracks]
    assert names == [world.track(k).title for k in playlist.track_keys]
    assert {"../../etc/passwd", "nul\x00byte\x01ctrl", "x" * 300, "  .hidden. ", "CON"} <= set(names)
    artists = [[a.name for a in t.artists] for t in response.tracks]
    assert artists == [list(world.track(k).artists) for k in playlist.track_keys]
    assert artists[0] == ["林一舟", "Mira Chen"]
    assert response.playlist.track_count == len(playlist.track_keys)
    assert response.playlist.name == playlist.name


async def test_unknown_playlists_are_not_found(sandbox: Sandbox) -> None:
    async with sandbox.client() as client:
        platform = Platform(client)
        with pytest.raises(PlaylistNotFound):
            await platform.fetch_playlist("8052199999", common_pb2.PLAYLIST_SQUARE, 0)
        with pytest.raises(PlaylistNotFound):
            await platform.fetch_playlist("999", common_pb2.TOPLIST, 0)


async def test_anonymous_search_offers_128k_and_media_bytes_match(sandbox: Sandbox, world: Catalog) -> None:
    key = next(k for k in _originals(world, playable=True) if len(world.qualities("qq", k)) > 1)
    mid = ids.qq_song_mid(key)
    async with sandbox.client() as client:
        source = Source(client)
        track = next(t for t in await source.search(_keyword(world, key), 10) if t.remote_id == mid)
        assert [q.label for q in track.qualities] == ["128k"]  # 320k and FLAC need a VIP login
        link = await source.media(track, BEST)
        assert link is not None and link.headers == {"Referer": "http://y.qq.com"}
        assert link.quality == track.qualities[-1]
        response = await client.get(link.url, headers=link.headers)
        cover = await client.get(track.cover_url)
    expected = sandbox.expected("qq", mid, link.quality.label)
    assert response.status_code == 200 and len(response.content) == link.quality.size_bytes
    assert hashlib.sha256(response.content).hexdigest() == expected["sha256"]
    assert cover.status_code == 200 and cover.headers["content-type"] == "image/png"


async def test_media_uses_the_media_mid_of_variants(sandbox: Sandbox, world: Catalog) -> None:
    keys = [w * VARIANTS + 1 for w in range(9, world.work_count)]
    key = next(k for k in keys if world.playable("qq", k))
    async with sandbox.client() as client:
        source = Source(client)
        results = await source.search(_keyword(world, key), 20)
        track = next(t for t in results if t.remote_id == ids.qq_song_mid(key))
        assert track.extra["media_mid"] != track.remote_id
        link = await source.media(track, QualityOption("128k", "mp3", 128))
        assert link is not None and link.quality.label == "128k"
        response = await client.get(link.url, headers=link.headers)
        forged = await client.get(link.url.replace("vkey=", "vkey=0"), headers=link.headers)
    assert (
        hashlib.sha256(response.content).hexdigest()
        == sandbox.expected("qq", track.remote_id, "128k")["sha256"]
    )
    assert forged.status_code == 403


async def test_unplayable_track_gives_none(sandbox: Sandbox, world: Catalog) -> None:
    key = _originals(world, playable=False)[0]
    async with sandbox.client() as client:
        source = Source(client)
        track = next(
            t for t in await source.search(_keyword(world, key), 10) if t.remote_id == ids.qq_song_mid(key)
        )
        assert await source.media(track, BEST) is None


async def test_lyrics_from_the_mid_alone(sandbox: Sandbox, world: Catalog) -> None:
    async with sandbox.client() as client:
        lrc = await Source(client).lyrics(SourceTrack(source="qq", remote_id=ids.qq_song_mid(0)))
    assert lrc == world.lyrics(0)
    assert lrc.startswith("[00:00.00]晴空下的约定 - 林一舟/Mira Chen")


async def test_no_lyrics_and_the_instrumental_placeholder_are_empty(sandbox: Sandbox, world: Catalog) -> None:
    without = next(w * VARIANTS for w in range(world.work_count) if not world.lyrics(w))
    instrumental = ids.qq_song_mid(1)
    async with sandbox.client() as client:
        raw = await client.get(
            LYRIC_URL,
            params={"songmid": ids.qq_song_mid(without), "format": "json"},
            headers={"Referer": "https://y.qq.com/"},
        )
        placeholder = await client.get(
            LYRIC_URL,
            params={"songmid": instrumental, "format": "json"},
            headers={"Referer": "https://y.qq.com/"},
        )
        source = Source(client)
        assert await source.lyrics(SourceTrack(source="qq", remote_id=ids.qq_song_mid(without))) == ""
        assert await source.lyrics(SourceTrack(source="qq", remote_id=instrumental)) == ""
    assert raw.json()["code"] == -1901  # what QQ answers: "no lyrics", not an error
    assert "纯音乐" in base64.b64decode(placeholder.json()["lyric"]).decode()


async def test_web_comm_search_finds_nothing_the_app_comm_finds_the_song(sandbox: Sandbox) -> None:
    param = {"query": "晴空下的约定 林一舟", "search_type": 0, "num_per_page": 5, "page_num": 1}
    request = {
        "module": "music.search.SearchCgiService",
        "method": "DoSearchForQQMusicMobile",
        "param": param,
    }
    async with sandbox.client() as client:
        web = await client.post(MUSICU_URL, json={"comm": WEB_COMM, "req": request})
        found = await Source(client).search("晴空下的约定 林一舟", 5)
    assert web.json()["req"]["data"]["body"]["item_song"] == []
    assert found and found[0].title == "晴空下的约定"


async def test_vkey_filenames_and_the_dead_get_form(sandbox: Sandbox, world: Catalog) -> None:
    key = next(
        k for k in range(4 * 9, world.work_count * VARIANTS) if k % VARIANTS and world.playable("qq", k)
    )
    song_mid, media_mid = ids.qq_song_mid(key), qq_shapes.media_mid(key)
    assert song_mid != media_mid

    def body(name: str) -> dict[str, Any]:
        param = {"filename": [name], "guid": "123", "songmid": [song_mid], "songtype": [0], "uin": "0"}
        return {
            "comm": WEB_COMM,
            "req": {"module": "vkey.GetVkeyServer", "method": "CgiGetVkey", "param": param},
        }

    def purl(answer: httpx.Response) -> str:
        return answer.json()["req"]["data"]["midurlinfo"][0]["purl"]

    async with sandbox.client() as client:
        song_and_media = await client.post(MUSICU_URL, json=body(f"M500{song_mid}{media_mid}.mp3"))
        song_twice = await client.post(MUSICU_URL, json=body(f"M500{song_mid}{song_mid}.mp3"))
        media_twice = await client.post(MUSICU_URL, json=body(f"M500{media_mid}{media_mid}.mp3"))
        by_get = await client.get(
            MUSICU_URL, params={"data": json.dumps(body(f"M500{song_mid}{media_mid}.mp3"))}
        )
    assert purl(song_and_media) and purl(song_twice)
    assert purl(media_twice) == "" and purl(by_get) == ""


@pytest.mark.parametrize(("index", "route"), [(0, "CGI"), (1, "aiDissInfo"), (2, "CgiGetDiss")])
async def test_playlist_detail_falls_back_through_the_gateway_routes(
    sandbox: Sandbox, world: Catalog, index: int, route: str
) -> None:
    playlist = world.playlists("qq", "playlist_square")[index]
    async with sandbox.client() as client:
        cgi = await client.get(
            DETAIL_URL,
            params={"disstid": playlist.remote_id, "format": "json"},
            headers={"Referer": "https://y.qq.com/n/yqq/playlist"},
        )
        before = sandbox.requests()["requests"].get("u.y.qq.com/cgi-bin/musicu.fcg", 0)
        response = await Platform(client).fetch_playlist(playlist.remote_id, common_pb2.PLAYLIST_SQUARE, 0)
        gateway_calls = sandbox.requests()["requests"].get("u.y.qq.com/cgi-bin/musicu.fcg", 0) - before
    assert (cgi.json().get("subcode"), bool(cgi.json().get("cdlist"))) == (
        (0, True) if route == "CGI" else (4000, False)
    )
    assert [t.remote_song_id for t in response.tracks] == [ids.qq_song_mid(k) for k in playlist.track_keys]
    assert [t.name for t in response.tracks] == [world.track(k).title for k in playlist.track_keys]
    assert response.playlist.name == playlist.name and response.playlist.creator == playlist.creator
    assert response.playlist.track_count == len(playlist.track_keys)
    # 10 songs in gateway pages of at most 4: three pages on the route that serves it
    pages = -(-len(playlist.track_keys) // DISS_MAX_PAGE)
    assert gateway_calls == {"CGI": 0, "aiDissInfo": pages, "CgiGetDiss": 1 + pages}[route]


async def test_playlist_detail_track_limit_on_the_gateway(sandbox: Sandbox, world: Catalog) -> None:
    playlist = world.playlists("qq", "playlist_square")[1]
    async with sandbox.client() as client:
        response = await Platform(client).fetch_playlist(playlist.remote_id, common_pb2.PLAYLIST_SQUARE, 6)
    assert [t.remote_song_id for t in response.tracks] == [
        ids.qq_song_mid(k) for k in playlist.track_keys[:6]
    ]


async def test_short_link_redirects_to_a_parseable_url(sandbox: Sandbox, world: Catalog) -> None:
    async with sandbox.client() as client:
        response = await client.get("https://c.y.qq.com/base/fcgi-bin/u?__=Pl0001", follow_redirects=False)
    assert response.status_code == 302
    ref = parse_url(response.headers["location"])
    assert ref is not None
    assert ref.remote_playlist_id == world.playlists("qq", "playlist_square")[1].remote_id


async def test_missing_referer_is_refused(sandbox: Sandbox) -> None:
    async with sandbox.client() as client:
        square = await client.get(SQUARE_URL, params={"format": "json", "sin": 0, "ein": 9})
        lyric = await client.get(LYRIC_URL, params={"songmid": ids.qq_song_mid(0)})
    with pytest.raises(UpstreamError, match="-1310"):
        parse_square(parse_json("qq", SQUARE_URL, square.text), SQUARE_URL)
    assert lyric.text.startswith("MusicJsonCallback(")  # no format=json: JSONP
    with pytest.raises(UpstreamError, match="-1310"):
        parse_lyric(parse_json("qq", LYRIC_URL, lyric.text), LYRIC_URL)


async def test_broken_json_is_an_upstream_error(sandbox_faults: Sandbox) -> None:
    sandbox_faults.set_faults(
        {"host": "u.y.qq.com", "path_prefix": "/cgi-bin/music", "broken_json": True},  # both gateways
        {"host": "c.y.qq.com", "path_prefix": "/splcloud/", "broken_json": True},
    )
    async with sandbox_faults.client() as client:
        with pytest.raises(UpstreamError, match="broken JSON"):
            await Source(client).search("晴空下的约定", 5)
        with pytest.raises(UpstreamError, match="broken JSON"):
            [p async for p in Platform(client).list_discovery(common_pb2.PLAYLIST_SQUARE, 10)]


async def test_http_500_is_an_upstream_error(sandbox_faults: Sandbox) -> None:
    sandbox_faults.set_faults({"host": "c.y.qq.com", "path_prefix": "/lyric/", "status": 500})
    async with sandbox_faults.client() as client:
        with pytest.raises(UpstreamError, match="HTTP 500"):
            await Source(client).lyrics(SourceTrack(source="qq", remote_id=ids.qq_song_mid(0)))


def gateway_requests(sandbox: Sandbox, path: str) -> int:
    return sandbox.requests()["requests"].get(f"u.y.qq.com/cgi-bin/{path}", 0)


async def test_search_is_signed_and_falls_back_to_the_plain_gateway(sandbox_faults: Sandbox) -> None:
    async with sandbox_faults.client() as client:
        source = Source(client)
        plain_before = gateway_requests(sandbox_faults, "musicu.fcg")
        signed_before = gateway_requests(sandbox_faults, "musics.fcg")
        first = await source.search("晴空下的约定 林一舟", 5)
        assert gateway_requests(sandbox_faults, "musics.fcg") == signed_before + 1
        assert gateway_requests(sandbox_faults, "musicu.fcg") == plain_before
        sandbox_faults.set_faults({"host": "u.y.qq.com", "path_prefix": "/cgi-bin/musics.fcg", "status": 403})
        second = await source.search("晴空下的约定 林一舟", 5)
        assert gateway_requests(sandbox_faults, "musicu.fcg") == plain_before + 1
        forged = await client.post(
            "https://u.y.qq.com/cgi-bin/musics.fcg", params={"sign": "zzcforged"}, json={"comm": WEB_COMM}
        )
    assert [t.remote_id for t in first] == [t.remote_id for t in second] and first
    assert forged.status_code == 403  # the fault still applies to the signed endpoint


async def test_playlist_detail_survives_a_failing_cgi(sandbox_faults: Sandbox, world: Catalog) -> None:
    playlist = world.playlists("qq", "playlist_square")[0]  # normally served by the CGI
    sandbox_faults.set_faults({"host": "c.y.qq.com", "path_prefix": "/qzone/", "status": 502})
    async with sandbox_faults.client() as client:
        platform = Platform(client)
        response = await platform.fetch_playlist(playlist.remote_id, common_pb2.PLAYLIST_SQUARE, 0)
        with pytest.raises(UpstreamError, match="HTTP 502"):  # unknown: not "not found" while the CGI fails
            await platform.fetch_playlist("8052199999", common_pb2.PLAYLIST_SQUARE, 0)
    assert [t.remote_song_id for t in response.tracks] == [ids.qq_song_mid(k) for k in playlist.track_keys]

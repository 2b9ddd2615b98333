"""NetEase adapters over real HTTP against the sandbox process."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from catalogsync.http_client import UpstreamError
from catalogsync.platforms.netease_api import call_api
from catalogsync.v1 import common_pb2
from sandbox import ids
from sandbox.catalog import VARIANTS, Catalog, CatalogConfig
from sandbox.platforms.netease_vip import hidden_from_cloudsearch
from services.collector.platforms.base import PlaylistNotFound
from services.collector.platforms.netease import Platform
from services.resolver.sources.base import QualityOption, SourceTrack
from services.resolver.sources.netease import Source
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.anyio
FLAC = QualityOption("flac", "flac", 900)


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with sandbox.client() as http:
        yield http


@pytest.fixture(scope="module")
def summary(sandbox: Sandbox) -> dict[str, Any]:
    return sandbox.admin("GET", "catalog")


@pytest.fixture(scope="module")
def catalog(summary: dict[str, Any]) -> Catalog:
    """The same deterministic world the sandbox process serves (built from its own config)."""
    return Catalog(CatalogConfig(**summary["config"]))


def requests_to(sandbox: Sandbox, path: str) -> int:
    return sandbox.requests()["requests"].get(f"music.163.com{path}", 0)


async def test_list_square_pages_until_the_end(client: httpx.AsyncClient, summary: dict[str, Any]) -> None:
    expected = [p["remote_id"] for p in summary["playlists"]["netease"]["playlist_square"]]
    pages = [page async for page in Platform(client).list_discovery(common_pb2.PLAYLIST_SQUARE, 2)]
    assert [p.remote_playlist_id for page in pages for p in page.playlists] == expected
    assert [page.page for page in pages] == [1, 2]
    assert [page.has_more for page in pages] == [True, False]
    assert pages[0].upstream_total == len(expected)
    first = pages[0].playlists[0]
    assert first.name == summary["playlists"]["netease"]["playlist_square"][0]["name"]
    assert first.track_count == 10 and first.cover_url.startswith("https://p1.music.126.net/")


async def test_list_toplists_is_one_page(client: httpx.AsyncClient, summary: dict[str, Any]) -> None:
    expected = summary["playlists"]["netease"]["toplist"]
    pages = [page async for page in Platform(client).list_discovery(common_pb2.TOPLIST, 50)]
    assert len(pages) == 1 and not pages[0].has_more
    assert [(p.remote_playlist_id, p.name) for p in pages[0].playlists] == [
        (p["remote_id"], p["name"]) for p in expected
    ]
    assert {p.kind for p in pages[0].playlists} == {common_pb2.TOPLIST}


async def test_fetch_playlist_gets_every_track_beyond_the_expanded_ones(
    client: httpx.AsyncClient, sandbox: Sandbox, summary: dict[str, Any], catalog: Catalog
) -> None:
    first = summary["playlists"]["netease"]["playlist_square"][0]
    keys = catalog.find_playlist("netease", first["remote_id"]).track_keys
    before = requests_to(sandbox, "/api/v3/song/detail")
    response = await Platform(client).fetch_playlist(first["remote_id"], common_pb2.PLAYLIST_SQUARE, 0)
    assert requests_to(sandbox, "/api/v3/song/detail") == before + 1  # the 2 songs `tracks` left out
    assert response.playlist.remote_playlist_id == first["remote_id"]
    assert response.playlist.name == first["name"]
    assert [t.remote_song_id for t in response.tracks] == [str(ids.netease_song_id(k)) for k in keys]
    assert len(response.tracks) == first["tracks"] == 10
    assert [t.name for t in response.tracks] == [catalog.track(k).title for k in keys]
    names = {t.name for t in response.tracks}
    assert {"../../etc/passwd", "nul\x00byte\x01ctrl", "x" * 300, "AC/DC: Back\\Slash"} <= names
    song = response.tracks[0]
    assert song.name == "晴空下的约定" and [a.name for a in song.artists] == ["林一舟", "Mira Chen"]
    assert song.duration_s == 231 and song.album == "海风来信"


async def test_fetch_toplist_with_a_track_limit(client: httpx.AsyncClient, summary: dict[str, Any]) -> None:
    chart = summary["playlists"]["netease"]["toplist"][1]
    response = await Platform(client).fetch_playlist(chart["remote_id"], common_pb2.TOPLIST, 9)
    assert len(response.tracks) == 9 and response.playlist.kind == common_pb2.TOPLIST
    assert response.playlist.source_url.endswith(f"#/discover/toplist?id={chart['remote_id']}")


async def test_fetch_unknown_playlist_is_not_found(client: httpx.AsyncClient) -> None:
    with pytest.raises(PlaylistNotFound):
        await Platform(client).fetch_playlist("8800009999", common_pb2.PLAYLIST_SQUARE, 0)
    with pytest.raises(PlaylistNotFound):
        await Platform(client).fetch_playlist("not-an-id", common_pb2.PLAYLIST_SQUARE, 0)


async def test_search_media_and_download_match_the_sandbox_bytes(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    source = Source(client)
    tracks = await source.search("晴空下的约定 林一舟", 10)
    assert tracks and all("晴空下的约定" in t.title for t in tracks)
    downloaded = 0
    for track in tracks:
        link = await source.media(track, max(track.qualities, key=lambda q: q.rank))
        if link is None:
            continue
        body = (await client.get(link.url)).content
        expected = sandbox.expected("netease", track.remote_id, link.quality.label)
        assert hashlib.sha256(body).hexdigest() == expected["sha256"]
        assert len(body) == link.quality.size_bytes == expected["size"]
        downloaded += 1
    assert downloaded > 0


async def test_media_downgrades_silently_to_what_exists(client: httpx.AsyncClient, catalog: Catalog) -> None:
    key = next(
        k
        for k in range(catalog.work_count * 4)
        if catalog.playable("netease", k) and catalog.quality("netease", k, "flac") is None
    )
    track = SourceTrack(source="netease", remote_id=str(ids.netease_song_id(key)))
    link = await Source(client).media(track, QualityOption("320k", "mp3", 320))
    assert link is not None
    assert link.quality.label == catalog.best_quality("netease", key).label != "flac"
    assert link.quality.size_bytes == catalog.best_quality("netease", key).size


async def test_trial_only_and_unlisted_tracks_give_none(client: httpx.AsyncClient, catalog: Catalog) -> None:
    keys = range(catalog.work_count * 4)
    trial = next(k for k in keys if catalog.listed("netease", k) and not catalog.playable("netease", k))
    unlisted = next(k for k in keys if not catalog.listed("netease", k))
    source = Source(client)
    for key in (trial, unlisted):
        track = SourceTrack(source="netease", remote_id=str(ids.netease_song_id(key)))
        assert await source.media(track, FLAC) is None


async def test_lyrics_from_the_song_id_alone(client: httpx.AsyncClient, catalog: Catalog) -> None:
    source = Source(client)
    lrc = await source.lyrics(SourceTrack(source="netease", remote_id=str(ids.netease_song_id(0))))
    assert lrc.startswith("[00:00.00]晴空下的约定") and lrc == catalog.lyrics(0)
    instrumental = SourceTrack(source="netease", remote_id=str(ids.netease_song_id(1)))
    assert await source.lyrics(instrumental) == ""


async def test_missing_referer_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("https://music.163.com/api/toplist")  # no Referer
    assert response.json()["code"] == 301
    assert (await call_api(client, "/api/toplist", {}, "toplists"))["code"] == 200


async def test_bad_eapi_params_are_refused(client: httpx.AsyncClient) -> None:
    url = "https://interface3.music.163.com/eapi/song/enhance/player/url/v1"
    response = await client.post(url, data={"params": "00" * 32})
    assert response.json()["code"] == 400


async def test_covers_are_served(client: httpx.AsyncClient) -> None:
    tracks = await Source(client).search("晴空下的约定", 1)
    response = await client.get(tracks[0].cover_url)
    assert response.status_code == 200 and response.content.startswith(b"\x89PNG")


async def test_broken_json_is_an_upstream_error(client: httpx.AsyncClient, sandbox_faults: Sandbox) -> None:
    sandbox_faults.set_faults(
        {"host": "music.163.com", "path_prefix": "/api/cloudsearch", "broken_json": True},
        {"host": "interface3.music.163.com", "path_prefix": "/eapi/search/", "broken_json": True},
    )
    with pytest.raises(UpstreamError, match="broken JSON"):  # both search routes broken
        await Source(client).search("晴空下的约定", 5)
    sandbox_faults.set_faults(
        {"host": "interface3.music.163.com", "path_prefix": "/eapi/", "broken_json": True}
    )
    track = SourceTrack(source="netease", remote_id=str(ids.netease_song_id(4)))
    with pytest.raises(UpstreamError, match="broken JSON"):
        await Source(client).media(track, FLAC)


async def test_repeated_http_500_is_an_upstream_error(
    client: httpx.AsyncClient, sandbox_faults: Sandbox, summary: dict[str, Any]
) -> None:
    sandbox_faults.set_faults(
        {"host": "music.163.com", "path_prefix": "/api/v6/playlist/detail", "status": 500}
    )
    remote_id = summary["playlists"]["netease"]["playlist_square"][0]["remote_id"]
    with pytest.raises(UpstreamError) as caught:
        await Platform(client).fetch_playlist(remote_id, common_pb2.PLAYLIST_SQUARE, 0)
    assert caught.value.status == 500


async def test_one_http_500_is_retried(client: httpx.AsyncClient, sandbox_faults: Sandbox) -> None:
    sandbox_faults.set_faults(
        {"host": "music.163.com", "path_prefix": "/api/toplist", "status": 500, "times": 1}
    )
    pages = [page async for page in Platform(client).list_discovery(common_pb2.TOPLIST, 50)]
    assert len(pages[0].playlists) == 2


def eapi_requests(sandbox: Sandbox, path: str) -> int:
    return sandbox.requests()["requests"].get(f"interface3.music.163.com{path}", 0)


async def test_search_finds_songs_cloudsearch_hides(
    client: httpx.AsyncClient, sandbox: Sandbox, catalog: Catalog
) -> None:
    key = next(
        w * VARIANTS
        for w in range(9, catalog.work_count)
        if hidden_from_cloudsearch(w * VARIANTS) and catalog.listed("netease", w * VARIANTS)
    )
    track = catalog.track(key)
    keyword = f"{track.title} {track.artists[0]}"
    song_id = str(ids.netease_song_id(key))
    hidden = await client.post(
        "https://music.163.com/api/cloudsearch/pc",
        data={"s": keyword, "type": 1, "limit": 30},
        headers={"Referer": "https://music.163.com"},
    )
    assert song_id not in {str(s["id"]) for s in hidden.json()["result"].get("songs", [])}
    before = requests_to(sandbox, "/api/cloudsearch/pc")
    found = await Source(client).search(keyword, 30)
    assert song_id in {t.remote_id for t in found}
    assert requests_to(sandbox, "/api/cloudsearch/pc") == before  # the primary route answered


async def test_search_falls_back_to_cloudsearch(
    client: httpx.AsyncClient, sandbox_faults: Sandbox, catalog: Catalog
) -> None:
    sandbox_faults.set_faults(
        {"host": "interface3.music.163.com", "path_prefix": "/eapi/search/", "status": 503}
    )
    before = requests_to(sandbox_faults, "/api/cloudsearch/pc")
    found = await Source(client).search("晴空下的约定 林一舟", 10)
    assert requests_to(sandbox_faults, "/api/cloudsearch/pc") == before + 1
    assert str(ids.netease_song_id(0)) in {t.remote_id for t in found}


async def test_anonymous_search_offers_at_most_320k(client: httpx.AsyncClient, catalog: Catalog) -> None:
    tracks = await Source(client).search("晴空下的约定 林一舟", 10)
    assert tracks and all(q.label in {"128k", "192k", "320k"} for t in tracks for q in t.qualities)
    key = next(
        k
        for k in range(catalog.work_count * VARIANTS)
        if catalog.playable("netease", k) and catalog.quality("netease", k, "flac") is not None
    )
    link = await Source(client).media(
        SourceTrack(source="netease", remote_id=str(ids.netease_song_id(key))), FLAC
    )
    assert link is not None and link.quality.label == catalog.best_quality("netease", key, "320k").label


async def test_anonymous_calls_carry_the_registered_music_a(
    client: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """Without MUSIC_U the device is registered once and its MUSIC_A goes along (api-enhanced)."""
    payload = await call_api(client, "/api/nuser/account/get", {}, "who am I")
    assert payload["account"]["anonimousUser"] is True
    assert "MUSIC_A" not in client.cookies  # not left in the shared client's jar
    async with sandbox.client() as fresh:
        unregistered = await fresh.post(
            "https://music.163.com/api/nuser/account/get", headers={"Referer": "https://music.163.com"}
        )
    assert unregistered.json()["account"] is None

"""Migu, Kugou and Qianqian download sources against the sandbox, over real HTTP."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import pytest

from catalogsync.http_client import UpstreamError
from catalogsync.platforms import qianqian_sign
from sandbox import ids
from sandbox.catalog import ORIGINAL, VARIANTS, Catalog, CatalogConfig
from services.resolver import sources
from services.resolver.scoring import best_quality
from services.resolver.sources.base import DownloadSource, QualityOption, SourceTrack
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.anyio
NAMES = ("migu", "kugou", "qianqian")
KEYWORD = "晴空下的约定 林一舟"
FLAC = QualityOption("flac", "flac", 900)
# (host, path prefix) of each source's search and media endpoints
SEARCH_ENDPOINT = {
    "migu": ("app.u.nf.migu.cn", "/pc/resource/song/item/search"),
    "kugou": ("songsearch.kugou.com", "/song_search_v2"),
    "qianqian": ("music.91q.com", "/v1/search"),
}
MEDIA_ENDPOINT = {
    "migu": ("app.pd.nf.migu.cn", "/MIGUM3.0/v1.0/content/sub/listenSong.do"),
    "kugou": ("m.kugou.com", "/app/i/getSongInfo.php"),
    "qianqian": ("music.91q.com", "/v1/song/tracklink"),
}


@pytest.fixture(scope="module")
def catalog(sandbox: Sandbox) -> Catalog:
    """The sandbox's own world, rebuilt from the configuration it reports."""
    return Catalog(CatalogConfig(**sandbox.admin("GET", "catalog")["config"]))


def keys_of(name: str, tracks: list[SourceTrack]) -> list[int | None]:
    return [ids.track_key(name, t.remote_id) for t in tracks]


def plain_originals(catalog: Catalog, name: str) -> Iterator[int]:
    """Listed originals with ordinary titles (hostile names: test_hostile_names_come_back_exactly)."""
    for w in range(catalog.work_count):
        key = w * VARIANTS + ORIGINAL
        title = catalog.track(key).title
        if title.isprintable() and "/" not in title and len(title) < 40 and catalog.listed(name, key):
            yield key


async def find(source: DownloadSource, catalog: Catalog, name: str, key: int) -> SourceTrack:
    track = catalog.track(key)
    found = await source.search(f"{track.title} {track.artists[0]}", 30)
    match = next((t for t in found if ids.track_key(name, t.remote_id) == key), None)
    assert match is not None, f"{name} search did not list track {key} ({track.title!r})"
    return match


async def download(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> bytes:
    response = await client.get(url, headers=headers)
    response.raise_for_status()
    return response.content


@pytest.mark.parametrize("name", NAMES)
async def test_search_finds_the_original_and_the_decoys(
    sandbox: Sandbox, catalog: Catalog, name: str
) -> None:
    expected, _ = catalog.search(name, KEYWORD, 0, 10)
    async with sandbox.client() as client:
        found = await sources.create(name, client).search(KEYWORD, 10)
    assert sorted(keys_of(name, found)) == sorted(t.key for t in expected)
    original = next(t for t in found if ids.track_key(name, t.remote_id) == 0)
    assert original.title == "晴空下的约定"
    assert original.artists == ("林一舟", "Mira Chen")
    assert original.album == "海风来信"
    assert original.duration_s == 231
    assert [(q.label, q.size_bytes) for q in original.qualities] == [
        (q.label, q.size) for q in catalog.qualities(name, 0)
    ]
    decoys = {t.title for t in found} - {"晴空下的约定"}
    assert decoys == {t.title for t in expected} - {"晴空下的约定"}


@pytest.mark.parametrize("name", NAMES)
async def test_hostile_names_come_back_exactly(sandbox: Sandbox, catalog: Catalog, name: str) -> None:
    keys = [w * VARIANTS for w in range(12) if catalog.listed(name, w * VARIANTS)]
    titles = [catalog.track(k).title for k in keys]
    assert any("/" in t or not t.isprintable() or len(t) > 250 for t in titles)
    async with sandbox.client() as client:
        source = sources.create(name, client)
        for key in keys:
            track = await find(source, catalog, name, key)
            assert track.title == catalog.track(key).title
            assert track.artists == catalog.track(key).artists
            assert track.album == catalog.track(key).album


@pytest.mark.parametrize("name", NAMES)
async def test_media_of_a_playable_track_has_the_expected_bytes(
    sandbox: Sandbox, catalog: Catalog, name: str
) -> None:
    async with sandbox.client() as client:
        source = sources.create(name, client)
        track = await find(source, catalog, name, 0)
        link = await source.media(track, best_quality(track) or FLAC)
        assert link is not None
        data = await download(client, link.url, link.headers)
    expected = sandbox.expected(name, track.remote_id, link.quality.label)
    assert hashlib.sha256(data).hexdigest() == expected["sha256"]
    assert link.quality.size_bytes == expected["size"] == len(data)
    assert link.quality.label == catalog.best_quality(name, 0, "320k" if name == "kugou" else "flac").label


@pytest.mark.parametrize("name", NAMES)
async def test_media_of_each_quality_is_that_file(sandbox: Sandbox, catalog: Catalog, name: str) -> None:
    key = next(k for k in plain_originals(catalog, name) if catalog.playable(name, k))
    async with sandbox.client() as client:
        source = sources.create(name, client)
        track = await find(source, catalog, name, key)
        for quality in track.qualities:
            if name == "kugou" and quality.label == "flac":
                continue
            link = await source.media(track, quality)
            assert link is not None
            assert link.quality.label == quality.label
            data = await download(client, link.url, link.headers)
            assert (
                hashlib.sha256(data).hexdigest()
                == sandbox.expected(name, track.remote_id, quality.label)["sha256"]
            )


async def test_kugou_flac_needs_vip_so_media_falls_back_to_320k(sandbox: Sandbox, catalog: Catalog) -> None:
    key = next(
        k
        for k in plain_originals(catalog, "kugou")
        if catalog.playable("kugou", k)
        and {q.label for q in catalog.qualities("kugou", k)} == {"128k", "320k", "flac"}
    )
    async with sandbox.client() as client:
        source = sources.create("kugou", client)
        track = await find(source, catalog, "kugou", key)
        link = await source.media(track, FLAC)
        assert link is not None
        assert link.quality.label == "320k"
        data = await download(client, link.url, link.headers)
    assert len(data) == catalog.quality("kugou", key, "320k").size


@pytest.mark.parametrize("name", NAMES)
async def test_unplayable_track_gives_none(sandbox: Sandbox, catalog: Catalog, name: str) -> None:
    key = next(k for k in plain_originals(catalog, name) if not catalog.playable(name, k))
    async with sandbox.client() as client:
        source = sources.create(name, client)
        track = await find(source, catalog, name, key)
        assert track.qualities
        for quality in track.qualities:
            assert await source.media(track, quality) is None


async def test_qianqian_vip_track_offers_only_a_trial_clip(sandbox: Sandbox, catalog: Catalog) -> None:
    key = next(k for k in plain_originals(catalog, "qianqian") if not catalog.playable("qianqian", k))
    params = qianqian_sign.signed({"TSID": ids.qianqian_tsid(key), "rate": 320})
    async with sandbox.client() as client:
        answer = (await client.get("https://music.91q.com/v1/song/tracklink", params=params)).json()
        assert answer["data"]["path"] == ""
        trial = await download(client, answer["data"]["trail_audio_info"]["path"], {})
    assert trial == catalog.trial("qianqian", key)
    assert trial != catalog.media("qianqian", key, "128k")


async def test_migu_vip_listen_answers_json_not_a_redirect(sandbox: Sandbox, catalog: Catalog) -> None:
    key = next(k for k in plain_originals(catalog, "migu") if not catalog.playable("migu", k))
    params = {
        "channel": "mx",
        "copyrightId": ids.migu_copyright_id(key),
        "contentId": ids.migu_content_id(key),
        "toneFlag": "PQ",
        "resourceType": "2",
        "userId": "1",
        "netType": "00",
    }
    async with sandbox.client() as client:
        response = await client.get(
            "https://app.pd.nf.migu.cn/MIGUM3.0/v1.0/content/sub/listenSong.do", params=params
        )
    assert not response.history
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["code"] != "000000"


@pytest.mark.parametrize("name", NAMES)
async def test_lyrics_of_a_work_that_has_them(sandbox: Sandbox, catalog: Catalog, name: str) -> None:
    async with sandbox.client() as client:
        source = sources.create(name, client)
        track = await find(source, catalog, name, 0)
        lrc = await source.lyrics(track)
    assert lrc == catalog.lyrics(0)
    assert lrc.startswith("[00:00.00]晴空下的约定")


@pytest.mark.parametrize("name", NAMES)
async def test_lyrics_of_a_work_without_them_are_empty(sandbox: Sandbox, catalog: Catalog, name: str) -> None:
    key = next(k for k in plain_originals(catalog, name) if not catalog.lyrics(k // VARIANTS))
    async with sandbox.client() as client:
        source = sources.create(name, client)
        track = await find(source, catalog, name, key)
        assert await source.lyrics(track) == ""


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fault", [{"broken_json": True}, {"status": 500}], ids=["broken-json", "http-500"])
async def test_search_failures_raise_upstream_error(
    sandbox_faults: Sandbox, name: str, fault: dict[str, object]
) -> None:
    host, path = SEARCH_ENDPOINT[name]
    sandbox_faults.set_faults({"host": host, "path_prefix": path, **fault})
    async with sandbox_faults.client() as client:
        with pytest.raises(UpstreamError, match=name):
            await sources.create(name, client).search(KEYWORD, 10)


@pytest.mark.parametrize(
    ("name", "fault"),
    [
        ("migu", {"status": 500}),
        ("kugou", {"broken_json": True}),
        ("kugou", {"status": 500}),
        ("qianqian", {"broken_json": True}),
    ],
)
async def test_media_failures_raise_upstream_error(
    sandbox_faults: Sandbox, catalog: Catalog, name: str, fault: dict[str, object]
) -> None:
    async with sandbox_faults.client() as client:
        source = sources.create(name, client)
        track = await find(source, catalog, name, 0)
        host, path = MEDIA_ENDPOINT[name]
        sandbox_faults.set_faults({"host": host, "path_prefix": path, **fault})
        with pytest.raises(UpstreamError, match=name):
            await source.media(track, QualityOption("128k", "mp3", 128))


@pytest.mark.parametrize(
    "change",
    [{"sign": "0" * 32}, {"sign": None}, {"timestamp": None}, {"TSID": "T1000000004"}],
    ids=["wrong-sign", "no-sign", "no-timestamp", "params-changed-after-signing"],
)
async def test_qianqian_refuses_a_bad_sign(sandbox: Sandbox, change: dict[str, str | None]) -> None:
    params = qianqian_sign.signed({"TSID": ids.qianqian_tsid(0), "rate": 128})
    async with sandbox.client() as client:
        good = (await client.get("https://music.91q.com/v1/song/tracklink", params=params)).json()
        for field, value in change.items():
            if value is None:
                del params[field]
            else:
                params[field] = value
        bad = (await client.get("https://music.91q.com/v1/song/tracklink", params=params)).json()
    assert (good["errno"], good["state"]) == (22000, True)
    assert good["data"]["path"]
    assert bad["state"] is False
    assert bad["errno"] != 22000
    assert bad["data"] == {}

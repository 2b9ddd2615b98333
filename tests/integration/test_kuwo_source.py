"""Kuwo download source against the sandbox over real HTTP: search, media bytes, lyrics."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from catalogsync.http_client import UpstreamError
from sandbox import ids
from sandbox.catalog import ORIGINAL, VARIANTS, Catalog, CatalogConfig
from services.resolver.sources.base import QualityOption, SourceTrack
from services.resolver.sources.kuwo import Source
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.anyio
FLAC = QualityOption("flac", "flac", 2000)


@pytest.fixture(scope="module")
def world(sandbox: Sandbox) -> Catalog:
    """The sandbox's deterministic catalog, rebuilt from its config."""
    return Catalog(CatalogConfig(**sandbox.admin("GET", "catalog")["config"]))


def find_key(world: Catalog, wanted: Callable[[int], bool]) -> int:
    keys = (w * VARIANTS + v for w in range(world.work_count) for v in (ORIGINAL, *range(1, VARIANTS)))
    key = next((k for k in keys if wanted(k)), None)
    assert key is not None, "the sandbox catalog has no such track"
    return key


def bare(key: int) -> SourceTrack:
    return SourceTrack(source="kuwo", remote_id=str(ids.kuwo_rid(key)))


async def test_search_then_media_bytes_match(sandbox: Sandbox, world: Catalog) -> None:
    async with sandbox.client() as client:
        source = Source(client)
        tracks = await source.search("晴空下的约定 林一舟", 10)
        expected, total = world.search("kuwo", "晴空下的约定 林一舟", 0, 10)
        assert total > 0
        assert [t.remote_id for t in tracks] == [str(ids.kuwo_rid(t.key)) for t in expected]
        assert [t.title for t in tracks] == [t.title for t in expected]
        assert [t.artists for t in tracks] == [t.artists for t in expected]
        downloaded = 0
        for track, truth in zip(tracks, expected, strict=True):
            assert [q.label for q in track.qualities] == [q.label for q in world.qualities("kuwo", truth.key)]
            link = await source.media(track, track.qualities[-1])
            if not world.playable("kuwo", truth.key):
                assert link is None
                continue
            assert link is not None
            assert link.quality.label == track.qualities[-1].label
            body = (await client.get(link.url)).content
            facts = sandbox.expected("kuwo", track.remote_id, link.quality.label)
            assert (len(body), hashlib.sha256(body).hexdigest()) == (facts["size"], facts["sha256"])
            downloaded += 1
        assert downloaded > 0


async def test_media_downgrades_to_the_best_file_and_says_so(sandbox: Sandbox, world: Catalog) -> None:
    without_flac = find_key(
        world, lambda k: world.playable("kuwo", k) and world.quality("kuwo", k, "flac") is None
    )
    with_flac = find_key(
        world, lambda k: world.playable("kuwo", k) and world.quality("kuwo", k, "flac") is not None
    )
    async with sandbox.client() as client:
        source = Source(client)
        downgraded = await source.media(bare(without_flac), FLAC)
        full = await source.media(bare(with_flac), FLAC)
        low = await source.media(bare(with_flac), QualityOption("128k", "mp3", 128))
        assert downgraded is not None and full is not None and low is not None
        assert downgraded.quality.label == world.best_quality("kuwo", without_flac).label != "flac"
        assert (full.quality.label, full.quality.ext, full.url.endswith(".flac")) == ("flac", "flac", True)
        assert low.quality.label == "128k"
        body = (await client.get(full.url)).content
        facts = sandbox.expected("kuwo", str(ids.kuwo_rid(with_flac)), "flac")
        assert hashlib.sha256(body).hexdigest() == facts["sha256"]
        assert body[:4] == b"fLaC"


async def test_unplayable_and_unknown_tracks_give_none(sandbox: Sandbox, world: Catalog) -> None:
    vip = find_key(world, lambda k: world.listed("kuwo", k) and not world.playable("kuwo", k))
    unlisted = find_key(world, lambda k: not world.listed("kuwo", k))
    async with sandbox.client() as client:
        source = Source(client)
        assert await source.media(bare(vip), FLAC) is None
        assert await source.media(bare(unlisted), FLAC) is None
        assert await source.media(SourceTrack(source="kuwo", remote_id="not-a-rid"), FLAC) is None


async def test_tampered_media_url_is_forbidden(sandbox: Sandbox, world: Catalog) -> None:
    key = find_key(world, lambda k: world.playable("kuwo", k))
    async with sandbox.client() as client:
        link = await Source(client).media(bare(key), FLAC)
        assert link is not None
        assert (await client.head(link.url)).status_code == 200
        head, _, tail = link.url.partition("/resource/")
        other = f"{head}/resource/{tail.replace(str(ids.kuwo_rid(key)), str(ids.kuwo_rid(key + 4)))}"
        assert (await client.get(other)).status_code == 403


async def test_lyrics_from_the_rid_alone(sandbox: Sandbox, world: Catalog) -> None:
    playlist = world.playlist("kuwo", "playlist_square", 0)
    silent = find_key(world, lambda k: world.lyrics(k // VARIANTS) == "")
    async with sandbox.client() as client:
        source = Source(client)
        for key in playlist.track_keys[:6]:
            assert await source.lyrics(bare(key)) == world.lyrics(key // VARIANTS)
        assert await source.lyrics(bare(silent)) == ""
        assert await source.lyrics(SourceTrack(source="kuwo", remote_id="MUSIC_1")) == ""


async def test_broken_answers_are_upstream_errors(sandbox_faults: Sandbox, world: Catalog) -> None:
    sandbox_faults.set_faults(
        {"host": "www.kuwo.cn", "path_prefix": "/search/", "broken_json": True},
        {"host": "m.kuwo.cn", "path_prefix": "/newh5/", "broken_json": True},
        {"host": "www.kuwo.cn", "path_prefix": "/api/v1/www/music/playUrl", "broken_json": True},
        {"host": "antiserver.kuwo.cn", "path_prefix": "/", "broken_json": True},
    )
    key = find_key(world, lambda k: world.playable("kuwo", k))
    async with sandbox_faults.client() as client:
        source = Source(client)
        with pytest.raises(UpstreamError, match="kuwo: broken JSON"):
            await source.search("晴空下的约定", 5)
        with pytest.raises(UpstreamError, match="kuwo: broken JSON"):
            await source.lyrics(bare(key))
        with pytest.raises(UpstreamError, match="kuwo: broken JSON"):
            await source.media(bare(key), FLAC)

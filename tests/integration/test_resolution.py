"""Resolution against the sandbox's hard cases: the right recording, the quality really served, explained.

The resolver runs as an in-process gRPC server; the sandbox (``--hard-cases``) is a real
process. Ground truth is the sandbox recording id every media file carries in its bytes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest
from prometheus_client import generate_latest

from catalogsync.grpc_server import GrpcService
from catalogsync.http_client import make_client
from catalogsync.v1 import common_pb2, downloader_pb2, downloader_pb2_grpc, resolver_pb2, resolver_pb2_grpc
from sandbox import audio, ids
from sandbox.catalog import LIVE, ORIGINAL, VARIANTS, Catalog, CatalogConfig
from sandbox.vocabulary import FIXED_WORKS
from services.downloader import config as downloader_config
from services.downloader import server as downloader_server
from services.resolver import config as resolver_config
from services.resolver import server as resolver_server
from tests.support.sandbox import Sandbox, start_sandbox
from tests.support.transfers import collect

pytestmark = pytest.mark.anyio
SEARCH_PATH = "/search/searchMusicBykeyWord"  # kuwo's search endpoint
PLAIN_SOURCES = ("kuwo", "migu", "qianqian")  # serve every advertised quality to an anonymous client


@pytest.fixture(scope="module")
def hard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    server = start_sandbox(
        tmp_path_factory.mktemp("hard-sandbox"),
        *("--hard-cases", "--media-scale", "200", "--tracks", "20", "--unavailable", "0.05"),
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def catalog(hard: Sandbox) -> Catalog:
    return Catalog(CatalogConfig(**hard.admin("GET", "catalog")["config"]))


@pytest.fixture
async def resolver(hard: Sandbox) -> AsyncIterator[resolver_pb2_grpc.ResolverServiceStub]:
    settings = resolver_config.Settings.from_env(
        {
            "CATALOGSYNC_UPSTREAM_OVERRIDES": hard.overrides,
            "CATALOGSYNC_RESOLVER_PORT": "0",
            "CATALOGSYNC_RESOLVER_METRICS_PORT": "0",
            "CATALOGSYNC_SHUTDOWN_GRACE_SECONDS": "1",
            "CATALOGSYNC_SOURCE_RATE": "200",
            "CATALOGSYNC_SOURCE_COOLDOWN_SECONDS": "600",
        }
    )
    client = make_client(settings.overrides, timeout=settings.http_timeout_s)
    service = GrpcService("resolver", settings.server, [resolver_server.registration(client, settings)])
    port = await service.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield resolver_pb2_grpc.ResolverServiceStub(channel)
    await service.stop(on_stop=client.aclose)


def snapshot(catalog: Catalog, w: int, **changes: object) -> common_pb2.SongSnapshot:
    """The song as a discovery platform lists it (the original recording of work ``w``)."""
    work = catalog.work(w)
    song = common_pb2.SongSnapshot(
        platform="netease",
        remote_song_id=str(ids.netease_song_id(w * VARIANTS)),
        name=work.title,
        artists=[common_pb2.ArtistRef(name=a) for a in work.artists],
        album=work.album,
        duration_s=work.duration_s,
    )
    for name, value in changes.items():
        setattr(song, name, value)
    return song


def recording(source: str, remote_id: str) -> int | None:
    return ids.track_key(source, remote_id)


def twins(catalog: Catalog, *, case_only: bool) -> tuple[int, int]:
    """(earlier, later) works whose titles differ only by case, or are the same text."""
    for w in range(1, catalog.work_count):
        earlier, later = catalog.work(w - 1), catalog.work(w)
        if later.artists != earlier.artists or later.title.casefold() != earlier.title.casefold():
            continue
        if catalog.unavailable_everywhere(w - 1) or catalog.unavailable_everywhere(w):
            continue
        if (later.title != earlier.title) == case_only:
            return w - 1, w
    pytest.fail("the hard catalog has no such twins")


async def resolve(
    stub: resolver_pb2_grpc.ResolverServiceStub, song: common_pb2.SongSnapshot, **kwargs: object
) -> resolver_pb2.ResolveResponse:
    return await stub.Resolve(resolver_pb2.ResolveRequest(song=song, **kwargs))


def assert_only(response: resolver_pb2.ResolveResponse, key: int) -> None:
    assert response.candidates, (response.reason, list(response.considered))
    assert {recording(c.source, c.remote_id) for c in response.candidates} == {key}
    offered = [c for c in response.considered if not c.rejected]
    assert [c.rank for c in offered] == list(range(1, len(offered) + 1))
    assert all(recording(c.source, c.remote_id) == key for c in offered)


@pytest.mark.parametrize("case_only", [True, False], ids=["case-only-twins", "same-title-other-duration"])
async def test_twins_resolve_to_their_own_recording(
    resolver: resolver_pb2_grpc.ResolverServiceStub, catalog: Catalog, case_only: bool
) -> None:
    earlier, later = twins(catalog, case_only=case_only)
    for mine, other in ((earlier, later), (later, earlier)):
        response = await resolve(resolver, snapshot(catalog, mine))
        assert_only(response, mine * VARIANTS)
        other_seen = [c for c in response.considered if recording(c.source, c.remote_id) == other * VARIANTS]
        assert other_seen, "the twin was listed by the sources but not considered"
        expected = "case-only difference" if case_only else "duration"
        assert all(expected in c.rejected and c.match == "different" for c in other_seen)


async def test_decoys_ranked_first_by_the_platform_are_rejected(
    resolver: resolver_pb2_grpc.ResolverServiceStub, catalog: Catalog
) -> None:
    w = next(
        w
        for w in range(20, catalog.work_count)
        if catalog.listed("kuwo", w * VARIANTS + LIVE) and catalog.playable("kuwo", w * VARIANTS)
    )
    work = catalog.work(w)
    listed, _ = catalog.search("kuwo", f"{work.title} {work.artists[0]}")
    assert listed[0].variant != ORIGINAL  # the platform's own first pick is a decoy
    response = await resolve(resolver, snapshot(catalog, w), download_sources=["kuwo"])
    assert_only(response, w * VARIANTS)
    live = next(c for c in response.considered if recording(c.source, c.remote_id) == w * VARIANTS + LIVE)
    assert live.match == "different" and live.rejected.startswith("version marker")


def downgrade_case(catalog: Catalog) -> tuple[int, str, str]:
    """(work, source that advertises 320k+ but serves 128k, later source that serves 320k+)."""
    for w in range(catalog.work_count):
        key = w * VARIANTS
        honest = [
            s
            for s in PLAIN_SOURCES
            if catalog.playable(s, key) and not catalog.downgraded(s, key) and catalog.quality(s, key, "320k")
        ]
        liars = [
            s
            for s in PLAIN_SOURCES
            if catalog.playable(s, key) and catalog.downgraded(s, key) and len(catalog.qualities(s, key)) > 1
        ]
        if honest and liars:
            return w, liars[0], honest[0]
    pytest.fail("the hard catalog has no served downgrade next to an honest source")


async def test_the_source_really_serving_320k_wins_over_one_advertising_it(
    resolver: resolver_pb2_grpc.ResolverServiceStub, catalog: Catalog
) -> None:
    w, liar, honest = downgrade_case(catalog)
    response = await resolve(resolver, snapshot(catalog, w), download_sources=[liar, honest])
    assert_only(response, w * VARIANTS)
    best = response.candidates[0]
    assert best.source == honest
    assert best.quality == catalog.best_quality(honest, w * VARIANTS).label
    assert best.size_bytes == catalog.best_quality(honest, w * VARIANTS).size
    lied = next(c for c in response.considered if c.source == liar and c.match in ("exact", "normalised"))
    assert lied.advertised_quality in ("320k", "flac")
    assert lied.served_quality == "128k" and lied.served_bitrate_kbps == 128


async def test_a_pin_wins_over_scoring_and_none_means_never(
    resolver: resolver_pb2_grpc.ResolverServiceStub, catalog: Catalog
) -> None:
    w = next(w for w in range(20, catalog.work_count) if catalog.playable("migu", w * VARIANTS + LIVE))
    decoy = ids.migu_copyright_id(w * VARIANTS + LIVE)
    pinned = await resolve(
        resolver, snapshot(catalog, w), pin=resolver_pb2.Pin(source="migu", remote_id=decoy)
    )
    assert [(c.source, c.remote_id) for c in pinned.candidates] == [("migu", decoy)]
    assert pinned.considered[0].pinned and pinned.considered[0].rank == 1
    assert all(c.rejected == "pinned elsewhere" for c in pinned.considered[1:])

    never = await resolve(resolver, snapshot(catalog, w), pin=resolver_pb2.Pin(none=True))
    assert not never.candidates and never.failure_class == "pinned_none"


async def test_only_other_recordings_is_a_mismatch(
    resolver: resolver_pb2_grpc.ResolverServiceStub, catalog: Catalog
) -> None:
    w = 30
    song = snapshot(catalog, w, duration_s=catalog.work(w).duration_s + 90)
    response = await resolve(resolver, song)
    assert not response.candidates and response.failure_class == "mismatch"
    assert response.considered and all(c.rejected for c in response.considered)


async def test_a_recording_no_source_serves_is_unavailable(
    resolver: resolver_pb2_grpc.ResolverServiceStub, catalog: Catalog
) -> None:
    w = next(w for w in range(20, catalog.work_count) if catalog.unavailable_everywhere(w))
    response = await resolve(resolver, snapshot(catalog, w))
    assert not response.candidates and response.failure_class == "unavailable"
    refused = [c for c in response.considered if recording(c.source, c.remote_id) == w * VARIANTS]
    assert refused and all(c.rejected.startswith("VIP only") for c in refused if c.match != "different")


async def test_a_source_answering_429_is_parked_not_retried(
    resolver: resolver_pb2_grpc.ResolverServiceStub, catalog: Catalog, hard: Sandbox
) -> None:
    hard.clear_faults()
    hard.set_faults({"host": "www.kuwo.cn", "path_prefix": SEARCH_PATH, "status": 429})
    try:
        first = await resolve(resolver, snapshot(catalog, 30), download_sources=["kuwo"])
        asked = sum(
            n
            for path, n in hard.requests()["requests"].items()
            if path.startswith("www.kuwo.cn" + SEARCH_PATH)
        )
        second = await resolve(resolver, snapshot(catalog, 31), download_sources=["kuwo"])
        asked_after = sum(
            n
            for path, n in hard.requests()["requests"].items()
            if path.startswith("www.kuwo.cn" + SEARCH_PATH)
        )
    finally:
        hard.clear_faults()
    assert first.failure_class == "rate_limited" and first.sources[0].failure_class == "rate_limited"
    assert second.failure_class == "rate_limited" and "parked" in second.sources[0].error
    assert asked_after == asked  # parked: nothing more was sent
    metrics = generate_latest().decode()
    assert 'catalogsync_resolver_source_parked{source="kuwo"} 1.0' in metrics


async def test_the_stored_bytes_are_the_right_recording(
    resolver: resolver_pb2_grpc.ResolverServiceStub, catalog: Catalog, hard: Sandbox, tmp_path: Path
) -> None:
    earlier, _later = twins(catalog, case_only=True)
    before = hard.requests()
    response = await resolve(resolver, snapshot(catalog, earlier))
    probed = hard.requests()
    assert sum(probed["media_downloads"].values()) == sum(before["media_downloads"].values())
    assert sum(probed["media_probes"].values()) > sum(before["media_probes"].values())
    candidate = response.candidates[0]
    settings = downloader_config.Settings.from_env(
        {
            "CATALOGSYNC_UPSTREAM_OVERRIDES": hard.overrides,
            "CATALOGSYNC_DOWNLOADER_PORT": "0",
            "CATALOGSYNC_DOWNLOADER_METRICS_PORT": "0",
            "CATALOGSYNC_SHUTDOWN_GRACE_SECONDS": "1",
        }
    )
    client = make_client(settings.overrides, timeout=settings.http_timeout_s)
    service = GrpcService("downloader", settings.server, [downloader_server.registration(client, settings)])
    port = await service.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = downloader_pb2_grpc.DownloaderServiceStub(channel)
            work = catalog.work(earlier)
            request = downloader_pb2.DownloadRequest(
                candidate=candidate,
                library_root=str(tmp_path / "library"),
                layout="platform_first_artist",
                tags=downloader_pb2.Tags(title=work.title, artists=list(work.artists), album=work.album),
            )
            outcome = await collect(stub.Download(request))
    finally:
        await service.stop(on_stop=client.aclose)
    assert outcome.failure is None, outcome.failure
    downloads = sum(hard.requests()["media_downloads"].values()) - sum(probed["media_downloads"].values())
    assert downloads == 1  # the resolver only read the head; the downloader fetched the file once
    stored = tmp_path / "library" / outcome.result.relative_path
    assert stored.is_file()
    assert audio.recording_of(stored.read_bytes()) == earlier * VARIANTS


ORDER = ["qq", "kuwo", "migu", "qianqian", "kugou", "netease"]
LATER_SEARCHES = ("/v1/search", "/song_search_v2", "/api/cloudsearch/pc")  # qianqian, kugou, netease


def later_searches(server: Sandbox) -> int:
    counted = server.requests()["requests"].items()
    return sum(n for key, n in counted if key.endswith(LATER_SEARCHES))


async def test_the_search_stops_at_an_exact_match_served_lossless_by_a_first_source(
    resolver: resolver_pb2_grpc.ResolverServiceStub, hard: Sandbox, catalog: Catalog
) -> None:
    """Observed in the sandbox's request log: once qq, kuwo or migu serve an exact FLAC of the song,
    qianqian, kugou and netease are not searched; otherwise all six are."""
    stopped, searched_all = [], []
    for w in range(len(FIXED_WORKS), catalog.work_count):
        if catalog.unavailable_everywhere(w):
            continue
        hard.admin("POST", "reset-counters")
        response = await resolve(resolver, snapshot(catalog, w), download_sources=ORDER, max_candidates=3)
        best = response.candidates[0] if response.candidates else None
        names = [s.source for s in response.sources]
        if best is not None and best.source in ORDER[:3] and best.quality == "flac":
            assert recording(best.source, best.remote_id) == w * VARIANTS
            assert (names, later_searches(hard)) == (ORDER[:3], 0)
            stopped.append(w)
        else:
            assert names == ORDER
            assert later_searches(hard) > 0
            searched_all.append(w)
        if len(stopped) >= 2 and searched_all:
            return
    pytest.fail(f"expected early stops and full searches, got {stopped} and {searched_all}")

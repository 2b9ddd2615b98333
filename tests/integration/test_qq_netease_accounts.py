"""The user's own QQ / NetEase login, end to end against the sandbox process.

With ``CATALOGSYNC_QQ_COOKIE`` / ``CATALOGSYNC_NETEASE_COOKIE`` (or their ``_FILE`` form) a
VIP-only song resolves at the VIP quality through the resolver (in-process gRPC server) and
is downloaded at that quality by the downloader; the cookie value appears in no log line and
no answer. The "who am I" check accepts the sandbox's test login and rejects another one;
private playlists are visible with the login only.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import grpc
import pytest
from google.protobuf import text_format

from catalogsync.accounts import load_account
from catalogsync.grpc_server import GrpcService
from catalogsync.http_client import make_client
from catalogsync.v1 import common_pb2, downloader_pb2, downloader_pb2_grpc, resolver_pb2, resolver_pb2_grpc
from sandbox import ids
from sandbox.catalog import VARIANTS, Catalog, CatalogConfig
from sandbox.platforms.netease_vip import VIP_MUSIC_U
from sandbox.platforms.netease_vip import private_playlist as netease_private
from sandbox.platforms.qq_gateway import VIP_KEY, VIP_UIN
from sandbox.platforms.qq_gateway import private_playlist as qq_private
from services.collector import platforms
from services.collector.platforms.base import PlaylistNotFound
from services.downloader import server as downloader_server
from services.downloader.config import Settings as DownloaderSettings
from services.resolver import server as resolver_server
from services.resolver import sources
from services.resolver.config import Settings as ResolverSettings
from tests.support.sandbox import Sandbox
from tests.support.transfers import collect

pytestmark = pytest.mark.anyio
COOKIES = {
    "qq": f"uin=o{VIP_UIN}; qqmusic_key={VIP_KEY}; qm_keyst={VIP_KEY}",
    "netease": f"MUSIC_U={VIP_MUSIC_U}; __csrf=0123abcd",
}
SECRETS = {"qq": VIP_KEY, "netease": VIP_MUSIC_U}
WRONG = {"qq": f"uin=o{VIP_UIN}; qqmusic_key=Q_H_L_not-the-key", "netease": "MUSIC_U=expired-login-value"}
PRIVATE = {"qq": qq_private, "netease": netease_private}
SONG_ID: dict[str, Callable[[int], str]] = {
    "qq": ids.qq_song_mid,
    "netease": lambda k: str(ids.netease_song_id(k)),
}


@pytest.fixture(scope="module")
def world(sandbox: Sandbox) -> Catalog:
    return Catalog(CatalogConfig(**sandbox.admin("GET", "catalog")["config"]))


def vip_only_song(world: Catalog, platform: str) -> int:
    """A plain-titled original the anonymous client cannot play, with a FLAC file."""
    for w in range(9, world.work_count):
        key = w * VARIANTS
        title = world.track(key).title
        if (
            title.isprintable()
            and "/" not in title
            and len(title) < 40
            and world.listed(platform, key)
            and not world.playable(platform, key)
            and not world.unavailable_everywhere(w)
            and world.quality(platform, key, "flac") is not None
        ):
            return key
    pytest.fail(f"the sandbox has no VIP-only {platform} song with a FLAC file")


def song_snapshot(world: Catalog, key: int, platform: str) -> common_pb2.SongSnapshot:
    """The song as the discovery platform listed it."""
    track = world.track(key)
    return common_pb2.SongSnapshot(
        platform=platform,
        remote_song_id=SONG_ID[platform](key),
        name=track.title,
        artists=[common_pb2.ArtistRef(name=a) for a in track.artists],
        duration_s=track.duration_s,
    )


def cookie_env(platform: str, tmp_path: Path, via_file: bool, text: str) -> dict[str, str]:
    key = f"CATALOGSYNC_{platform.upper()}_COOKIE"
    if not via_file:
        return {key: text}
    secret = tmp_path / f"{platform}-cookie"
    secret.write_text(text + "\n", encoding="utf-8")
    return {f"{key}_FILE": str(secret)}


@asynccontextmanager
async def resolver(
    sandbox: Sandbox, env: dict[str, str]
) -> AsyncIterator[resolver_pb2_grpc.ResolverServiceStub]:
    settings = ResolverSettings.from_env(
        {
            "CATALOGSYNC_UPSTREAM_OVERRIDES": sandbox.overrides,
            "CATALOGSYNC_RESOLVER_PORT": "0",
            "CATALOGSYNC_RESOLVER_METRICS_PORT": "0",
            "CATALOGSYNC_SHUTDOWN_GRACE_SECONDS": "1",
            **env,
        }
    )
    client = make_client(settings.overrides, timeout=settings.http_timeout_s)
    service = GrpcService("resolver", settings.server, [resolver_server.registration(client, settings)])
    port = await service.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield resolver_pb2_grpc.ResolverServiceStub(channel)
    finally:
        await service.stop(on_stop=client.aclose)


@asynccontextmanager
async def downloader(sandbox: Sandbox) -> AsyncIterator[downloader_pb2_grpc.DownloaderServiceStub]:
    settings = DownloaderSettings.from_env(
        {
            "CATALOGSYNC_UPSTREAM_OVERRIDES": sandbox.overrides,
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
            yield downloader_pb2_grpc.DownloaderServiceStub(channel)
    finally:
        await service.stop(on_stop=client.aclose)


@pytest.mark.parametrize("via_file", [False, True], ids=["env", "file"])
@pytest.mark.parametrize("platform", ["qq", "netease"])
async def test_vip_song_resolves_and_downloads_at_the_vip_quality(
    sandbox: Sandbox,
    world: Catalog,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    platform: str,
    via_file: bool,
) -> None:
    caplog.set_level(logging.DEBUG)
    key = vip_only_song(world, platform)
    remote_id = SONG_ID[platform](key)
    request = resolver_pb2.ResolveRequest(
        song=song_snapshot(world, key, platform), download_sources=[platform]
    )
    async with resolver(sandbox, {}) as anonymous:
        refused = await anonymous.Resolve(request)
    assert remote_id not in {c.remote_id for c in refused.candidates}

    env = cookie_env(platform, tmp_path, via_file, COOKIES[platform])
    async with resolver(sandbox, env) as stub:
        answer = await stub.Resolve(request)
    candidate = next(c for c in answer.candidates if c.remote_id == remote_id)
    assert (candidate.quality, candidate.ext) == ("flac", "flac")
    expected = sandbox.expected(platform, remote_id, "flac")
    assert candidate.size_bytes == expected["size"]

    download = downloader_pb2.DownloadRequest(
        candidate=candidate,
        library_root=str(tmp_path / "library"),
        layout="platform_first_artist",
        tags=downloader_pb2.Tags(title=candidate.title, artists=list(candidate.artists)),
    )
    async with downloader(sandbox) as fetch:
        outcome = await collect(fetch.Download(download))
    assert outcome.failure is None, outcome.failure
    assert outcome.result.quality == "flac"
    assert outcome.result.media_sha256 == expected["sha256"]
    assert (tmp_path / "library" / outcome.result.relative_path).is_file()

    secret = SECRETS[platform]
    answers = text_format.MessageToString(answer, as_utf8=True) + text_format.MessageToString(
        outcome.result, as_utf8=True
    )
    assert secret not in answers
    assert caplog.records, "the services logged nothing: the check below would prove nothing"
    assert not [r for r in caplog.records if secret in r.getMessage()]


@pytest.mark.parametrize("platform", ["qq", "netease"])
async def test_check_account_accepts_the_login_and_rejects_another(sandbox: Sandbox, platform: str) -> None:
    async with sandbox.client() as client:
        good = load_account(platform, {f"CATALOGSYNC_{platform.upper()}_COOKIE": COOKIES[platform]})
        wrong = load_account(platform, {f"CATALOGSYNC_{platform.upper()}_COOKIE": WRONG[platform]})
        accepted = await sources.create(platform, client, good).check_account()
        rejected = await sources.create(platform, client, wrong).check_account()
        unset = await sources.create(platform, client).check_account()
    assert (accepted.accepted, accepted.detail) == (True, "VIP")
    assert rejected.accepted is False and rejected.detail
    assert (unset.accepted, unset.detail) == (None, "no account set")
    for check in (accepted, rejected):
        assert SECRETS[platform] not in check.detail and "not-the-key" not in check.detail


@pytest.mark.parametrize("platform", ["qq", "netease"])
async def test_private_playlist_needs_the_login(sandbox: Sandbox, world: Catalog, platform: str) -> None:
    private = PRIVATE[platform](world)
    account = load_account(platform, {f"CATALOGSYNC_{platform.upper()}_COOKIE": COOKIES[platform]})
    async with sandbox.client() as client:
        with pytest.raises(PlaylistNotFound, match="private"):
            await platforms.create(platform, client).fetch_playlist(
                private.remote_id, common_pb2.PLAYLIST_SQUARE, 0
            )
        response = await platforms.create(platform, client, account).fetch_playlist(
            private.remote_id, common_pb2.PLAYLIST_SQUARE, 0
        )
    assert response.playlist.name == private.name
    assert [t.remote_song_id for t in response.tracks] == [SONG_ID[platform](k) for k in private.track_keys]


@pytest.mark.parametrize(
    ("platform", "fault"),
    [
        ("qq", {"host": "u.y.qq.com", "path_prefix": "/cgi-bin/music", "broken_json": True}),
        ("netease", {"host": "*.music.163.com", "path_prefix": "/", "status": 500}),
    ],
)
async def test_platform_errors_carry_no_cookie(
    sandbox_faults: Sandbox,
    world: Catalog,
    caplog: pytest.LogCaptureFixture,
    platform: str,
    fault: dict[str, object],
) -> None:
    caplog.set_level(logging.DEBUG)
    key = vip_only_song(world, platform)
    sandbox_faults.set_faults(fault)
    request = resolver_pb2.ResolveRequest(
        song=song_snapshot(world, key, platform), download_sources=[platform]
    )
    async with resolver(
        sandbox_faults, {f"CATALOGSYNC_{platform.upper()}_COOKIE": COOKIES[platform]}
    ) as stub:
        answer = await stub.Resolve(request)
    errors = [s.error for s in answer.sources if s.error]
    assert errors and not answer.candidates  # the failure reached the answer…
    secret = SECRETS[platform]
    assert secret not in text_format.MessageToString(answer, as_utf8=True)  # …without the cookie
    assert not [r for r in caplog.records if secret in r.getMessage()]

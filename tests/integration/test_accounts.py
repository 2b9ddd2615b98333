"""The user's accounts through the resolver's gRPC API (in-process server, real gRPC, sandbox process):
CheckAccounts per platform (not set / set and rejected / set and not checkable), and a VIP-only
kuwo song resolved at FLAC with the member cookie — which shows up in no answer and no log line."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from catalogsync.grpc_server import GrpcService
from catalogsync.http_client import make_client
from catalogsync.v1 import common_pb2, resolver_pb2, resolver_pb2_grpc
from sandbox import ids
from sandbox.catalog import VARIANTS, Catalog, CatalogConfig
from services.resolver.config import Settings
from services.resolver.server import registration
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.anyio
KUWO_SESSION = "kw-member-session-5e1f9c"
KUWO_COOKIE = f"userid=1234567; websid={KUWO_SESSION}"
KUGOU_BAD = "kg_mid=kugou-visitor-77aa"
MIGU_SESSION = "migu-session-0b3c9d"


@pytest.fixture(scope="module")
def world(sandbox: Sandbox) -> Catalog:
    return Catalog(CatalogConfig(**sandbox.admin("GET", "catalog")["config"]))


@pytest.fixture
async def stub(
    sandbox: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[resolver_pb2_grpc.ResolverServiceStub]:
    (tmp_path / "migu").write_text(f"SESSION={MIGU_SESSION}\n", encoding="utf-8")
    settings = Settings.from_env(
        {
            "CATALOGSYNC_UPSTREAM_OVERRIDES": sandbox.overrides,
            "CATALOGSYNC_RESOLVER_PORT": "0",
            "CATALOGSYNC_RESOLVER_METRICS_PORT": "0",
            "CATALOGSYNC_SHUTDOWN_GRACE_SECONDS": "1",
            "CATALOGSYNC_KUWO_COOKIE": KUWO_COOKIE,
            "CATALOGSYNC_KUGOU_COOKIE": KUGOU_BAD,
            "CATALOGSYNC_MIGU_COOKIE_FILE": str(tmp_path / "migu"),
        }
    )
    caplog.set_level(logging.DEBUG)
    client = make_client(settings.overrides, timeout=settings.http_timeout_s)
    service = GrpcService("resolver", settings.server, [registration(client, settings)])
    port = await service.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield resolver_pb2_grpc.ResolverServiceStub(channel)
    await service.stop(on_stop=client.aclose)


def secrets_in(text: str) -> list[str]:
    return [s for s in (KUWO_SESSION, MIGU_SESSION, "kugou-visitor-77aa") if s in text]


async def test_check_accounts_per_platform(
    stub: resolver_pb2_grpc.ResolverServiceStub, caplog: pytest.LogCaptureFixture
) -> None:
    reply = await stub.CheckAccounts(resolver_pb2.CheckAccountsRequest(), timeout=30)
    status = {a.platform: (a.configured, a.accepted) for a in reply.accounts}
    assert status == {
        "qq": (False, "unknown"),
        "kuwo": (True, "unknown"),
        "migu": (True, "unknown"),
        "qianqian": (False, "unknown"),
        "kugou": (True, "no"),
        "netease": (False, "unknown"),
    }
    details = {a.platform: a.detail for a in reply.accounts}
    assert details["qq"] == details["qianqian"] == "no account set"
    assert "cannot be checked" in details["kuwo"] and "KuGoo" in details["kugou"]
    assert secrets_in(str(reply)) == []
    assert [r.getMessage() for r in caplog.records if secrets_in(r.getMessage())] == []


async def test_vip_only_kuwo_song_resolves_at_flac_with_the_member_cookie(
    stub: resolver_pb2_grpc.ResolverServiceStub,
    sandbox: Sandbox,
    world: Catalog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = next(
        w * VARIANTS
        for w in range(world.work_count)
        if world.listed("kuwo", w * VARIANTS)
        and not world.playable("kuwo", w * VARIANTS)
        and not world.unavailable_everywhere(w)
        and world.quality("kuwo", w * VARIANTS, "flac") is not None
        and world.track(w * VARIANTS).title.isprintable()
    )
    track = world.track(key)
    song = common_pb2.SongSnapshot(
        platform="kuwo",
        remote_song_id=str(ids.kuwo_rid(key)),
        name=track.title,
        artists=[common_pb2.ArtistRef(name=a) for a in track.artists],
        album=track.album,
        duration_s=track.duration_s,
    )
    reply = await stub.Resolve(resolver_pb2.ResolveRequest(song=song, download_sources=["kuwo"]), timeout=60)
    assert reply.candidates, reply.reason
    best = reply.candidates[0]
    assert (best.source, best.remote_id, best.quality) == ("kuwo", str(ids.kuwo_rid(key)), "flac")
    async with sandbox.client() as client:
        body = (await client.get(best.media_url)).content
    assert hashlib.sha256(body).hexdigest() == sandbox.expected("kuwo", best.remote_id, "flac")["sha256"]
    assert secrets_in(str(reply)) == []
    assert [r.getMessage() for r in caplog.records if secrets_in(r.getMessage())] == []

"""Kuwo's token-free routes, their fallbacks, the client-made token and the user's own cookie,
against the sandbox as a real process."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from catalogsync.accounts import load_accounts
from catalogsync.platforms.kuwo_secret import CLIENT_TOKEN_COOKIE, KuwoWebSession
from sandbox import ids
from sandbox.catalog import ORIGINAL, VARIANTS, Catalog, CatalogConfig
from services.collector.platforms.kuwo import BANG_MENU_URL
from services.resolver.sources.base import QualityOption, SourceTrack
from services.resolver.sources.kuwo import Source
from tests.support.sandbox import Sandbox, start_sandbox

pytestmark = pytest.mark.anyio
FLAC = QualityOption("flac", "flac", 2000)
MEMBER_COOKIE = "userid=1234567; websid=s3cr3t-member-session-7f3a; Hm_lpvt_x=1"
PLAY_URL_PATH = "www.kuwo.cn/api/v1/www/music/playUrl"
ANTI_PATH = "antiserver.kuwo.cn/anti.s"


@pytest.fixture(scope="module")
def world(sandbox: Sandbox) -> Catalog:
    return Catalog(CatalogConfig(**sandbox.admin("GET", "catalog")["config"]))


@pytest.fixture(scope="module")
def tokenless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox whose Kuwo homepage sets no Hm_Iuvt_* cookie (the live site today)."""
    logs = tmp_path_factory.mktemp("sandbox-tokenless")
    server = start_sandbox(logs, env={"CATALOGSYNC_SANDBOX_KUWO_HOME_TOKEN": "0"})
    yield server
    server.stop()


def find_key(world: Catalog, wanted: Callable[[int], bool]) -> int:
    keys = (w * VARIANTS + v for w in range(world.work_count) for v in (ORIGINAL, *range(1, VARIANTS)))
    key = next((k for k in keys if wanted(k)), None)
    assert key is not None, "the sandbox catalog has no such track"
    return key


def bare(key: int) -> SourceTrack:
    return SourceTrack(source="kuwo", remote_id=str(ids.kuwo_rid(key)))


def hits(sandbox: Sandbox, path: str) -> int:
    return sandbox.requests()["requests"].get(path, 0)


def vip_only_with_flac(world: Catalog) -> int:
    return find_key(
        world,
        lambda k: (
            world.listed("kuwo", k)
            and not world.unavailable_everywhere(k // VARIANTS)
            and not world.playable("kuwo", k)
            and world.quality("kuwo", k, "flac") is not None
        ),
    )


async def test_homepage_without_token_cookie_uses_a_client_made_token(tokenless: Sandbox) -> None:
    async with tokenless.client() as client:
        session = KuwoWebSession(client)
        payload = await session.get_json(BANG_MENU_URL, {"httpsStatus": 1})
        token = await session.token()
    assert payload["code"] == 200 and payload["data"]
    assert token.name == CLIENT_TOKEN_COOKIE and len(token.value) == 32


async def test_anonymous_media_comes_from_antiserver(sandbox_faults: Sandbox, world: Catalog) -> None:
    key = find_key(
        world, lambda k: world.playable("kuwo", k) and world.quality("kuwo", k, "320k") is not None
    )
    before = (hits(sandbox_faults, ANTI_PATH), hits(sandbox_faults, PLAY_URL_PATH))
    async with sandbox_faults.client() as client:
        link = await Source(client).media(bare(key), QualityOption("320k", "mp3", 320))
        assert link is not None and link.quality.label == "320k"
        body = (await client.get(link.url)).content
    assert (hits(sandbox_faults, ANTI_PATH), hits(sandbox_faults, PLAY_URL_PATH)) == (
        before[0] + 1,
        before[1],
    )
    facts = sandbox_faults.expected("kuwo", str(ids.kuwo_rid(key)), "320k")
    assert hashlib.sha256(body).hexdigest() == facts["sha256"]


async def test_antiserver_failure_falls_back_to_the_web_play_url(
    sandbox_faults: Sandbox, world: Catalog
) -> None:
    key = find_key(world, lambda k: world.playable("kuwo", k))
    sandbox_faults.set_faults({"host": "antiserver.kuwo.cn", "path_prefix": "/", "status": 503})
    before = hits(sandbox_faults, PLAY_URL_PATH)
    async with sandbox_faults.client() as client:
        link = await Source(client).media(bare(key), FLAC)
    assert link is not None
    assert link.quality.label == world.best_quality("kuwo", key).label
    assert hits(sandbox_faults, PLAY_URL_PATH) == before + 1


@pytest.mark.parametrize("origin", ["env", "file"])
async def test_member_cookie_unlocks_a_vip_only_song_at_flac_and_is_never_logged(
    sandbox: Sandbox, world: Catalog, tmp_path: Path, caplog: pytest.LogCaptureFixture, origin: str
) -> None:
    key = vip_only_with_flac(world)
    if origin == "env":
        env = {"CATALOGSYNC_KUWO_COOKIE": MEMBER_COOKIE}
    else:
        (tmp_path / "kuwo-cookie").write_text(MEMBER_COOKIE + "\n", encoding="utf-8")
        env = {"CATALOGSYNC_KUWO_COOKIE_FILE": str(tmp_path / "kuwo-cookie")}
    account = load_accounts(env)["kuwo"]
    caplog.set_level(logging.DEBUG)
    async with sandbox.client() as client:
        assert await Source(client).media(bare(key), FLAC) is None  # anonymous: VIP only
        source = Source(client, account)
        link = await source.media(bare(key), FLAC)
        assert link is not None
        body = (await client.get(link.url)).content
        check = await source.check_account()
    assert (link.quality.label, link.url.endswith(".flac"), body[:4]) == ("flac", True, b"fLaC")
    facts = sandbox.expected("kuwo", str(ids.kuwo_rid(key)), "flac")
    assert hashlib.sha256(body).hexdigest() == facts["sha256"]
    assert check.accepted is None and "cannot be checked" in check.detail
    secret_part = "s3cr3t-member-session-7f3a"
    assert secret_part not in repr(account) and secret_part not in check.detail
    assert not [r for r in caplog.records if secret_part in r.getMessage()]


async def test_expired_member_cookie_does_not_unlock(sandbox: Sandbox, world: Catalog) -> None:
    key = vip_only_with_flac(world)
    account = load_accounts({"CATALOGSYNC_KUWO_COOKIE": "userid=1234567; websid=expired"})["kuwo"]
    async with sandbox.client() as client:
        assert await Source(client, account).media(bare(key), FLAC) is None


async def test_check_account_without_account_or_without_userid(sandbox: Sandbox) -> None:
    account = load_accounts({"CATALOGSYNC_KUWO_COOKIE": "websid=abc"})["kuwo"]
    async with sandbox.client() as client:
        none = await Source(client).check_account()
        bad = await Source(client, account).check_account()
    assert (none.accepted, none.detail) == (None, "no account set")
    assert bad.accepted is False and "userid" in bad.detail

"""Migu's ranged GET when HEAD is refused, Kugou's area_code, backup_url and member cookie,
and the account checks of migu, kugou and qianqian — against the sandbox as a real process."""

from __future__ import annotations

import hashlib

import pytest

from catalogsync.accounts import load_accounts
from sandbox import ids
from sandbox.catalog import Catalog, CatalogConfig
from sandbox.platforms.kugou import MEDIA_HOSTS, cold_on_primary, mainland_only
from services.resolver import sources
from services.resolver.sources.base import QualityOption
from services.resolver.sources.kugou import SEARCH_URL as KUGOU_SEARCH_URL
from tests.integration.test_download_sources import download, find, plain_originals
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.anyio
FLAC = QualityOption("flac", "flac", 900)
KUGOU_MEMBER = "KuGoo=KugooID=9876543&KugooPwd=0f0e0d&NickName=%E6%9E%97&t=ab12cd; kg_mid=ffee"


@pytest.fixture(scope="module")
def catalog(sandbox: Sandbox) -> Catalog:
    return Catalog(CatalogConfig(**sandbox.admin("GET", "catalog")["config"]))


async def test_migu_flac_head_is_refused_so_a_ranged_get_probes_it(
    sandbox: Sandbox, catalog: Catalog
) -> None:
    key = next(
        k
        for k in plain_originals(catalog, "migu")
        if catalog.playable("migu", k) and catalog.quality("migu", k, "flac") is not None
    )
    async with sandbox.client() as client:
        source = sources.create("migu", client)
        track = await find(source, catalog, "migu", key)
        link = await source.media(track, FLAC)
        assert link is not None
        assert (await client.head(link.url)).status_code == 405
        data = await download(client, link.url, link.headers)
    assert link.quality.label == "flac"
    assert link.quality.size_bytes == len(data) == catalog.quality("migu", key, "flac").size
    assert data[:4] == b"fLaC"


async def test_kugou_search_sends_area_code(sandbox: Sandbox, catalog: Catalog) -> None:
    key = next(k for k in plain_originals(catalog, "kugou") if mainland_only(k))
    track = catalog.track(key)
    keyword = f"{track.title} {track.artists[0]}"
    async with sandbox.client() as client:
        bare = (
            await client.get(KUGOU_SEARCH_URL, params={"keyword": keyword, "page": 1, "pagesize": 30})
        ).json()
        found = await find(sources.create("kugou", client), catalog, "kugou", key)
    assert key not in [ids.track_key("kugou", row["FileHash"]) for row in bare["data"]["lists"]]
    assert ids.track_key("kugou", found.remote_id) == key


async def test_kugou_uses_the_backup_url_when_the_primary_node_refuses(
    sandbox: Sandbox, catalog: Catalog
) -> None:
    key = next(
        k
        for k in plain_originals(catalog, "kugou")
        if catalog.playable("kugou", k) and cold_on_primary(ids.kugou_hash(k, "128k"))
    )
    async with sandbox.client() as client:
        source = sources.create("kugou", client)
        track = await find(source, catalog, "kugou", key)
        link = await source.media(track, QualityOption("128k", "mp3", 128))
        assert link is not None
        data = await download(client, link.url, link.headers)
    assert link.url.startswith(f"http://{MEDIA_HOSTS[1]}/")
    assert hashlib.sha256(data).hexdigest() == sandbox.expected("kugou", track.remote_id, "128k")["sha256"]


async def test_kugou_member_cookie_unlocks_flac(sandbox: Sandbox, catalog: Catalog) -> None:
    key = next(
        k
        for k in plain_originals(catalog, "kugou")
        if catalog.playable("kugou", k) and catalog.quality("kugou", k, "flac") is not None
    )
    account = load_accounts({"CATALOGSYNC_KUGOU_COOKIE": KUGOU_MEMBER})["kugou"]
    async with sandbox.client() as client:
        source = sources.create("kugou", client, account)
        track = await find(source, catalog, "kugou", key)
        link = await source.media(track, FLAC)
        assert link is not None
        data = await download(client, link.url, link.headers)
        check = await source.check_account()
    assert link.quality.label == "flac" and data[:4] == b"fLaC"
    assert len(data) == catalog.quality("kugou", key, "flac").size
    assert check.accepted is None and "cannot be checked" in check.detail


@pytest.mark.parametrize(
    ("name", "cookie", "accepted"),
    [
        ("kugou", "kg_mid=ffee", False),
        ("kugou", KUGOU_MEMBER, None),
        ("migu", "SESSION=abc", None),
        ("qianqian", "token=abc", None),
    ],
)
async def test_account_checks(sandbox: Sandbox, name: str, cookie: str, accepted: bool | None) -> None:
    account = load_accounts({f"CATALOGSYNC_{name.upper()}_COOKIE": cookie})[name]
    async with sandbox.client() as client:
        with_account = await sources.create(name, client, account).check_account()
        without = await sources.create(name, client).check_account()
    assert with_account.accepted is accepted and with_account.detail
    assert (without.accepted, without.detail) == (None, "no account set")

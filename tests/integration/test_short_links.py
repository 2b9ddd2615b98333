"""Share short links followed through the shared HTTP client against the sandbox (a real process)."""

from __future__ import annotations

import pytest

from catalogsync.v1 import common_pb2
from sandbox.catalog import Catalog, CatalogConfig
from services.collector.urls import parse_line, parse_playlist_text
from tests.support.sandbox import Sandbox

pytestmark = pytest.mark.anyio
P, T = common_pb2.PLAYLIST_SQUARE, common_pb2.TOPLIST


@pytest.fixture(scope="module")
def world(sandbox: Sandbox) -> Catalog:
    return Catalog(CatalogConfig(**sandbox.admin("GET", "catalog")["config"]))


@pytest.mark.parametrize(
    ("line", "platform", "kind", "index"),
    [
        ("https://163cn.tv/Pl0001", "netease", P, 1),
        ("https://163cn.link/Pl0000", "netease", P, 0),
        ("https://163cn.tv/Tp0000", "netease", T, 0),
        ("分享歌单: 晴空下的约定 https://163cn.tv/Pl0002 (@网易云音乐)", "netease", P, 2),
        ("分享Mira Chen的歌单《夜/昼》https://163cn.link/Pl0001 (来自@网易云音乐)", "netease", P, 1),
        ("https://c.y.qq.com/base/fcgi-bin/u?__=Pl0001", "qq", P, 1),
        ("https://c6.y.qq.com/base/fcgi-bin/u?__=Tp0000", "qq", T, 0),
        ("https://c2.y.qq.com/base/fcgi-bin/u?__=Pl0000", "qq", P, 0),
        ("【QQ音乐】分享歌单 https://c9.y.qq.com/base/fcgi-bin/u?__=Pl0002 ", "qq", P, 2),
    ],
)
async def test_short_links_lead_to_the_playlist(
    sandbox: Sandbox, world: Catalog, line: str, platform: str, kind: int, index: int
) -> None:
    kind_name = "playlist_square" if kind == P else "toplist"
    expected = world.playlist(platform, kind_name, index).remote_id
    async with sandbox.client() as client:
        outcome = await parse_line(line, client)
    assert not isinstance(outcome, str), outcome
    assert outcome[:3] == (platform, expected, kind)
    assert "163cn" not in outcome[3] and "fcgi-bin/u" not in outcome[3]


async def test_a_short_link_to_no_playlist_is_reported(sandbox: Sandbox) -> None:
    async with sandbox.client() as client:
        response = await parse_playlist_text(
            "https://163cn.tv/nothing\nhttps://c.y.qq.com/base/fcgi-bin/u?__=zz", client
        )
    assert [(e.line, e.error) for e in response.errors] == [
        (1, "the netease short link did not lead to a playlist (it leads to https://music.163.com/)"),
        (2, "the qq short link did not lead to a playlist (it leads to https://y.qq.com/)"),
    ]


async def test_short_link_and_its_target_are_one_playlist(sandbox: Sandbox, world: Catalog) -> None:
    target = world.playlist("netease", "playlist_square", 1).remote_id
    text = f"https://163cn.tv/Pl0001\nhttps://music.163.com/#/playlist?id={target}\n"
    async with sandbox.client() as client:
        response = await parse_playlist_text(text, client)
    assert [(p.line, p.remote_playlist_id) for p in response.playlists] == [(1, target)]
    assert response.duplicates == 1 and not response.errors


async def test_an_unreachable_short_link_is_an_error_not_a_crash(sandbox_faults: Sandbox) -> None:
    sandbox_faults.set_faults({"host": "163cn.tv", "path_prefix": "/", "status": 503})
    async with sandbox_faults.client() as client:
        outcome = await parse_line("https://163cn.tv/Pl0001", client)
    assert outcome == "could not follow the short link: the short link answered HTTP 503 without a redirect"

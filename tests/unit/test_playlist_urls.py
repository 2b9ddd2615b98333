"""Playlist URLs as users paste them: a table of real-world forms through the collector's line parser.

Lines that need no short link are parsed without any request (the client would refuse to
connect); the redirecting short links are in tests/integration/test_short_links.py.
"""

from __future__ import annotations

import httpx
import pytest

from catalogsync.v1 import common_pb2
from services.collector.url_forms import find_url, is_short_link
from services.collector.urls import parse_line, parse_playlist_text

pytestmark = pytest.mark.anyio
P, T = common_pb2.PLAYLIST_SQUARE, common_pb2.TOPLIST

RECOGNISED = [
    # NetEase (netease.md §8)
    ("https://music.163.com/#/playlist?id=2829883282", "netease", "2829883282", P),
    ("https://music.163.com/playlist?id=2829883282", "netease", "2829883282", P),
    ("https://music.163.com/#/my/m/music/playlist?id=2829883282", "netease", "2829883282", P),
    ("https://music.163.com/#/m/playlist?id=2829883282", "netease", "2829883282", P),
    ("https://music.163.com/playlist/2829883282", "netease", "2829883282", P),
    ("https://music.163.com/playlist/2829883282/1234567/?userid=1234567", "netease", "2829883282", P),
    ("https://y.music.163.com/m/playlist?id=2829883282&userid=77&creatorId=88", "netease", "2829883282", P),
    ("https://y.music.163.com/m/playlist?userid=77&id=2829883282", "netease", "2829883282", P),
    ("https://music.163.com/m/playlist?id=2829883282", "netease", "2829883282", P),
    ("http://music.163.com/playlist?id=2829883282&market=iphonenative", "netease", "2829883282", P),
    ("music.163.com/#/playlist?id=2829883282", "netease", "2829883282", P),
    ("https://music.163.com/#/discover/toplist?id=3778678", "netease", "3778678", T),
    ("https://music.163.com/discover/toplist?id=3778678", "netease", "3778678", T),
    ("https://music.163.com/#/discover/toplist", "netease", "19723756", T),
    (
        "分享Mira Chen创建的歌单「晴空下的约定」: https://y.music.163.com/m/playlist?id=2829883282"
        "&userid=77&creatorId=77 (来自@网易云音乐)",
        "netease",
        "2829883282",
        P,
    ),
    ("netease,https://music.163.com/#/playlist?id=2829883282", "netease", "2829883282", P),
    # QQ Music (qq.md §8)
    ("https://y.qq.com/n/ryqq/playlist/8052190267", "qq", "8052190267", P),
    (
        "https://y.qq.com/n/ryqq_v2/playlist/8052190267?ADTAG=myqq&from=myqq&channel=10007100",
        "qq",
        "8052190267",
        P,
    ),
    ("https://y.qq.com/n/yqq/playlist/7217720898.html", "qq", "7217720898", P),
    ("https://y.qq.com/n/yqq/playsquare/7217720898.html", "qq", "7217720898", P),
    ("https://y.qq.com/n/m/detail/taoge/index.html?id=7217720898", "qq", "7217720898", P),
    (
        "https://i.y.qq.com/n2/m/share/details/taoge.html?platform=11&appshare=android_qq"
        "&appversion=10030010&hosteuin=oKEzoeC57enAov**&id=7217720898&ADTAG=qfshare",
        "qq",
        "7217720898",
        P,
    ),
    (
        "https://i2.y.qq.com/n3/other/pages/details/playlist.html?platform=11&hosteuin=abc&id=9601259329",
        "qq",
        "9601259329",
        P,
    ),
    ("https://i.y.qq.com/v8/playsquare/playlist.html?id=9601259329", "qq", "9601259329", P),
    ("https://y.qq.com/portal/playlist.html?id=9601259329", "qq", "9601259329", P),
    ("https://y.qq.com/n/ryqq/toplist/26", "qq", "26", T),
    ("https://y.qq.com/n/yqq/toplist/26.html", "qq", "26", T),
    ("https://i.y.qq.com/n2/m/share/details/toplist.html?id=26", "qq", "26", T),
    (
        "分享歌单《晴空下的约定》: https://y.qq.com/n/ryqq/playlist/8052190267 (@QQ音乐)",
        "qq",
        "8052190267",
        P,
    ),
    ("qq,y.qq.com/n/ryqq/playlist/8052190267", "qq", "8052190267", P),
    ("分享歌单:晴空,夜昼 https://y.qq.com/n/ryqq/playlist/8052190267", "qq", "8052190267", P),
    # Kuwo (kuwo.md §8)
    ("https://www.kuwo.cn/playlist_detail/2886046289", "kuwo", "2886046289", P),
    ("http://kuwo.cn/playlist_detail/2886046289/", "kuwo", "2886046289", P),
    ("http://m.kuwo.cn/h5app/playlist/2736267853?t=qqfriend", "kuwo", "2736267853", P),
    ("http://m.kuwo.cn/newh5app/playlist/2736267853", "kuwo", "2736267853", P),
    ("https://m.kuwo.cn/newh5/playlist/2736267853?from=share", "kuwo", "2736267853", P),
    ("http://www.kuwo.cn/playlist?pid=123456", "kuwo", "123456", P),
    ("https://kuwo.cn/playlist/123456", "kuwo", "123456", P),
    ("kuwo.cn/playlist_detail/2886046289", "kuwo", "2886046289", P),
    ("https://www.kuwo.cn/rankList?bangId=16", "kuwo", "16", T),
    ("http://www.kuwo.cn/rankList/16", "kuwo", "16", T),
    ("https://m.kuwo.cn/newh5app/rankList?bangId=93", "kuwo", "93", T),
    (
        "我在酷我音乐发现了一个好听的歌单「晴空」，快来听吧！https://m.kuwo.cn/newh5app/playlist/2736267853?t=weixin",
        "kuwo",
        "2736267853",
        P,
    ),
]

REFUSED = [
    ("https://music.163.com/#/song?id=123", "is a song"),
    ("https://music.163.com/#/album?id=123", "is an album"),
    ("https://music.163.com/#/playlist?id=abc", "no playlist id"),
    ("https://y.qq.com/n/ryqq/songDetail/002xYzQq01AbCd", "is a song"),
    ("https://www.kuwo.cn/album_detail/123", "is an album"),
    ("https://h5app.kuwo.cn/m/bodian/collection.html?uid=1&playlistId=99&source=5", "Bodian"),
    ("https://www.kuwo.cn/rankList", "without a bangId"),
    ("https://www.kugou.com/yy/special/single/123.html", "kugou is a download source only"),
    ("https://music.migu.cn/v3/music/playlist/123", "migu is a download source only"),
    ("https://music.91q.com/songlist/123", "qianqian is a download source only"),
    ("https://example.com/playlist?id=1", "unrecognised host 'example.com'"),
    ("https://y.qq.com.evil.example/n/ryqq/playlist/8052190267", "unrecognised host"),
    ("just some words", "no URL found"),
    ("spotify,https://open.spotify.com/playlist/1", "unknown platform 'spotify'"),
    ("kuwo,https://music.163.com/playlist?id=1", "is a netease URL but the line says kuwo"),
]


@pytest.fixture
async def offline() -> httpx.AsyncClient:
    """A client that must not be used: every request would fail to connect."""
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=0.5) as client:
        yield client


def test_the_table_has_at_least_forty_real_world_forms() -> None:
    assert len(RECOGNISED) + len(REFUSED) >= 40


@pytest.mark.parametrize(("line", "platform", "remote_id", "kind"), RECOGNISED)
async def test_recognised_forms(
    offline: httpx.AsyncClient, line: str, platform: str, remote_id: str, kind: int
) -> None:
    outcome = await parse_line(line, offline)
    assert not isinstance(outcome, str), outcome
    assert outcome[:3] == (platform, remote_id, kind)
    assert outcome[3].startswith("http") and " " not in outcome[3]


@pytest.mark.parametrize(("line", "reason"), REFUSED)
async def test_refused_forms_say_why(offline: httpx.AsyncClient, line: str, reason: str) -> None:
    outcome = await parse_line(line, offline)
    assert isinstance(outcome, str)
    assert reason in outcome


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("分享歌单: 名字 https://163cn.tv/abc (@网易云音乐)", "https://163cn.tv/abc"),
        ("看看这个：https://163cn.link/xyz。", "https://163cn.link/xyz"),
        (
            "【QQ音乐】https://c6.y.qq.com/base/fcgi-bin/u?__=AbCdEf】",
            "https://c6.y.qq.com/base/fcgi-bin/u?__=AbCdEf",
        ),
        ("y.qq.com/n/ryqq/playlist/1,", "https://y.qq.com/n/ryqq/playlist/1"),
        ("nothing here", None),
    ],
)
def test_find_url_in_share_text(text: str, url: str | None) -> None:
    assert find_url(text) == url


@pytest.mark.parametrize(
    ("url", "short"),
    [
        ("https://163cn.tv/abc", True),
        ("https://163cn.link/abc", True),
        ("https://c.y.qq.com/base/fcgi-bin/u?__=A", True),
        ("https://c6.y.qq.com/base/fcgi-bin/u?__=A", True),
        ("https://c12.y.qq.com/base/fcgi-bin/u?__=A", True),
        ("https://c.y.qq.com/base/fcgi-bin/fcg_get_diss_by_tag.fcg", False),
        ("https://y.qq.com/n/ryqq/playlist/1", False),
        ("https://163cn.tv/", False),
    ],
)
def test_short_links(url: str, short: bool) -> None:
    assert is_short_link(url) is short


async def test_a_file_reports_each_bad_line_with_its_number(offline: httpx.AsyncClient) -> None:
    text = "\n".join(
        [
            "# my playlists",
            "https://www.kuwo.cn/playlist_detail/2886046289",
            "",
            "https://music.163.com/#/song?id=123",
            "分享歌单: x https://m.kuwo.cn/h5app/playlist/2886046289?t=qqfriend (@酷我音乐)",
            "just words",
        ]
    )
    response = await parse_playlist_text(text, offline)
    assert [(p.line, p.platform, p.remote_playlist_id) for p in response.playlists] == [
        (2, "kuwo", "2886046289")
    ]
    assert response.duplicates == 1
    assert [(e.line, e.error) for e in response.errors] == [
        (4, "this netease URL is a song, not a playlist or toplist"),
        (6, "no URL found in the line"),
    ]

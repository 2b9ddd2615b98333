"""Kuwo: the Secret algorithm and the pure parsers, on the shared fixtures."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from catalogsync.http_client import UpstreamError
from catalogsync.platforms.kuwo import split_artist_names
from catalogsync.platforms.kuwo_secret import TokenCookie, refused, secret, token_from_set_cookie
from catalogsync.v1 import common_pb2
from services.collector.platforms import kuwo_parse as collector
from services.collector.platforms.base import PlaylistNotFound, PlaylistRef
from services.collector.url_forms import kuwo_playlist
from services.resolver.sources import kuwo as source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "platforms"
URL = "https://www.kuwo.cn/test"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"kuwo_{name}.json").read_text(encoding="utf-8"))


# ---- Secret ---------------------------------------------------------------------------------
# Expected values computed by running kuwo.md §1 in JavaScript (node), whose doubles
# decide the result once the concatenated char codes exceed 2^53.
@pytest.mark.parametrize(
    ("token", "name", "salt", "expected"),
    [
        (
            "3MiWHX6n8Zr8sN48sF3dccyTWjZ54Hxy",
            "Hm_Iuvt_cdb524f42f0ce19b169b8072123a4727",
            12345678,
            "6d11133bb2dcdb6786619f78d7a8adc54ef3caecde8e45df2f1656e490f16f4200bc614e",
        ),
        ("abc", "Hm_Iuvt_cdb524f42f23cer9b268564v7y735ewrq2324", 0, "f5f55600000000"),
        ("Z", "kw_token", 99999999, "1c05f5e0ff"),
    ],
)
def test_secret_matches_the_site_script(token: str, name: str, salt: int, expected: str) -> None:
    assert secret(token, name, salt) == expected


def test_secret_with_a_random_salt_is_well_formed_and_ends_with_the_salt() -> None:
    name = "Hm_Iuvt_cdb524f42f23cer9b268564v7y735ewrq2324"
    values = {secret("tok3nValue", name) for _ in range(5)}
    assert len(values) > 1
    for value in values:
        assert re.fullmatch(r"[0-9a-f]{28}", value)
        assert secret("tok3nValue", name, int(value[-8:], 16)) == value


def test_secret_refuses_a_name_without_digits() -> None:
    with pytest.raises(ValueError, match="no usable hash"):
        secret("token", "")


def test_token_cookie_is_found_among_set_cookie_headers() -> None:
    headers = [
        "Hm_lvt_cdb524f42f23cer9b268564v7y735ewrq2324=1736928000; Path=/",
        "Hm_Iuvt_cdb524f42f23cer9b268564v7y735ewrq2324=AbCd1234; Max-Age=3600; Path=/; Domain=.kuwo.cn",
    ]
    assert token_from_set_cookie(headers) == TokenCookie(
        "Hm_Iuvt_cdb524f42f23cer9b268564v7y735ewrq2324", "AbCd1234"
    )
    assert token_from_set_cookie(headers[:1]) is None
    assert refused({"success": False, "message": "CSRF token Invalid!"})
    assert not refused(fixture("song_url"))


# ---- collector ------------------------------------------------------------------------------
def test_square_numbers_arrive_as_strings() -> None:
    playlists, total = collector.parse_square(fixture("playlist_square"), URL)
    assert total == 1500
    assert [p.remote_playlist_id for p in playlists] == ["3567349593", "3567349594", "2886046289"]
    second = playlists[1]
    assert second.name == "Indie/Folk: late night & rainy days"
    assert (second.play_count, second.track_count, second.creator) == (98765, 120, "Echo Listener")
    assert second.kind == common_pb2.PLAYLIST_SQUARE
    assert second.source_url == "https://www.kuwo.cn/playlist_detail/3567349594"
    assert json.loads(second.metadata_json)["digest"] == "8"


def test_toplist_ids_are_sourceids_across_groups() -> None:
    boards = collector.parse_toplists(fixture("toplist"), URL)
    assert [b.remote_playlist_id for b in boards] == ["93", "17", "16", "158", "145", "12"]
    assert boards[0].name == "酷我飙升榜"
    assert boards[0].kind == common_pb2.TOPLIST
    assert boards[0].source_url == "https://www.kuwo.cn/rankList?bangId=93"


def test_bang_songs_total_is_a_string() -> None:
    page = collector.parse_bang_songs(fixture("toplist_detail"), URL)
    assert page.total == 300
    assert [t.remote_song_id for t in page.tracks] == ["228908312", "228908311"]
    assert json.loads(page.tracks[0].metadata_json)["trend"] == "u2"


def _check_detail(page: collector.DetailPage) -> None:
    assert page.total == 3
    assert page.summary is not None
    assert page.summary.remote_playlist_id == "3567349593"
    assert page.summary.name == "华语｜晴空下的约定：适合周末的歌"
    assert (page.summary.play_count, page.summary.creator) == (1523456, "海边的猫")
    assert "musicList" not in page.summary.metadata_json
    first, live, long_name = page.tracks
    assert [t.remote_song_id for t in page.tracks] == ["228908311", "228908312", "228908313"]
    assert [(a.name, a.remote_id) for a in first.artists] == [("林一舟", "1600001"), ("Mira Chen", "")]
    assert (first.album, first.duration_s) == ("海风来信", 231)
    assert live.name == "Night/Day: 夜/昼 (Live)"
    assert long_name.name.endswith("The Long Name Ensemble & Friends)")
    assert long_name.album == ""


def test_playlist_detail_web_shape() -> None:
    page = collector.parse_playlist_info(fixture("playlist_detail"), URL)
    _check_detail(page)
    assert page.tracks[0].cover_url.startswith("https://img4.kuwo.cn/star/albumcover/500/")


def test_playlist_detail_nplserver_shape() -> None:
    _check_detail(collector.parse_nplserver_playlist(fixture("playlist_detail_nplserver"), URL))


def test_missing_playlist_and_error_codes() -> None:
    with pytest.raises(PlaylistNotFound):
        collector.parse_playlist_info({"code": 200, "data": None}, URL)
    with pytest.raises(UpstreamError, match=r"playlist detail: code 500: busy .*kuwo.cn/test"):
        collector.parse_playlist_info({"code": 500, "msg": "busy"}, URL)
    with pytest.raises(UpstreamError, match="track list"):
        collector.parse_bang_songs({"code": 200, "data": {"num": "3"}}, URL)
    with pytest.raises(UpstreamError, match="song without an id"):
        collector.parse_song({"name": "x"}, URL)
    with pytest.raises(UpstreamError, match="nplserver playlist: result 'error'"):
        collector.parse_nplserver_playlist({"result": "error"}, URL)
    with pytest.raises(UpstreamError, match="expected a JSON object"):
        collector.parse_square([1, 2], URL)


@pytest.mark.parametrize(
    ("joined", "names"),
    [
        ("林一舟&Mira Chen", ["林一舟", "Mira Chen"]),
        ("Simon & Garfunkel", ["Simon & Garfunkel"]),
        ("Simon &amp; Garfunkel&Art", ["Simon & Garfunkel", "Art"]),
        ("Tom&apos;s Band", ["Tom's Band"]),
        (" . ", [" . "]),
        ("A&amp;amp;B", ["A&amp;B"]),
        ("", []),
    ],
)
def test_artist_strings_split_on_joining_ampersands_only(joined: str, names: list[str]) -> None:
    assert [a.name for a in collector.split_artists(joined, 7)] == names
    assert list(split_artist_names(joined)) == names


def test_text_is_unescaped_once_with_nbsp_as_space() -> None:
    assert collector.plain_text("a&nbsp;b &amp;amp; c") == "a b &amp; c"
    assert source.plain_text("<em>晴空</em>下的约定") == "晴空下的约定"


@pytest.mark.anyio
async def test_paging_stops_when_the_platform_repeats_its_last_page() -> None:
    page = collector.parse_playlist_info(fixture("playlist_detail"), URL)
    repeated = collector.DetailPage(page.tracks, total=999, summary=page.summary)
    calls: list[int] = []

    async def fetch(number: int) -> collector.DetailPage:
        calls.append(number)
        return repeated

    first, tracks = await collector.collect_pages(fetch, 0)
    assert first is repeated
    assert [t.remote_song_id for t in tracks] == ["228908311", "228908312", "228908313"]
    assert calls == [1, 2]
    _, limited = await collector.collect_pages(fetch, 2)
    assert len(limited) == 2


@pytest.mark.parametrize(
    ("url", "ref"),
    [
        (
            "https://www.kuwo.cn/playlist_detail/2886046289",
            PlaylistRef("2886046289", common_pb2.PLAYLIST_SQUARE),
        ),
        ("http://kuwo.cn/playlist_detail/2886046289/", PlaylistRef("2886046289", common_pb2.PLAYLIST_SQUARE)),
        ("http://m.kuwo.cn/h5app/playlist/2736267853?t=qqfriend", PlaylistRef("2736267853", 1)),
        ("http://m.kuwo.cn/newh5app/playlist/2736267853", PlaylistRef("2736267853", 1)),
        ("http://m.kuwo.cn/newh5/playlist/2736267853", PlaylistRef("2736267853", 1)),
        ("http://www.kuwo.cn/playlist?pid=123", PlaylistRef("123", common_pb2.PLAYLIST_SQUARE)),
        ("kuwo.cn/playlist/123", None),  # no scheme: the collector adds one before calling
        ("https://kuwo.cn/playlist/123", PlaylistRef("123", common_pb2.PLAYLIST_SQUARE)),
        ("https://www.kuwo.cn/rankList?bangId=16", PlaylistRef("16", common_pb2.TOPLIST)),
        ("http://www.kuwo.cn/rankList/16", PlaylistRef("16", common_pb2.TOPLIST)),
        ("https://www.kuwo.cn/rankList", None),
        ("https://h5app.kuwo.cn/m/bodian/collection.html?uid=1&playlistId=99&source=5", None),
        ("https://www.kuwo.cn/album_detail/123", None),
        ("https://www.kuwo.cn/play_detail/228908311", None),
        ("https://music.163.com/playlist?id=123", None),
        ("https://evil.example/kuwo.cn/playlist_detail/1", None),
    ],
)
def test_playlist_urls(url: str, ref: PlaylistRef | None) -> None:
    assert kuwo_playlist(url) == ref


# ---- resolver -------------------------------------------------------------------------------
def test_legacy_search_rows() -> None:
    tracks = source.parse_search(fixture("search"), URL)
    assert [t.remote_id for t in tracks] == ["228908311", "228908312", "228908313"]
    first = tracks[0]
    assert (first.title, first.artists, first.album, first.duration_s) == (
        "晴空下的约定",
        ("林一舟", "Mira Chen"),
        "海风来信",
        231,
    )
    assert [q.label for q in first.qualities] == ["128k", "320k", "flac"]
    assert first.qualities[-1].size_bytes == int(30.52 * 2**20)
    assert first.cover_url == "https://img2.kuwo.cn/star/albumcover/120/12/34/40000001.jpg"
    assert tracks[2].title.endswith("& Friends)")
    assert tracks[2].cover_url == ""
    with pytest.raises(UpstreamError, match="no abslist"):
        source.parse_search({"TOTAL": "0"}, URL)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8.83Mb", int(8.83 * 2**20)),
        ("8.83MB", int(8.83 * 2**20)),
        (" 8.83 mb ", int(8.83 * 2**20)),
        ("512kb", 512 * 1024),
        ("1.5GiB", int(1.5 * 2**30)),
        ("1234", 1234),
        ("", 0),
        ("big", 0),
    ],
)
def test_size_text(text: str, expected: int) -> None:
    assert source.parse_size(text) == expected


def test_minfo_is_tolerant() -> None:
    text = "level:hr,bitrate:4000,format:flac,size:60.1Mb;level:p,bitrate:320,format:mp3,size:8.83MB;junk;;level:x,bitrate:48,format:aac,size:1Mb;level:h,bitrate:128,format:mp3"
    options = source.parse_minfo(text)
    assert [(q.label, q.ext, q.bitrate_kbps) for q in options] == [("128k", "mp3", 128), ("320k", "mp3", 320)]
    assert (options[0].size_bytes, options[1].size_bytes) == (0, int(8.83 * 2**20))
    assert source.parse_minfo("") == ()


def test_play_url() -> None:
    link = source.parse_play_url(fixture("song_url"), URL)
    assert link is not None
    assert link.url.startswith("https://lw-sycdn.kuwo.cn/")
    # The answer does not say what it served: claim the least.
    assert (link.quality.label, link.quality.ext, link.quality.size_bytes) == ("128k", "mp3", 0)
    served = {**fixture("song_url"), "data": {"url": link.url, "bitrate": 320, "format": "mp3"}}
    assert source.parse_play_url(served, URL).quality.label == "320k"  # type: ignore[union-attr]
    flac = {**fixture("song_url"), "data": {"url": "https://lw-sycdn.kuwo.cn/a/b/resource/n3/1.flac"}}
    assert source.parse_play_url(flac, URL).quality.label == "flac"  # type: ignore[union-attr]
    assert source.parse_play_url({"code": -1, "msg": "付费", "data": None}, URL) is None
    assert source.parse_play_url({**fixture("song_url"), "data": {"url": ""}}, URL) is None
    assert source.parse_play_url({**fixture("song_url"), "success": False}, URL) is None
    with pytest.raises(UpstreamError):
        source.parse_play_url("oops", URL)


def test_lyrics_keep_translation_pairs_and_unescape_once() -> None:
    lrc = source.parse_lyrics(fixture("lyric"), URL)
    assert lrc.splitlines() == [
        "[00:00.00]晴空下的约定-林一舟&Mira Chen",
        "[00:01.20]词：林一舟",
        "[00:02.40]曲：Mira Chen",
        "[00:15.62]风吹过港口的黄昏",
        "[00:19.88]我们说好不说再见",
        "[00:24.10]Under the open sky we made a promise",
        "[00:24.10]在晴空之下我们许下承诺",
    ]
    assert lrc.endswith("\n")
    lines = [{"lineLyric": "a", "time": "59.999"}, {"lineLyric": "b", "time": "x"}, {"time": "61"}]
    assert (
        source.parse_lyrics({"status": 200, "data": {"lrclist": lines}}, URL) == "[01:00.00]a\n[01:01.00]\n"
    )
    assert source.parse_lyrics({"status": 200, "data": {"lrclist": None}}, URL) == ""
    assert source.parse_lyrics({"status": "200", "data": None}, URL) == ""
    with pytest.raises(UpstreamError, match="lyrics: status 404"):
        source.parse_lyrics({"status": 404}, URL)

"""QQ Music parsers on the fixture files, URL forms, and the sandbox's entity encoding."""

from __future__ import annotations

import base64
import copy
import datetime
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from catalogsync.accounts import Account
from catalogsync.http_client import UpstreamError, parse_json
from catalogsync.platforms.qq import MUSICU_URL, account_uin, clean_text, comm, musicu_data, request_headers
from catalogsync.platforms.qq_sign import body_bytes, sign
from catalogsync.v1 import common_pb2
from sandbox.platforms.qq_shapes import entities
from services.collector.platforms.base import PlaylistNotFound
from services.collector.platforms.qq import guess_period
from services.collector.platforms.qq_parse import (
    NON_MUSIC_REASON,
    parse_dissinfo,
    parse_playlist_detail,
    parse_square,
    parse_toplist_detail,
    parse_toplists,
)
from services.collector.url_forms import qq_playlist as parse_url
from services.resolver.sources.base import QualityOption, SourceTrack
from services.resolver.sources.qq import (
    filenames,
    is_placeholder,
    ladder,
    parse_lyric,
    parse_search,
    parse_vkey,
    parse_who_am_i,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "platforms"
URL = "https://example.invalid/qq"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# ---- shared wire format ------------------------------------------------------------------------
def test_clean_text_unescapes_once_and_strips_highlight() -> None:
    assert clean_text("Indie/Folk&#58; late night &amp; rainy days") == "Indie/Folk: late night & rainy days"
    assert clean_text("Tom &amp;amp; Jerry") == "Tom &amp; Jerry"
    assert clean_text("<em>晴空</em>下的约定") == "晴空下的约定"
    assert clean_text(None) == ""


@pytest.mark.parametrize(
    "name",
    ["  .hidden. ", "Indie/Folk: late night & rainy days 2", "AC/DC: Back\\Slash", "a &amp; b", "<br>'\""],
)
def test_sandbox_entities_round_trip_through_one_unescape(name: str) -> None:
    encoded = entities(name)
    assert clean_text(encoded) == name
    assert ":" not in encoded and "'" not in encoded


def test_musicu_data_checks_both_codes() -> None:
    payload = fixture("qq_toplist.json")
    assert "group" in musicu_data(payload, "toplist", "GetAll")
    with pytest.raises(UpstreamError, match="gateway code 500001"):
        musicu_data({**payload, "code": 500001}, "toplist", "GetAll")
    with pytest.raises(UpstreamError, match="request code 2000"):
        musicu_data({**payload, "toplist": {"code": 2000}}, "toplist", "GetAll")
    with pytest.raises(UpstreamError, match="no 'detail' member"):
        musicu_data(payload, "detail", "GetDetail")
    with pytest.raises(UpstreamError, match=MUSICU_URL):
        musicu_data([], "toplist", "GetAll")


# ---- playlist square --------------------------------------------------------------------------
def test_square_names_unescaped_ids_strings() -> None:
    page = parse_square(fixture("qq_playlist_square.json"), URL)
    assert page.total == 5209 and page.received == 3
    first, second, _ = page.playlists
    assert [p.remote_playlist_id for p in page.playlists] == ["8052190267", "7217720898", "9601259329"]
    assert first.name == "华语｜晴空下的约定  适合周末的歌"
    assert first.creator == "海边的猫's"
    assert second.name == "Indie/Folk: late night & rainy days"
    assert first.play_count == 3178372 and first.kind == common_pb2.PLAYLIST_SQUARE
    assert first.source_url == "https://y.qq.com/n/ryqq/playlist/8052190267"
    assert json.loads(first.metadata_json)["dissname"].endswith("&#32;&#32;适合周末的歌")


def test_square_from_jsonp_and_refusals() -> None:
    text = "MusicJsonCallback(" + json.dumps(fixture("qq_playlist_square.json"), ensure_ascii=False) + ")"
    assert parse_square(parse_json("qq", URL, text), URL).received == 3
    with pytest.raises(UpstreamError, match="code -1310"):
        parse_square({"code": -1310, "subcode": -1310}, URL)
    with pytest.raises(UpstreamError, match="no data"):
        parse_square({"code": 0, "data": None}, URL)
    broken = fixture("qq_playlist_square.json")
    del broken["data"]["list"][0]["dissid"]
    with pytest.raises(UpstreamError, match="unexpected playlist square answer"):
        parse_square(broken, URL)


# ---- toplists -----------------------------------------------------------------------------------
def test_toplists_drop_the_mv_group() -> None:
    data = musicu_data(fixture("qq_toplist.json"), "toplist", "GetAll")
    toplists = parse_toplists(data, URL)
    assert [t.remote_playlist_id for t in toplists] == ["62", "26"]
    hot = toplists[1]
    assert hot.kind == common_pb2.TOPLIST and hot.name == "热歌榜" and hot.track_count == 300
    assert hot.description == "根据播放数据综合计算<br>每日更新"
    assert hot.source_url == "https://y.qq.com/n/ryqq/toplist/26"
    assert hot.cover_url.endswith("front_26.jpg")


def test_toplist_detail_pairs_rows_by_song_id() -> None:
    data = musicu_data(fixture("qq_toplist_detail.json"), "detail", "GetDetail")
    page = parse_toplist_detail(data, URL)
    assert (page.period, page.total, page.rows) == ("2025_3", 300, 2)
    assert page.summary.remote_playlist_id == "26"
    night, sunny = page.tracks
    assert night.remote_song_id == "004NiGhTdAy002" and night.name == "Night/Day: 夜/昼 (Live)"
    assert [a.name for a in sunny.artists] == ["林一舟", "Mira Chen"]
    assert [a.remote_id for a in sunny.artists] == ["002aBcDeFgHiJk", "000MiRaChEn001"]
    assert sunny.duration_s == 231 and sunny.album == "海风来信"
    assert sunny.cover_url == "https://y.gtimg.cn/music/photo_new/T002R300x300M000003AlBuMmId001.jpg"
    assert json.loads(sunny.metadata_json)["file"]["size_flac"] == 30517890
    assert not night.non_music


def test_toplist_video_row_kept_as_non_music() -> None:
    data = copy.deepcopy(musicu_data(fixture("qq_toplist_detail.json"), "detail", "GetDetail"))
    video = fixture("qq_toplist.json")["toplist"]["data"]["group"][1]["toplist"][0]["song"][0]
    data["data"]["song"].insert(1, {**video, "rank": 2})
    tracks = parse_toplist_detail(data, URL).tracks
    assert [t.remote_song_id for t in tracks] == ["004NiGhTdAy002", "qqtop_26_2", "002xYzQq01AbCd"]
    row = tracks[1]
    assert row.non_music and row.non_music_reason == NON_MUSIC_REASON
    assert row.name == "纸灯笼 官方MV" and json.loads(row.metadata_json)["vid"] == "t0041abcdef"


def test_toplist_detail_without_header_is_not_found() -> None:
    with pytest.raises(PlaylistNotFound):
        parse_toplist_detail({"data": {}, "songInfoList": []}, URL)


def test_guess_period_is_iso_week() -> None:
    assert guess_period(datetime.date(2025, 1, 15)) == "2025_3"


# ---- playlist detail ---------------------------------------------------------------------------
def test_playlist_detail_old_song_shape() -> None:
    page = parse_playlist_detail(fixture("qq_playlist_detail.json"), URL)
    summary = page.summary
    assert summary.remote_playlist_id == "8052190267" and page.total == 3
    assert summary.name == "华语｜晴空下的约定  适合周末的歌" and summary.creator == "海边的猫's"
    assert summary.description == "周末午后的轻松旋律<br>Night/Day 也在里面"
    assert summary.track_count == 3 and summary.play_count == 3178372
    first, second, third = page.tracks
    assert first.remote_song_id == "002xYzQq01AbCd" and first.platform == "qq"
    assert [a.name for a in first.artists] == ["林一舟", "Mira Chen"]
    assert second.name == "Night/Day: 夜/昼 (Live)" and second.album == "Live at Pier 9: 2024"
    assert third.duration_s == 412 and len(third.name) > 100
    assert json.loads(first.metadata_json)["size128"] == 3704416


def test_playlist_detail_not_found_and_bad_shape() -> None:
    with pytest.raises(PlaylistNotFound):
        parse_playlist_detail({"code": 0, "cdlist": []}, URL)
    with pytest.raises(PlaylistNotFound):
        parse_playlist_detail({**fixture("qq_playlist_detail.json"), "code": 4000}, URL)
    broken = fixture("qq_playlist_detail.json")
    broken["cdlist"][0]["songlist"][0]["songmid"] = None
    with pytest.raises(UpstreamError, match="unexpected playlist detail answer"):
        parse_playlist_detail(broken, URL)


# ---- search, vkey, lyrics ---------------------------------------------------------------------
def test_search_new_song_shape() -> None:
    data = musicu_data(
        fixture("qq_search.json"),
        "music.search.SearchCgiService.DoSearchForQQMusicMobile",
        "search",
    )
    sunny, night, long_one = parse_search(data, URL)
    assert sunny.remote_id == "002xYzQq01AbCd" and sunny.artists == ("林一舟", "Mira Chen")
    assert [(q.label, q.size_bytes) for q in sunny.qualities] == [
        ("128k", 3704416),
        ("320k", 9261040),
        ("flac", 30517890),
    ]
    assert [q.label for q in night.qualities] == ["128k", "320k"]
    assert [q.label for q in long_one.qualities] == ["128k"]
    assert sunny.extra == {"media_mid": "002xYzQq01AbCd"}
    assert sunny.cover_url.endswith("M000003AlBuMmId001.jpg") and sunny.duration_s == 231


def test_ladder_asks_listed_files_at_or_below_quality() -> None:
    files = (QualityOption("128k", "mp3", 128, 1), QualityOption("320k", "mp3", 320, 2))
    track = SourceTrack(source="qq", remote_id="002xYzQq01AbCd", qualities=files)
    assert [q.label for q in ladder(track, QualityOption("flac", "flac", 900))] == ["320k", "128k"]
    assert [q.label for q in ladder(track, QualityOption("128k", "mp3", 128))] == ["128k"]
    bare = SourceTrack(source="qq", remote_id="002xYzQq01AbCd")
    assert [q.label for q in ladder(bare, QualityOption("flac", "flac", 900))] == ["flac", "320k", "128k"]


def test_vkey_url_and_empty_purl() -> None:
    data = musicu_data(fixture("qq_song_url.json"), "req_1", "vkey")
    url = parse_vkey(data, URL)
    assert url is not None
    assert url.startswith("http://ws.stream.qqmusic.qq.com/M500002xYzQq01AbCd002xYzQq01AbCd.mp3?guid=")
    refused = {**data, "midurlinfo": data["midurlinfo"][1:]}
    assert parse_vkey(refused, URL) is None
    with pytest.raises(UpstreamError, match="no sip"):
        parse_vkey({**data, "sip": []}, URL)
    with pytest.raises(UpstreamError, match="unexpected vkey answer"):
        parse_vkey({**data, "midurlinfo": []}, URL)


def test_lyric_base64() -> None:
    lrc = parse_lyric(fixture("qq_lyric.json"), URL)
    assert lrc.startswith("[ti:晴空下的约定]\n[ar:林一舟/Mira Chen]")
    assert "[00:24.10]Under the open sky we made a promise" in lrc
    assert parse_lyric({"code": 0, "lyric": ""}, URL) == ""
    with pytest.raises(UpstreamError, match="code -1310"):
        parse_lyric({"retcode": -1310, "code": -1310}, URL)
    with pytest.raises(UpstreamError, match="not base64"):
        parse_lyric({"code": 0, "lyric": "//79"}, URL)


def test_lyric_none_and_instrumental_placeholder_are_empty() -> None:
    assert parse_lyric({"retcode": -1901, "code": -1901, "subcode": -1901}, URL) == ""
    for text in (
        "[00:00:00]此歌曲为没有填词的纯音乐，请您欣赏",
        "[ti:Rain]\n[ar:Someone]\n[00:00.00]此歌曲为没有填词的纯音乐，请您欣赏\n",
        "[00:01.00]纯音乐，请欣赏",
    ):
        assert is_placeholder(text)
        encoded = base64.b64encode(text.encode()).decode()
        assert parse_lyric({"code": 0, "lyric": encoded}, URL) == ""
    assert not is_placeholder("[00:12.00]我唱一首纯音乐般的歌\n[00:16.00]请你慢慢欣赏我的心事和远方的海\n")


def test_vkey_filenames_use_the_song_mid_never_the_media_mid_twice() -> None:
    assert filenames("320k", "002xYzQq01AbCd", "003MeDiAmId001") == [
        "M800002xYzQq01AbCd003MeDiAmId001.mp3",
        "M800002xYzQq01AbCd002xYzQq01AbCd.mp3",
    ]
    assert filenames("flac", "002xYzQq01AbCd", "002xYzQq01AbCd") == ["F000002xYzQq01AbCd002xYzQq01AbCd.flac"]


def test_comm_carries_the_login_only_when_complete() -> None:
    account = Account("qq", {"uin": "o0012345", "qqmusic_key": "Q_H_L_secret", "other": "x"}, "env")
    assert account_uin(account) == "12345"
    app = comm(account, app=True)
    assert (app["ct"], app["qq"], app["authst"], app["tmeLoginType"], app["uid"]) == (
        "11",
        "12345",
        "Q_H_L_secret",
        "2",
        "12345",
    )
    assert comm(Account("qq", {"qm_keyst": "W_X_key", "uin": "7"}, "env"))["tmeLoginType"] == "1"
    assert "authst" not in comm(Account("qq", {"qqmusic_key": "k"}, "env"))  # no uin: anonymous
    assert "authst" not in comm(None) and comm(None)["ct"] == 24
    headers = request_headers(account, app=True)
    assert headers["Cookie"] == "uin=o0012345; qqmusic_key=Q_H_L_secret; other=x"
    assert headers["User-Agent"].startswith("QQMusic ")
    assert "Cookie" not in request_headers(None)
    assert "Q_H_L_secret" not in repr(account)


def test_dissinfo_page_and_empty_answers() -> None:
    song = fixture("qq_search.json")["music.search.SearchCgiService.DoSearchForQQMusicMobile"]["data"][
        "body"
    ]["item_song"][0]
    data = {
        "dirinfo": {
            "title": "Rainy&#32;days",
            "picurl": "http://p/x.jpg",
            "host_nick": "海边的猫",
            "listennum": 9,
        },
        "total_song_num": 12,
        "songlist": [song],
    }
    page = parse_dissinfo(data, URL, "7217720898")
    assert page is not None and page.total == 12
    assert (page.summary.name, page.summary.creator, page.summary.remote_playlist_id) == (
        "Rainy days",
        "海边的猫",
        "7217720898",
    )
    assert [t.remote_song_id for t in page.tracks] == ["002xYzQq01AbCd"]
    assert parse_dissinfo({"dirinfo": {}, "songlist": [], "total_song_num": 0}, URL, "1") is None


def test_sign_shape() -> None:
    body = body_bytes({"comm": {"ct": "11"}, "req": {"module": "m", "method": "晴空", "param": {}}})
    assert "晴空".encode() in body and b", " not in body  # what httpx sends for json=
    value = sign(body)
    assert value == sign(body) and value.startswith("zzc") and value == value.lower()
    digest = hashlib.sha1(body).hexdigest()  # the documented picks: qq.md §1
    assert value[3:10] == "".join(digest[i] for i in (23, 14, 6, 36, 16, 7, 19))
    assert value.endswith("".join(digest[i] for i in (16, 1, 32, 12, 19, 27, 8, 5)))
    assert not set(value) & set("\\/+=")
    assert sign(body + b" ") != value


def test_who_am_i_answers() -> None:
    key = "music.UserInfo.userInfoServer.GetLoginUserInfo"
    accepted = parse_who_am_i({"code": 0, key: {"code": 0, "data": {"vipType": 1}}})
    assert (accepted.accepted, accepted.detail) == (True, "VIP")
    refused = parse_who_am_i({"code": 0, key: {"code": 1000, "data": {}}})
    assert refused.accepted is False and "1000" in refused.detail
    assert parse_who_am_i({"code": 500001}).accepted is None


# ---- URL forms -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "remote_id", "kind"),
    [
        ("https://y.qq.com/n/ryqq/playlist/8052190267", "8052190267", common_pb2.PLAYLIST_SQUARE),
        (
            "https://y.qq.com/n/ryqq_v2/playlist/8052190267?ADTAG=myqq",
            "8052190267",
            common_pb2.PLAYLIST_SQUARE,
        ),
        ("https://y.qq.com/n/yqq/playlist/7217720898.html", "7217720898", common_pb2.PLAYLIST_SQUARE),
        ("http://y.qq.com/n/yqq/playsquare/7217720898.html#stat", "7217720898", common_pb2.PLAYLIST_SQUARE),
        (
            "https://y.qq.com/n/m/detail/taoge/index.html?id=7217720898",
            "7217720898",
            common_pb2.PLAYLIST_SQUARE,
        ),
        (
            "https://i.y.qq.com/n2/m/share/details/taoge.html?platform=11&appshare=android_qq"
            "&hosteuin=oKEzoeC57enAov**&id=7217720898&ADTAG=qfshare",
            "7217720898",
            common_pb2.PLAYLIST_SQUARE,
        ),
        (
            "https://i2.y.qq.com/n3/other/pages/details/playlist.html?platform=11&id=9601259329",
            "9601259329",
            common_pb2.PLAYLIST_SQUARE,
        ),
        (
            "https://i.y.qq.com/v8/playsquare/playlist.html?id=9601259329",
            "9601259329",
            common_pb2.PLAYLIST_SQUARE,
        ),
        ("https://y.qq.com/n/ryqq/toplist/26", "26", common_pb2.TOPLIST),
        ("https://y.qq.com/n/yqq/toplist/26.html", "26", common_pb2.TOPLIST),
        ("https://i.y.qq.com/n2/m/share/details/toplist.html?id=26", "26", common_pb2.TOPLIST),
    ],
)
def test_parse_url_forms(url: str, remote_id: str, kind: int) -> None:
    ref = parse_url(url)
    assert ref is not None
    assert (ref.remote_playlist_id, ref.kind) == (remote_id, kind)


@pytest.mark.parametrize(
    "url",
    [
        "https://y.qq.com/n/ryqq/songDetail/002xYzQq01AbCd",
        "https://c.y.qq.com/base/fcgi-bin/u?__=AbCdEf",
        "https://y.qq.com/n/ryqq/playlist/abc",
        "https://i.y.qq.com/n2/m/share/details/taoge.html?hosteuin=123",
        "https://music.163.com/playlist?id=123",
        "https://y.qq.com.evil.example/n/ryqq/playlist/8052190267",
        "not a url",
    ],
)
def test_parse_url_rejects(url: str) -> None:
    assert parse_url(url) is None

"""Qianqian: the request signature and the search / tracklink parsers on documented shapes."""

from __future__ import annotations

import pytest

from catalogsync.http_client import UpstreamError
from catalogsync.platforms import qianqian_sign
from services.resolver.sources.qianqian import parse_search, parse_tracklink, quality_for

SEARCH_PARAMS = {
    "word": "晴空下的约定 林一舟",
    "type": "1",
    "pageNo": "1",
    "pageSize": "10",
    "appid": "16073360",
    "timestamp": "1700000000",
}


def test_sign_known_answer() -> None:
    # md5("appid=16073360&pageNo=1&pageSize=10&timestamp=1700000000&type=1&word=晴空下的约定 林一舟"
    #     + "0b50b02fd0d73a9c4c8c3a781c30845f"): sorted keys, raw (un-encoded) values, secret appended.
    assert qianqian_sign.sign(SEARCH_PARAMS) == "dfd628f712bd1293f6394453bb2a2b6b"


def test_sign_sorts_keys_in_ascii_order_and_ignores_sign() -> None:
    # "TSID" sorts before "appid" (upper case first).
    params = {"appid": "16073360", "timestamp": "1614872801", "TSID": "T10038971967", "sign": "stale"}
    assert qianqian_sign.sign(params) == "721eadb835ea3896b155d71e6820025c"


def test_signed_adds_appid_timestamp_and_a_verifiable_sign() -> None:
    params = qianqian_sign.signed({"TSID": "T10038971967", "rate": 320}, timestamp=1614872801)
    assert params["appid"] == "16073360"
    assert params["timestamp"] == "1614872801"
    assert params["rate"] == "320"
    assert qianqian_sign.verify(params)


@pytest.mark.parametrize(
    "change",
    [
        {"word": "别的歌"},
        {"sign": "0" * 32},
        {"sign": ""},
        {"appid": "1"},
        {"timestamp": "soon"},
    ],
)
def test_verify_rejects_tampered_or_missing_values(change: dict[str, str]) -> None:
    params = qianqian_sign.signed({"word": "晴空下的约定", "type": 1})
    params.update(change)
    assert not qianqian_sign.verify(params)


def test_verify_rejects_missing_sign() -> None:
    params = qianqian_sign.signed({"word": "晴空下的约定"})
    del params["sign"]
    assert not qianqian_sign.verify(params)


SEARCH = {
    "errno": 22000,
    "errmsg": "成功",
    "state": True,
    "data": {
        "total": 2,
        "typeTrack": [
            {
                "TSID": "T10000000000",
                "id": "T10000000000",
                "title": "晴空下的约定",
                "artist": [
                    {"name": "林一舟", "artistCode": "A1"},
                    {"name": "Mira Chen", "artistCode": "A2"},
                ],
                "albumTitle": "海风来信",
                "albumAssetCode": "P1",
                "duration": 231,
                "pic": "https://img01.dmhmusic.com/0410/M00/57/03/T10000000000.jpg",
                "lyric": "https://lrc.dmhmusic.com/lrc/T10000000000.lrc",
                "isVip": 0,
                "rateFileInfo": {
                    "64": {"size": 1000, "format": "mp3"},
                    "128": {"size": 3696000, "format": "mp3"},
                    "320": {"size": 9240000, "format": "mp3"},
                    "3000": {"size": 26000000, "format": "flac"},
                },
            },
            {"id": "T10000000002", "title": "晴空下的约定", "artist": [{"name": "顾晚"}], "duration": "238"},
            {"title": "no id"},
        ],
    },
}


def test_parse_search_reads_tracks_artists_and_rates() -> None:
    tracks = parse_search(SEARCH)
    assert [t.remote_id for t in tracks] == ["T10000000000", "T10000000002"]
    first, second = tracks
    assert first.title == "晴空下的约定"
    assert first.artists == ("林一舟", "Mira Chen")
    assert first.album == "海风来信"
    assert first.duration_s == 231
    assert first.cover_url.endswith("/T10000000000.jpg")
    assert first.extra["lyric_url"] == "https://lrc.dmhmusic.com/lrc/T10000000000.lrc"
    assert [(q.label, q.ext, q.size_bytes) for q in first.qualities] == [
        ("128k", "mp3", 3696000),
        ("320k", "mp3", 9240000),
        ("flac", "flac", 26000000),
    ]
    assert second.artists == ("顾晚",)
    assert second.duration_s == 238
    assert second.qualities == ()


def test_parse_search_error_envelope_raises() -> None:
    with pytest.raises(UpstreamError, match="22005"):
        parse_search({"errno": 22005, "errmsg": "签名错误", "state": False, "data": {}})


def test_parse_search_without_data_raises() -> None:
    with pytest.raises(UpstreamError, match="data"):
        parse_search({"errno": 22000, "state": True})


def test_parse_tracklink_full_file() -> None:
    link = parse_tracklink(
        {
            "errno": 22000,
            "state": True,
            "data": {
                "path": "https://audio04.dmhmusic.com/71_53_T10000000000_320_4_1_0_sdk-cpm/cn/0101/a.mp3",
                "rate": 320,
                "size": 9240000,
                "format": "mp3",
            },
        }
    )
    assert link is not None
    assert link.url.startswith("https://audio04.dmhmusic.com/")
    assert (link.quality.label, link.quality.ext, link.quality.size_bytes) == ("320k", "mp3", 9240000)


def test_parse_tracklink_trial_only_is_unavailable() -> None:
    payload = {
        "errno": 22000,
        "state": True,
        "data": {
            "path": "",
            "isVip": 1,
            "trail_audio_info": {"path": "https://audio04.dmhmusic.com/trial.mp3", "duration": 30},
        },
    }
    assert parse_tracklink(payload) is None


def test_parse_tracklink_without_any_path_is_unavailable() -> None:
    assert parse_tracklink({"errno": 22000, "state": True, "data": {"TSID": "T1"}}) is None


def test_quality_for_maps_rates_and_formats() -> None:
    assert quality_for(3000, "flac", "123").label == "flac"
    assert quality_for("320", "mp3").label == "320k"
    assert quality_for(128, "").ext == "mp3"
    assert quality_for(None, None).label == "128k"

"""Kugou: search, playInfo and lyric parsers on the documented shapes."""

from __future__ import annotations

import base64

import pytest

from catalogsync.http_client import UpstreamError
from services.resolver.sources.kugou import (
    parse_lyric_candidates,
    parse_lyric_download,
    parse_play_info,
    parse_search,
    strip_tags,
    valid_hash,
)

HASH_128 = "6B77AB71BED3511276F000BB00000000"
HASH_320 = "EEEDE573245F6ED776C464F000000000"
HASH_FLAC = "245F6ED776C464F0EEEDE57300000000"

SEARCH = {
    "status": 1,
    "error_code": 0,
    "data": {
        "page": 1,
        "tab": "全部",
        "total": 3,
        "lists": [
            {
                "SongName": "<em>晴空下的约定</em>",
                "SingerName": "<em>林一舟</em>、Mira Chen",
                "SingerId": [6068057, 2801058],
                "FileName": "<em>林一舟</em>、Mira Chen - <em>晴空下的约定</em>",
                "AlbumName": "海风来信",
                "AlbumID": "7642340",
                "Duration": 231,
                "FileHash": HASH_128.lower(),
                "FileSize": 3696000,
                "ExtName": "mp3",
                "Bitrate": 128,
                "HQFileHash": HASH_320,
                "HQFileSize": 9240000,
                "HQExtName": "mp3",
                "SQFileHash": HASH_FLAC,
                "SQFileSize": 26000000,
                "SQExtName": "flac",
                "ResFileHash": "",
                "ResFileSize": 0,
            },
            {
                "SongName": "<em>晴空下的约定</em> (伴奏)",
                "SingerName": "顾晚",
                "SingerId": 1001,
                "Singers": [{"id": 1001, "name": "顾晚"}],
                "AlbumName": "",
                "Duration": "238",
                "FileHash": HASH_128,
                "FileSize": "3800000",
                "HQFileHash": "00000000000000000000000000000000",
                "HQFileSize": 0,
                "SQFileHash": "",
                "SQFileSize": 0,
                "Image": "http://imge.kugou.com/stdmusic/{size}/20240101/x.jpg",
            },
            {"SongName": "no file", "FileHash": "", "HQFileHash": "0" * 32},
        ],
    },
}


def test_strip_tags_and_valid_hash() -> None:
    assert strip_tags("<em>晴空</em>下的<EM>约定</EM>") == "晴空下的约定"
    assert valid_hash("0" * 32) == ""
    assert valid_hash("") == ""
    assert valid_hash(None) == ""
    assert valid_hash(HASH_128.lower()) == HASH_128


def test_parse_search_strips_highlights_and_splits_singers() -> None:
    first, second = parse_search(SEARCH)
    assert first.title == "晴空下的约定"
    assert first.artists == ("林一舟", "Mira Chen")
    assert first.album == "海风来信"
    assert first.duration_s == 231
    assert first.remote_id == HASH_128
    assert second.title == "晴空下的约定 (伴奏)"
    assert second.artists == ("顾晚",)
    assert second.duration_s == 238
    assert second.cover_url == "http://imge.kugou.com/stdmusic/400/20240101/x.jpg"


def test_parse_search_reads_one_hash_per_quality_and_drops_absent_ones() -> None:
    first, second = parse_search(SEARCH)
    assert first.extra["hashes"] == {"128k": HASH_128, "320k": HASH_320, "flac": HASH_FLAC}
    assert [(q.label, q.ext, q.size_bytes) for q in first.qualities] == [
        ("128k", "mp3", 3696000),
        ("320k", "mp3", 9240000),
        ("flac", "flac", 26000000),
    ]
    assert second.extra["hashes"] == {"128k": HASH_128}
    assert [(q.label, q.size_bytes) for q in second.qualities] == [("128k", 3800000)]


@pytest.mark.parametrize(
    "payload",
    [
        {"status": 0, "error_code": 1002, "data": {}},
        {"status": 1, "data": {"total": 0}},
        [],
    ],
)
def test_parse_search_errors_raise(payload: object) -> None:
    with pytest.raises(UpstreamError, match="kugou"):
        parse_search(payload)


def test_parse_play_info_empty_url_is_unavailable() -> None:
    assert parse_play_info({"status": 1, "errcode": 0, "url": "", "privilege": 10}, "320k") is None


def test_parse_play_info_reads_the_served_file() -> None:
    link = parse_play_info(
        {
            "status": 1,
            "url": "http://webfs.tx.kugou.com/202401011200/t/KGTX/CLTX001/x.mp3",
            "fileSize": 9240000,
            "extName": "mp3",
            "bitRate": 320,
        },
        "320k",
    )
    assert link is not None
    assert link.url.endswith("/x.mp3")
    assert (link.quality.label, link.quality.ext, link.quality.bitrate_kbps, link.quality.size_bytes) == (
        "320k",
        "mp3",
        320,
        9240000,
    )


def test_parse_lyric_candidates_and_download() -> None:
    candidates = parse_lyric_candidates(
        {"status": 200, "candidates": [{"id": "123", "accesskey": "ABC", "song": "晴空下的约定"}, {"id": ""}]}
    )
    assert candidates == [("123", "ABC")]
    assert parse_lyric_candidates({"status": 200, "candidates": []}) == []
    lrc = "[00:00.00]晴空下的约定 - 林一舟/Mira Chen\n"
    content = base64.b64encode(lrc.encode("utf-8")).decode("ascii")
    assert parse_lyric_download({"status": 200, "fmt": "lrc", "content": content}) == lrc


def test_parse_lyric_download_errors_raise() -> None:
    with pytest.raises(UpstreamError, match="kugou"):
        parse_lyric_download({"status": 404, "info": "not found"})
    with pytest.raises(UpstreamError, match="base64"):
        parse_lyric_download({"status": 200, "content": base64.b64encode(b"krc1\xff\xfe").decode()})

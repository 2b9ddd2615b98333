"""Migu: the PC search parser on the documented shape (bare array, string sizes, relative covers)."""

from __future__ import annotations

import pytest

from catalogsync.http_client import UpstreamError
from services.resolver.sources.migu import is_audio, listen_params, parse_search

SONGS = [
    {
        "resourceType": "2",
        "contentId": "600000000000",
        "copyrightId": "60080000000",
        "songId": "1140000000",
        "songName": "晴空下的约定",
        "singerList": [{"id": "1001", "name": "林一舟"}, {"id": "1002", "name": "Mira Chen"}],
        "album": "海风来信",
        "albumId": "2001",
        "duration": 231,
        "img1": "/prod/file-service/file-down/x/cover/600000000000/300.jpg",
        "toneControl": "111100",
        "copyright": 1,
        "audioFormats": [
            {"formatType": "SQ", "resourceType": "E", "asize": "26000000", "isize": "25999999"},
            {"formatType": "PQ", "resourceType": "2", "format": "020007", "size": "3696000"},
            {"formatType": "HQ", "resourceType": "2", "format": "020010", "size": "9240000"},
            {"formatType": "ZQ24", "resourceType": "E", "isize": "52000000"},
            {"formatType": "XX", "resourceType": "2", "size": "1"},
        ],
        "ext": {"lrcUrl": "http://d.musicapp.migu.cn/lrc/60080000000.lrc", "mrcUrl": "http://x/y.mrc"},
    },
    {
        "contentId": "600000000002",
        "copyrightId": "60080000002",
        "name": "晴空下的约定",
        "singerName": "顾晚,温远山",
        "duration": "238",
        "img2": "//d.musicapp.migu.cn/cover.jpg",
        "audioFormats": [{"formatType": "PQ", "resourceType": "2", "size": "not a number"}],
    },
    {"copyrightId": "60080000009", "songName": "no content id"},
]


def test_parse_search_reads_ids_artists_and_covers() -> None:
    first, second = parse_search(SONGS)
    assert first.remote_id == "60080000000"
    assert first.extra["content_id"] == "600000000000"
    assert first.extra["song_id"] == "1140000000"
    assert first.title == "晴空下的约定"
    assert first.artists == ("林一舟", "Mira Chen")
    assert first.album == "海风来信"
    assert first.duration_s == 231
    assert (
        first.cover_url
        == "http://d.musicapp.migu.cn/prod/file-service/file-down/x/cover/600000000000/300.jpg"
    )
    assert first.extra["lrc_url"] == "http://d.musicapp.migu.cn/lrc/60080000000.lrc"
    assert second.artists == ("顾晚", "温远山")
    assert second.duration_s == 238
    assert second.cover_url == "https://d.musicapp.migu.cn/cover.jpg"


def test_parse_search_qualities_sizes_come_from_asize_isize_size() -> None:
    first, second = parse_search(SONGS)
    assert [(q.label, q.ext, q.size_bytes) for q in first.qualities] == [
        ("128k", "mp3", 3696000),
        ("320k", "mp3", 9240000),
        ("flac", "flac", 26000000),
        ("hires", "flac", 52000000),
    ]
    assert [f["resource_type"] for f in first.extra["formats"]] == ["2", "2", "E", "E"]
    assert [(q.label, q.size_bytes) for q in second.qualities] == [("128k", 0)]


def test_listen_params_carry_ids_tone_and_resource_type() -> None:
    first = parse_search(SONGS)[0]
    sq = next(f for f in first.extra["formats"] if f["tone"] == "SQ")
    params = listen_params(first, sq)
    assert params["copyrightId"] == "60080000000"
    assert params["contentId"] == "600000000000"
    assert (params["toneFlag"], params["resourceType"], params["channel"]) == ("SQ", "E", "mx")


@pytest.mark.parametrize("payload", [{"code": "000001", "info": "参数错误"}, "text", None])
def test_parse_search_rejects_anything_but_an_array(payload: object) -> None:
    with pytest.raises(UpstreamError, match="migu"):
        parse_search(payload)


def test_empty_array_is_the_end_of_results() -> None:
    assert parse_search([]) == []


@pytest.mark.parametrize(
    ("content_type", "audio"),
    [
        ("audio/mpeg", True),
        ("audio/flac; charset=binary", True),
        ("application/octet-stream", True),
        ("application/json;charset=utf-8", False),
        ("text/html", False),
        ("", False),
    ],
)
def test_is_audio(content_type: str, audio: bool) -> None:
    assert is_audio(content_type) is audio

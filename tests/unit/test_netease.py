"""NetEase: crypto known answers, parsers on the fixture files, playlist URL forms."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from catalogsync.accounts import Account
from catalogsync.http_client import UpstreamError
from catalogsync.platforms.netease_anonymous import anonymous_username
from catalogsync.platforms.netease_api import app_headers, check_envelope, eapi_header, web_headers
from catalogsync.platforms.netease_crypto import (
    EapiError,
    eapi_decrypt,
    eapi_encrypt,
    eapi_path,
    weapi_encrypt,
)
from catalogsync.platforms.netease_songs import read_song
from catalogsync.v1 import common_pb2
from services.collector.platforms.netease_parse import (
    parse_playlist_detail,
    parse_song_details,
    parse_square,
    parse_toplists,
    song_snapshot,
)
from services.collector.url_forms import netease_playlist as parse_url
from services.resolver.sources.netease import (
    ANONYMOUS_LABELS,
    parse_account,
    parse_lyric,
    parse_search,
    parse_song_list_page,
    parse_song_url,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "platforms"
# Computed independently with `openssl enc -aes-128-ecb` / `-aes-128-cbc` from the documented steps.
EAPI_KNOWN = (
    "FA90B329E9614F79E79598F37DC2EDB487F00D1BC4C9B24CD57E6C318B9073569338432CD7D98D1A3626E997A2C531"
    "219D8EAE660B73C35A7BDF9C08B17F54E5E293FBF59E070B8E925A81F604B6DEE768E02FEE3A9C1BF82532D6FDD875"
    "FC87AFADD4458B5734E9F2287D50C89CDA6E1A67FF7B637A51E8470A978C64F60B6780A4EB4E9247094D7D6A7FB867"
    "1CEADF04BA0A91F5D246F0C8800BCA7A71D4AD"
)
WEAPI_KNOWN_PARAMS = "VL7n3jYyk1hNELj6pW60C8SAkN3Uwu0TpX/vRXdkOAiQTTHqY30st41oWjkKqLnr"
RSA_MODULUS_HEX = (
    "00e0b509f6259df8642dbc35662901477df22677ec152b5ff68ace615bb7b725152b3ab17a876aea8a5aa76d2e417629ec4ee341f5"
    "6135fccf695280104e0312ecbda92557c93870114af6c9d05c4f7f0c3685b7a46bee255932575cce10b424d813cfe4875d3e82047"
    "b97ddef52741d546b8e289dc6935b3ece0462db0a22b8e7"
)


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# ---- crypto -------------------------------------------------------------------------------------
def test_eapi_encrypt_matches_an_independent_implementation() -> None:
    params = {"ids": "[1990001001]", "level": "lossless", "encodeType": "flac"}
    assert eapi_encrypt("/api/song/enhance/player/url/v1", params) == EAPI_KNOWN


def test_eapi_decrypt_reads_upper_and_lower_case_hex() -> None:
    for text in (EAPI_KNOWN, EAPI_KNOWN.lower()):
        request = eapi_decrypt(text)
        assert request.path == "/api/song/enhance/player/url/v1"
        assert request.params == {"ids": "[1990001001]", "level": "lossless", "encodeType": "flac"}


def test_eapi_round_trip_keeps_non_ascii() -> None:
    sent = {"s": "晴空下的约定 / Night", "header": json.dumps({"os": "pc"})}
    assert eapi_decrypt(eapi_encrypt("/api/cloudsearch/pc", sent)).params == sent


def test_eapi_decrypt_rejects_a_wrong_digest_and_garbage() -> None:
    key = b"e82ckenh8dichen8"
    forged = '/api/x-36cd479b6b5-{"a":1}-36cd479b6b5-' + "0" * 32
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    body = encryptor.update(padder.update(forged.encode()) + padder.finalize()) + encryptor.finalize()
    with pytest.raises(EapiError, match="digest"):
        eapi_decrypt(body.hex())
    for garbage in ("zz", "00" * 16, ""):
        with pytest.raises(EapiError):
            eapi_decrypt(garbage)


def test_eapi_path_maps_the_front_door() -> None:
    assert eapi_path("/eapi/song/enhance/player/url/v1") == "/api/song/enhance/player/url/v1"
    assert eapi_path("/api/song/lyric") == "/api/song/lyric"


def test_weapi_matches_an_independent_implementation() -> None:
    fields = weapi_encrypt({"id": "8800000001", "n": "1000"}, secret="abcdefghijklmnop")
    assert fields["params"] == WEAPI_KNOWN_PARAMS
    reversed_key = int.from_bytes(b"ponmlkjihgfedcba", "big")
    assert len(fields["encSecKey"]) == 256
    assert int(fields["encSecKey"], 16) == pow(reversed_key, 65537, int(RSA_MODULUS_HEX, 16))


def test_weapi_random_secret_changes_every_call_and_decrypts_in_two_layers() -> None:
    first, second = weapi_encrypt({"id": 1}), weapi_encrypt({"id": 1})
    assert first["params"] != second["params"] and first["encSecKey"] != second["encSecKey"]
    with pytest.raises(ValueError):
        weapi_encrypt({"id": 1}, secret="short")
    iv = b"0102030405060708"

    def decrypt(data: bytes, key: bytes) -> bytes:
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(decryptor.update(data) + decryptor.finalize()) + unpadder.finalize()

    fixed = weapi_encrypt({"id": 1}, secret="0123456789abcdef")
    outer = decrypt(base64.b64decode(fixed["params"]), b"0123456789abcdef")
    assert json.loads(decrypt(base64.b64decode(outer), b"0CoJUm6Qyw8W8jud")) == {"id": 1}


# ---- envelope and song objects ------------------------------------------------------------------
def test_check_envelope_refuses_error_codes_and_non_objects() -> None:
    assert check_envelope({"code": 200}, "u", "what")["code"] == 200
    with pytest.raises(UpstreamError, match=r"netease: toplists: code 301 需要登录"):
        check_envelope({"code": 301, "msg": "需要登录"}, "https://music.163.com/api/toplist", "toplists")
    with pytest.raises(UpstreamError, match="expected a JSON object"):
        check_envelope([1, 2], "u", "what")
    assert check_envelope({"code": 404}, "u", "what", ok_codes=(200, 404))["code"] == 404


def test_read_song_handles_the_legacy_shape_and_highlights() -> None:
    legacy = {
        "id": 77,
        "name": "<em>晴空</em>下的约定",
        "artists": [{"id": 0, "name": "林一舟"}, {"id": 5, "name": "Mira Chen"}],
        "album": {"name": "海风来信", "picUrl": "https://p1.music.126.net/x/1.jpg"},
        "duration": 231400,
    }
    info = read_song(legacy, "u")
    assert info.song_id == "77" and info.name == "晴空下的约定"
    assert info.artists == (("", "林一舟"), ("5", "Mira Chen"))
    assert (info.album, info.duration_s, info.cover_url) == (
        "海风来信",
        231,
        "https://p1.music.126.net/x/1.jpg",
    )
    with pytest.raises(UpstreamError, match="without an id"):
        read_song({"name": "x"}, "u")


# ---- collector parsers --------------------------------------------------------------------------
def test_parse_square() -> None:
    page = parse_square(load("netease_playlist_square.json"))
    assert [p.remote_playlist_id for p in page.playlists] == ["8800000001", "8800000002"]
    assert (page.total, page.more) == (1290, True)
    first, second = page.playlists
    assert first.name == "华语｜晴空下的约定：适合周末的歌" and first.creator == "海边的猫"
    assert (first.play_count, first.track_count, first.kind) == (1523456, 58, common_pb2.PLAYLIST_SQUARE)
    assert first.cover_url == "https://p1.music.126.net/Cov1==/109951169000000101.jpg"
    assert first.source_url == "https://music.163.com/#/playlist?id=8800000001"
    assert second.name == "Indie/Folk: late night & rainy days"
    assert json.loads(first.metadata_json)["coverImgId_str"] == "109951169000000100"


def test_parse_square_refuses_a_missing_list() -> None:
    with pytest.raises(UpstreamError, match="'playlists' is not a list"):
        parse_square({"code": 200, "more": False})


def test_parse_toplists_skips_the_artist_chart() -> None:
    charts = parse_toplists(load("netease_toplist.json"))
    assert [c.remote_playlist_id for c in charts] == ["19723756", "3778678", "8800009999"]
    assert {c.kind for c in charts} == {common_pb2.TOPLIST}
    assert charts[2].name == "Indie/Electronic 周榜: 夜/昼" and charts[0].creator == ""
    assert charts[0].source_url == "https://music.163.com/#/discover/toplist?id=19723756"
    assert parse_url(charts[0].source_url) is not None
    assert parse_url(charts[0].source_url).kind == common_pb2.TOPLIST


def test_parse_playlist_detail_takes_ids_from_track_ids() -> None:
    payload = load("netease_playlist_detail.json")
    detail = parse_playlist_detail(payload, common_pb2.PLAYLIST_SQUARE)
    assert detail is not None
    assert detail.track_ids == ["1990001001", "1990001002", "1990001003", "1990001004"]
    assert sorted(detail.songs) == ["1990001001", "1990001002", "1990001003"]
    assert detail.playlist.name == "华语｜晴空下的约定：适合周末的歌"
    assert detail.playlist.track_count == 4 and detail.playlist.creator == "海边的猫"
    assert "tracks" not in json.loads(detail.playlist.metadata_json)
    assert parse_playlist_detail({"code": 200, "playlist": None}, common_pb2.PLAYLIST_SQUARE) is None


def test_parse_playlist_detail_without_track_ids() -> None:
    payload = load("netease_playlist_detail.json")
    del payload["playlist"]["trackIds"]
    detail = parse_playlist_detail(payload, common_pb2.PLAYLIST_SQUARE)
    assert detail is not None and detail.track_ids == ["1990001001", "1990001002", "1990001003"]
    payload["playlist"]["tracks"] = []
    with pytest.raises(UpstreamError, match="'trackIds' is not a list"):
        parse_playlist_detail(payload, common_pb2.PLAYLIST_SQUARE)
    payload["playlist"]["trackIds"] = [{"id": "x"}]
    with pytest.raises(UpstreamError, match="bad trackIds entry"):
        parse_playlist_detail(payload, common_pb2.PLAYLIST_SQUARE)


def test_song_snapshot_from_a_playlist_track() -> None:
    tracks = load("netease_playlist_detail.json")["playlist"]["tracks"]
    first, second, third = (song_snapshot(song) for song in tracks)
    assert (first.remote_song_id, first.name, first.album) == ("1990001001", "晴空下的约定", "海风来信")
    assert [(a.remote_id, a.name) for a in first.artists] == [
        ("12000001", "林一舟"),
        ("12000002", "Mira Chen"),
    ]
    assert first.duration_s == 231 and first.cover_url.endswith("/109951169000000001.jpg")
    assert json.loads(first.metadata_json) == tracks[0]
    assert second.name == "Night/Day: 夜/昼 (Live)" and third.duration_s == 412
    assert third.name.startswith("在很久很久以前") and len(third.name) > 100


def test_parse_song_details() -> None:
    tracks = load("netease_playlist_detail.json")["playlist"]["tracks"]
    songs = parse_song_details({"songs": tracks, "privileges": [], "code": 200})
    assert list(songs) == ["1990001001", "1990001002", "1990001003"]
    with pytest.raises(UpstreamError, match="'songs' is not a list"):
        parse_song_details({"code": 200})
    with pytest.raises(UpstreamError, match="without an id"):
        parse_song_details({"songs": [{"name": "no id"}], "code": 200})


# ---- resolver parsers ---------------------------------------------------------------------------
def test_parse_search() -> None:
    first, second = parse_search(load("netease_search.json"))
    assert (first.source, first.remote_id, first.title) == ("netease", "1990001001", "晴空下的约定")
    assert first.artists == ("林一舟", "Mira Chen") and first.album == "海风来信" and first.duration_s == 231
    assert [(q.label, q.ext, q.bitrate_kbps, q.size_bytes) for q in first.qualities] == [
        ("128k", "mp3", 128, 3696000),
        ("320k", "mp3", 320, 9240000),
        ("flac", "flac", 1411, 34650000),
    ]
    assert [q.label for q in second.qualities] == ["128k", "320k"]
    assert parse_search({"result": {"songCount": 0}, "code": 200}) == []
    with pytest.raises(UpstreamError, match="'result' is not an object"):
        parse_search({"code": 200})


def test_parse_song_url_full_trial_and_unavailable() -> None:
    payload = load("netease_song_url.json")
    full = parse_song_url(payload, "1990001001")
    assert full is not None and full.url.startswith("https://m801.music.126.net/")
    assert (full.quality.label, full.quality.ext, full.quality.bitrate_kbps, full.quality.size_bytes) == (
        "flac",
        "flac",
        1411,
        40762345,
    )
    assert parse_song_url(payload, "1990001002") is None  # freeTrialInfo: a 30-second clip
    assert parse_song_url(payload, "1990001004") is None  # url null, code 404
    assert parse_song_url(payload, "42") is None
    with pytest.raises(UpstreamError, match="'data' is not a list"):
        parse_song_url({"code": 200}, "1")


def test_parse_song_url_reports_the_level_actually_served() -> None:
    entry = dict(load("netease_song_url.json")["data"][0], level="exhigh", br=320000, type="mp3", size=9)
    link = parse_song_url({"data": [entry], "code": 200}, "1990001001")
    assert link is not None and (link.quality.label, link.quality.ext, link.quality.size_bytes) == (
        "320k",
        "mp3",
        9,
    )


def test_parse_lyric() -> None:
    lrc = parse_lyric(load("netease_lyric.json"))
    assert lrc.startswith("[00:00.000] 作词 : 林一舟\n") and "风吹过港口的黄昏" in lrc
    assert parse_lyric({"nolyric": True, "code": 200}) == ""
    assert parse_lyric({"uncollected": True, "code": 200}) == ""


# ---- playlist URLs ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "remote_id", "kind"),
    [
        ("https://music.163.com/#/playlist?id=123", "123", common_pb2.PLAYLIST_SQUARE),
        ("https://music.163.com/playlist?id=123", "123", common_pb2.PLAYLIST_SQUARE),
        ("https://music.163.com/#/my/m/music/playlist?id=123", "123", common_pb2.PLAYLIST_SQUARE),
        ("https://music.163.com/#/m/playlist?id=123", "123", common_pb2.PLAYLIST_SQUARE),
        ("https://music.163.com/playlist/123", "123", common_pb2.PLAYLIST_SQUARE),
        ("https://music.163.com/playlist/123/456/?userid=9", "123", common_pb2.PLAYLIST_SQUARE),
        (
            "https://y.music.163.com/m/playlist?id=123&userid=77&creatorId=88",
            "123",
            common_pb2.PLAYLIST_SQUARE,
        ),
        ("https://y.music.163.com/m/playlist?userid=77&id=123", "123", common_pb2.PLAYLIST_SQUARE),
        ("https://music.163.com/m/playlist?id=123", "123", common_pb2.PLAYLIST_SQUARE),
        ("https://music.163.com/#/playlist?id=123&userid=77", "123", common_pb2.PLAYLIST_SQUARE),
        ("music.163.com/#/playlist?id=123", "123", common_pb2.PLAYLIST_SQUARE),
        ("https://music.163.com/#/discover/toplist?id=3778678", "3778678", common_pb2.TOPLIST),
        ("https://music.163.com/discover/toplist?id=3778678", "3778678", common_pb2.TOPLIST),
        ("https://music.163.com/#/discover/toplist", "19723756", common_pb2.TOPLIST),
    ],
)
def test_parse_url_forms(url: str, remote_id: str, kind: int) -> None:
    ref = parse_url(url)
    assert ref is not None
    assert (ref.remote_playlist_id, ref.kind) == (remote_id, kind)


@pytest.mark.parametrize(
    "url",
    [
        "https://music.163.com/#/song?id=123",
        "https://music.163.com/#/album?id=123",
        "https://music.163.com/#/playlist?id=abc",
        "https://music.163.com/#/playlist",
        "https://y.music.163.com/m/user?id=77",
        "https://example.com/playlist?id=123",
        "https://y.qq.com/n/ryqq/playlist/123",
        "not a url at all",
    ],
)
def test_parse_url_refuses_other_urls(url: str) -> None:
    assert parse_url(url) is None


# ---- search/song/list/page, the user's account ------------------------------------------------
def test_song_list_page_reads_songs_inside_resources() -> None:
    songs = load("netease_search.json")["result"]["songs"]
    payload = {
        "code": 200,
        "data": {
            "resources": [{"baseInfo": {"simpleSongData": song}} for song in songs],
            "totalCount": len(songs),
        },
    }
    tracks = parse_song_list_page(payload)
    assert [t.remote_id for t in tracks] == [str(s["id"]) for s in songs]
    assert tracks == parse_search({"result": {"songs": songs}})
    capped = parse_song_list_page(payload, ANONYMOUS_LABELS)
    assert all(q.label in ANONYMOUS_LABELS for t in capped for q in t.qualities)
    assert parse_song_list_page({"code": 200, "data": {}}) == []
    with pytest.raises(UpstreamError, match="resource without a song"):
        parse_song_list_page({"code": 200, "data": {"resources": [{"baseInfo": {}}]}})


def test_account_answers() -> None:
    vip = parse_account({"code": 200, "account": {"id": 1, "vipType": 11}, "profile": {"userId": 1}})
    assert (vip.accepted, vip.detail) == (True, "VIP")
    plain = parse_account({"code": 200, "account": {"id": 1, "vipType": 0}, "profile": {"userId": 1}})
    assert (plain.accepted, plain.detail) == (True, "logged in (no VIP)")
    assert parse_account({"code": 200, "account": None, "profile": None}).accepted is False
    anonymous = {"code": 200, "account": {"id": 2, "anonimousUser": True}, "profile": None}
    assert parse_account(anonymous).accepted is False


def test_music_u_goes_in_the_cookie_and_the_eapi_header_only_with_an_account() -> None:
    account = Account("netease", {"MUSIC_U": "secret-login", "__csrf": "c5"}, "env")
    cookie = app_headers(account)["Cookie"]
    assert "MUSIC_U=secret-login" in cookie and "os=pc" in cookie and "deviceId=" in cookie
    assert "MUSIC_U=secret-login" in web_headers(account)["Cookie"]
    assert "MUSIC_U" not in web_headers()["Cookie"] and "MUSIC_U" not in app_headers()["Cookie"]
    header = json.loads(eapi_header(account))
    assert (header["MUSIC_U"], header["__csrf"], header["os"]) == ("secret-login", "c5", "pc")
    assert "MUSIC_U" not in json.loads(eapi_header())
    assert json.loads(eapi_header())["deviceId"] == header["deviceId"]  # one device per process


def test_anonymous_username_encodes_the_device_id() -> None:
    device = "0123456789ABCDEF0123456789ABCDEF"
    decoded = base64.b64decode(anonymous_username(device)).decode()
    ident, digest = decoded.split(" ")
    assert ident == device
    key = b"3go8&$8*3*3h0k(2)2"
    xored = bytes(b ^ key[i % len(key)] for i, b in enumerate(device.encode()))
    assert base64.b64decode(digest) == hashlib.md5(xored).digest()


def test_music_a_only_without_music_u() -> None:
    assert "MUSIC_A=anon-token" in app_headers(None, "anon-token")["Cookie"]
    assert json.loads(eapi_header(None, "anon-token"))["MUSIC_A"] == "anon-token"
    account = Account("netease", {"MUSIC_U": "login"}, "env")
    assert "MUSIC_A" not in web_headers(account, "anon-token")["Cookie"]
    assert "MUSIC_A" not in json.loads(eapi_header(account, "anon-token"))

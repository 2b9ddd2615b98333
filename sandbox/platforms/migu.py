"""Sandbox imitation of Migu (咪咕): PC song search, listenSong redirects, media, covers and lyrics.

- ``app.u.nf.migu.cn/pc/resource/song/item/search/v1.0``: a bare JSON array of song
  objects (``singerList[]``, ``audioFormats[]`` with sizes as strings; SQ sizes only as
  ``asize``/``isize``); an empty array past the end.
- ``app.pd.nf.migu.cn/MIGUM3.0/v1.0/content/sub/listenSong.do``: 302 to the media file on
  ``freetyst.nf.migu.cn``; VIP-only tracks, unknown ids and missing qualities get a JSON
  error with HTTP 200 instead (a non-audio answer).
- ``app.c.nf.migu.cn/MIGUM3.0/strategy/pc/listen/v1.0``: the JSON variant (``data.url``,
  protocol-relative), which needs the ``channel`` header.
- The CDN refuses ``HEAD`` on FLAC files (405, ``Allow: GET``) while a ranged GET works; MP3
  files still answer HEAD.
- ``d.musicapp.migu.cn``: covers (``img1`` is a relative path), plain LRC (``ext.lrcUrl``)
  and an opaque ``mrcUrl`` (the encrypted word-timed format).
"""

from __future__ import annotations

import hashlib

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sandbox import ids
from sandbox.app import SandboxState, cover_response, json_response, media_response
from sandbox.catalog import INSTRUMENTAL, VARIANTS, Catalog, Quality, Track

HOSTS: tuple[str, ...] = (
    "app.u.nf.migu.cn",
    "app.pd.nf.migu.cn",
    "app.c.nf.migu.cn",
    "d.musicapp.migu.cn",
    "*.nf.migu.cn",
)
SOURCE = "migu"
MEDIA_BASE = "https://freetyst.nf.migu.cn/public/product9th/product45/2024/0101"
ASSET_BASE = "http://d.musicapp.migu.cn"
FILE_DOWN = "/prod/file-service/file-down/b1899d500dd8f2b3a9ef4be1f3ea5e13"
# quality label -> (toneFlag, resourceType, format code, CDN folder)
TONES = {
    "128k": ("PQ", "2", "020007", "MP3_128_16_Stero"),
    "320k": ("HQ", "2", "020010", "MP3_320_16_Stero"),
    "flac": ("SQ", "E", "011002", "FLAC_16_44"),
}
LABEL_BY_TONE = {tone: label for label, (tone, *_) in TONES.items()}
LABEL_BY_FOLDER = {folder: label for label, (*_, folder) in TONES.items()}
CONTENT_TYPES = {"mp3": "audio/mpeg", "flac": "audio/flac"}


def _host(request: Request) -> str:
    return request.headers.get("host", "").rsplit(":", 1)[0].lower()


def _number(text: str, prefix: str) -> str:
    digest = hashlib.md5(f"migu|{prefix}|{text}".encode("utf-8", "surrogatepass")).hexdigest()
    return str(int(digest[:12], 16) % 10**9 + 10**9)


def _error(code: str, info: str) -> Response:
    return json_response({"code": code, "info": info})


def _audio_format(quality: Quality) -> dict[str, str]:
    tone, resource_type, code, _ = TONES[quality.label]
    entry = {"formatType": tone, "resourceType": resource_type, "format": code}
    if tone == "SQ":
        entry.update(
            {"aformat": code, "iformat": "011003", "asize": str(quality.size), "isize": str(quality.size)}
        )
    else:
        entry["size"] = str(quality.size)
    return entry


def _has_lyrics(catalog: Catalog, key: int) -> bool:
    return key % VARIANTS != INSTRUMENTAL and bool(catalog.lyrics(key // VARIANTS))


def song_object(catalog: Catalog, track: Track) -> dict:
    """One song as the PC resource search lists it."""
    key = track.key
    copyright_id = ids.migu_copyright_id(key)
    content_id = ids.migu_content_id(key)
    qualities = catalog.qualities(SOURCE, key)
    labels = {q.label for q in qualities}
    hq, sq = ("1" if "320k" in labels else "0"), ("1" if "flac" in labels else "0")
    ext = {"mrcUrl": f"{ASSET_BASE}{FILE_DOWN}/mrc/{copyright_id}.mrc", "trcUrl": ""}
    if _has_lyrics(catalog, key):
        ext["lrcUrl"] = f"{ASSET_BASE}{FILE_DOWN}/lrc/{copyright_id}.lrc"
    return {
        "resourceType": "2",
        "contentId": content_id,
        "copyrightId": copyright_id,
        "songId": ids.migu_song_id(key),
        "songName": track.title,
        "singerList": [{"id": _number(name, "singer"), "name": name} for name in track.artists],
        "album": track.album,
        "albumId": _number(track.album, "album"),
        "duration": track.duration_s,
        "img1": f"{FILE_DOWN}/cover/{content_id}/300.jpg",
        "img2": f"{ASSET_BASE}{FILE_DOWN}/cover/{content_id}/500.jpg",
        "img3": f"{ASSET_BASE}{FILE_DOWN}/cover/{content_id}/1000.jpg",
        "toneControl": f"1{hq}{sq}{sq}00",
        "copyright": 1,
        "audioFormats": [_audio_format(q) for q in qualities],
        "ext": ext,
    }


def media_url(key: int, quality: Quality) -> str:
    folder = TONES[quality.label][3]
    token = hashlib.md5(f"migu-media|{key}|{quality.label}".encode()).hexdigest()
    return (
        f"{MEDIA_BASE}/{folder}/{ids.migu_content_id(key)}.{quality.ext}?channelid=03&k={token}&t=1704067200"
    )


def _playable_quality(catalog: Catalog, request: Request) -> tuple[int, Quality] | Response:
    """The (key, quality) a listen request asks for, or the platform's JSON error."""
    params = request.query_params
    key = ids.track_key(SOURCE, params.get("copyrightId", ""))
    if key is None or key != ids.track_key(SOURCE, params.get("contentId", "")):
        return _error("100001", "歌曲不存在")
    if not catalog.listed(SOURCE, key):
        return _error("100001", "歌曲不存在")
    label = LABEL_BY_TONE.get(params.get("toneFlag", "").upper())
    quality = catalog.quality(SOURCE, key, label) if label else None
    if quality is None:
        return _error("100002", "该音质不存在")
    if params.get("resourceType") != TONES[quality.label][1]:
        return _error("100003", "resourceType 错误")
    if not catalog.playable(SOURCE, key):
        return _error("200001", "该歌曲为会员专享，请开通会员后收听")
    return key, quality


def routes(state: SandboxState) -> list[Route]:
    catalog = state.catalog

    async def search(request: Request) -> Response:
        if _host(request) != "app.u.nf.migu.cn":
            return _error("404", "not found")
        params = request.query_params
        text = params.get("text", "").strip()
        try:
            page = max(1, int(params.get("pageNo", "1")))
            size = min(50, max(1, int(params.get("pageSize", "20"))))
        except ValueError:
            return _error("000001", "参数错误")
        if not text:
            return _error("000001", "参数错误")
        tracks, _ = catalog.search(SOURCE, text, (page - 1) * size, size)
        return json_response([song_object(catalog, t) for t in tracks])

    async def listen_song(request: Request) -> Response:
        if _host(request) != "app.pd.nf.migu.cn":
            return _error("404", "not found")
        found = _playable_quality(catalog, request)
        if isinstance(found, Response):
            return found
        key, quality = found
        return RedirectResponse(media_url(key, quality), status_code=302)

    async def listen_strategy(request: Request) -> Response:
        if _host(request) != "app.c.nf.migu.cn":
            return _error("404", "not found")
        if not request.headers.get("channel"):
            return _error("000002", "缺少 channel")
        found = _playable_quality(catalog, request)
        if isinstance(found, Response):
            return found
        key, quality = found
        url = media_url(key, quality).removeprefix("https:")
        return json_response(
            {"code": "000000", "info": "成功", "data": {"url": url, "formatType": TONES[quality.label][0]}}
        )

    async def media(request: Request) -> Response:
        name = request.path_params["name"]
        content_id, _, ext = name.rpartition(".")
        label = LABEL_BY_FOLDER.get(request.path_params["folder"])
        key = ids.track_key(SOURCE, content_id) if content_id.startswith("6000") else None
        listed = key is not None and catalog.listed(SOURCE, key)
        quality = catalog.quality(SOURCE, key, label) if listed and label else None
        if quality is None or quality.ext != ext or not catalog.playable(SOURCE, key):
            return Response("Forbidden", status_code=403, media_type="text/plain")
        if request.method == "HEAD" and quality.label == "flac":
            return Response("Method Not Allowed", status_code=405, headers={"Allow": "GET"})
        data = catalog.media(SOURCE, key, quality.label)
        return media_response(request, data, CONTENT_TYPES[ext], f"{SOURCE}/{content_id}/{label}")

    async def cover(request: Request) -> Response:
        key = ids.track_key(SOURCE, request.path_params["content_id"])
        if key is None or not catalog.listed(SOURCE, key):
            return Response("Not Found", status_code=404, media_type="text/plain")
        return cover_response(request, catalog.track(key).album)

    async def lyric(request: Request) -> Response:
        stem, _, ext = request.path_params["name"].rpartition(".")
        key = ids.track_key(SOURCE, stem) if stem.startswith("6008") else None
        if key is None or not catalog.listed(SOURCE, key) or not _has_lyrics(catalog, key):
            return Response("Not Found", status_code=404, media_type="text/plain")
        if request.path_params["kind"] == "mrc" and ext == "mrc":
            opaque = hashlib.shake_256(f"mrc|{key}".encode()).digest(256)
            return Response(opaque, media_type="application/octet-stream")
        if request.path_params["kind"] != "lrc" or ext != "lrc":
            return Response("Not Found", status_code=404, media_type="text/plain")
        return Response(catalog.lyrics(key // VARIANTS), media_type="text/plain;charset=utf-8")

    return [
        Route("/pc/resource/song/item/search/v1.0", search),
        Route("/MIGUM3.0/v1.0/content/sub/listenSong.do", listen_song),
        Route("/MIGUM3.0/strategy/pc/listen/v1.0", listen_strategy),
        Route("/public/product9th/product45/{year}/{day}/{folder}/{name}", media),
        Route(FILE_DOWN + "/cover/{content_id}/{size}", cover),
        Route(FILE_DOWN + "/{kind}/{name}", lyric),
    ]

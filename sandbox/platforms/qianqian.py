"""Sandbox imitation of Qianqian (千千, music.91q.com): signed search and tracklink, media, covers, lyrics.

- ``music.91q.com/v1/*``: every call must carry ``appid``, a numeric ``timestamp`` and the
  right ``sign`` (``catalogsync.platforms.qianqian_sign``); otherwise the error envelope
  ``{errno: 22005, errmsg, state: false, data: {}}``. Success is ``{errno: 22000, state: true, data}``.
- ``/v1/search?type=1``: ``data.typeTrack[]`` (``TSID``/``id``, ``artist[]`` list,
  ``lyric`` URL, ``rateFileInfo``) and ``data.total``.
- ``/v1/song/tracklink?TSID=&rate=``: ``data.path`` of the best file not above ``rate``
  (128 when absent); VIP-only tracks get ``path: ""`` and only ``trail_audio_info`` (a 30 s clip).
- ``*.dmhmusic.com`` (our choice, after the real media CDN ``audio04.dmhmusic.com``):
  media on ``audio04``, covers on ``img01`` and plain LRC on ``lrc``.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalogsync.platforms import qianqian_sign
from sandbox import ids
from sandbox.app import SandboxState, cover_response, json_response, media_response
from sandbox.catalog import INSTRUMENTAL, VARIANTS, Catalog, Quality, Track

HOSTS: tuple[str, ...] = ("music.91q.com", "*.dmhmusic.com")
SOURCE = "qianqian"
API_HOST = "music.91q.com"
MEDIA_BASE = "https://audio04.dmhmusic.com"
COVER_BASE = "https://img01.dmhmusic.com/0410/M00"
LYRIC_BASE = "https://lrc.dmhmusic.com/lrc"
OK_ERRNO = 22000
SIGN_ERRNO = 22005
RATES = {"128k": 128, "320k": 320, "flac": 3000}
CONTENT_TYPES = {"mp3": "audio/mpeg", "flac": "audio/flac"}


def _host(request: Request) -> str:
    return request.headers.get("host", "").rsplit(":", 1)[0].lower()


def _code(text: str, prefix: str) -> str:
    digest = hashlib.md5(f"qianqian|{prefix}|{text}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"{prefix}{int(digest[:10], 16) % 10**9 + 10**9}"


def _ok(data: dict) -> Response:
    return json_response({"data": data, "errno": OK_ERRNO, "errmsg": "成功", "state": True})


def _error(errno: int, message: str) -> Response:
    return json_response({"data": {}, "errno": errno, "errmsg": message, "state": False})


def _not_found() -> Response:
    return Response("Not Found", status_code=404, media_type="text/plain")


def _has_lyrics(catalog: Catalog, key: int) -> bool:
    return key % VARIANTS != INSTRUMENTAL and bool(catalog.lyrics(key // VARIANTS))


def _shard(key: int) -> str:
    digest = hashlib.md5(f"qianqian-shard|{key}".encode()).hexdigest().upper()
    return f"{digest[:2]}/{digest[2:4]}"


def media_url(key: int, quality: Quality, trial: bool = False) -> str:
    kind = "sdk-try" if trial else "sdk-cpm"
    token = hashlib.md5(f"qianqian-media|{key}|{quality.label}|{trial}".encode()).hexdigest()
    ext = "mp3" if trial else quality.ext
    rate = 128 if trial else RATES[quality.label]
    return (
        f"{MEDIA_BASE}/71_53_{ids.qianqian_tsid(key)}_{rate}_4_1_0_{kind}/cn/0101/M00/{_shard(key)}/"
        f"{token}.{ext}?xcode={token[:24]}"
    )


def track_object(catalog: Catalog, track: Track) -> dict:
    """One track as search lists it."""
    key = track.key
    tsid = ids.qianqian_tsid(key)
    rate_info = {
        str(RATES[q.label]): {"size": q.size, "format": q.ext} for q in catalog.qualities(SOURCE, key)
    }
    return {
        "id": tsid,
        "TSID": tsid,
        "title": track.title,
        "artist": [{"name": name, "artistCode": _code(name, "A"), "artistType": 1} for name in track.artists],
        "albumTitle": track.album,
        "albumAssetCode": _code(track.album, "P"),
        "duration": track.duration_s,
        "pic": f"{COVER_BASE}/{_shard(key)}/{tsid}.jpg",
        "lyric": f"{LYRIC_BASE}/{tsid}.lrc" if _has_lyrics(catalog, key) else "",
        "isVip": 0 if catalog.playable(SOURCE, key) else 1,
        "rateFileInfo": rate_info,
    }


def _wanted_rate(text: str) -> int | None:
    if not text:
        return RATES["128k"]
    return int(text) if text.isdigit() else None


def routes(state: SandboxState) -> list[Route]:
    catalog = state.catalog

    def refused(request: Request) -> Response | None:
        if _host(request) != API_HOST:
            return _not_found()
        if not qianqian_sign.verify(request.query_params):
            return _error(SIGN_ERRNO, "签名错误")
        return None

    async def search(request: Request) -> Response:
        refusal = refused(request)
        if refusal is not None:
            return refusal
        params = request.query_params
        word = params.get("word", "").strip()
        try:
            page = max(1, int(params.get("pageNo", "1")))
            size = min(50, max(1, int(params.get("pageSize", "20"))))
        except ValueError:
            return _error(22001, "参数错误")
        if not word:
            return _error(22001, "参数错误")
        if params.get("type", "1") != "1":
            return _ok({"total": 0, "typeTrack": []})
        tracks, total = catalog.search(SOURCE, word, (page - 1) * size, size)
        return _ok({"total": total, "typeTrack": [track_object(catalog, t) for t in tracks]})

    async def tracklink(request: Request) -> Response:
        refusal = refused(request)
        if refusal is not None:
            return refusal
        params = request.query_params
        key = ids.track_key(SOURCE, params.get("TSID", ""))
        rate = _wanted_rate(params.get("rate", ""))
        if key is None or not catalog.listed(SOURCE, key) or rate is None:
            return _error(22001, "歌曲不存在")
        track = catalog.track(key)
        fits = [q for q in catalog.qualities(SOURCE, key) if RATES[q.label] <= rate]
        quality = fits[-1] if fits else catalog.qualities(SOURCE, key)[0]
        tsid = ids.qianqian_tsid(key)
        data = {
            "TSID": tsid,
            "title": track.title,
            "artist": [{"name": name, "artistCode": _code(name, "A")} for name in track.artists],
            "duration": track.duration_s,
            "lyric": f"{LYRIC_BASE}/{tsid}.lrc" if _has_lyrics(catalog, key) else "",
            "isVip": 0,
        }
        if catalog.playable(SOURCE, key):
            data.update(
                {
                    "path": media_url(key, quality),
                    "rate": RATES[quality.label],
                    "size": quality.size,
                    "format": quality.ext,
                }
            )
        else:
            trial = catalog.trial(SOURCE, key)
            data.update(
                {
                    "path": "",
                    "isVip": 1,
                    "trail_audio_info": {
                        "path": media_url(key, quality, trial=True),
                        "rate": 128,
                        "size": len(trial),
                        "format": "mp3",
                        "duration": 30,
                    },
                }
            )
        return _ok(data)

    async def media(request: Request) -> Response:
        parts = request.path_params["head"].split("_")
        key = ids.track_key(SOURCE, parts[2]) if len(parts) == 8 else None
        if key is None or not catalog.listed(SOURCE, key):
            return Response("Forbidden", status_code=403, media_type="text/plain")
        if parts[7] == "sdk-try":
            return media_response(request, catalog.trial(SOURCE, key), "audio/mpeg", f"{SOURCE}/{key}/trial")
        quality = next((q for q in catalog.qualities(SOURCE, key) if str(RATES[q.label]) == parts[3]), None)
        if quality is None or parts[7] != "sdk-cpm" or not catalog.playable(SOURCE, key):
            return Response("Forbidden", status_code=403, media_type="text/plain")
        if request.url.path != urlsplit(media_url(key, quality)).path:
            return Response("Forbidden", status_code=403, media_type="text/plain")
        data = catalog.media(SOURCE, key, quality.label)
        return media_response(
            request, data, CONTENT_TYPES[quality.ext], f"{SOURCE}/{parts[2]}/{quality.label}"
        )

    async def cover(request: Request) -> Response:
        key = ids.track_key(SOURCE, request.path_params["name"].partition(".")[0])
        if key is None or not catalog.listed(SOURCE, key):
            return _not_found()
        return cover_response(request, catalog.track(key).album)

    async def lyric(request: Request) -> Response:
        stem, _, ext = request.path_params["name"].rpartition(".")
        key = ids.track_key(SOURCE, stem)
        if ext != "lrc" or key is None or not catalog.listed(SOURCE, key) or not _has_lyrics(catalog, key):
            return _not_found()
        return Response(catalog.lyrics(key // VARIANTS), media_type="text/plain;charset=utf-8")

    return [
        Route("/v1/search", search),
        Route("/v1/song/tracklink", tracklink),
        Route("/lrc/{name}", lyric),
        Route("/0410/M00/{a}/{b}/{name}", cover),
        Route("/{head}/cn/{day}/M00/{a}/{b}/{name}", media),
    ]

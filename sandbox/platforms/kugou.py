"""Sandbox imitation of Kugou (酷狗): song_search_v2, getSongInfo playInfo, lyrics search/download, media.

- ``songsearch.kugou.com/song_search_v2``: ``{status: 1, error_code: 0, data: {page, tab,
  lists[], total}}``; ``SongName``/``SingerName``/``FileName`` carry ``<em>`` around the
  keyword's words, artists are joined with ``、`` (``Singers[]`` alongside), one hash and
  size per quality (absent 320k = all-zero hash and size 0, absent FLAC = ``""``).
- Without ``area_code=1`` the search leaves out the songs licensed for the mainland only
  (about one in five, by hash), as the real search does for other areas.
- ``m.kugou.com/app/i/getSongInfo.php?cmd=playInfo&hash=``: ``url`` on
  ``webfs.tx.kugou.com`` for free files; ``url: ""`` for VIP-only tracks and for every
  FLAC hash (FLAC needs a member cookie), like the anonymous API. A member's login cookie
  (``KuGoo`` holding ``KugooID=<digits>``) unlocks both. ``webfs.tx`` refuses about one
  file in five (404, a cold node); the ``backup_url`` on ``webfs.cloud`` serves it.
- ``lyrics.kugou.com/search`` → ``candidates[]``; ``/download?fmt=lrc`` → base64 LRC
  (``fmt=krc`` gives an opaque ``krc1`` blob, the encrypted karaoke format).
- ``imge.kugou.com/stdmusic/{size}/...``: covers (URLs carry a ``{size}`` placeholder).
"""

from __future__ import annotations

import base64
import hashlib
import re
from http.cookies import CookieError, SimpleCookie

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import ids
from sandbox.app import SandboxState, cover_response, json_response, media_response
from sandbox.catalog import INSTRUMENTAL, VARIANTS, Catalog, Track

HOSTS: tuple[str, ...] = ("songsearch.kugou.com", "m.kugou.com", "lyrics.kugou.com", "*.kugou.com")
SOURCE = "kugou"
MEDIA_HOSTS = ("webfs.tx.kugou.com", "webfs.cloud.kugou.com")
IMAGE_BASE = "http://imge.kugou.com/stdmusic/{size}/20240101"
ZERO_HASH = "0" * 32
VIP_ONLY_LABELS = frozenset({"flac"})
CONTENT_TYPES = {"mp3": "audio/mpeg", "flac": "audio/flac"}
# (quality label, hash field prefix in search results)
FIELDS = (("128k", ""), ("320k", "HQ"), ("flac", "SQ"))


def _host(request: Request) -> str:
    return request.headers.get("host", "").rsplit(":", 1)[0].lower()


def _number(text: str, prefix: str) -> int:
    digest = hashlib.md5(f"kugou|{prefix}|{text}".encode("utf-8", "surrogatepass")).hexdigest()
    return int(digest[:10], 16) % 10**7 + 10**5


def _not_found() -> Response:
    return Response("Not Found", status_code=404, media_type="text/plain")


def highlight(text: str, keyword: str) -> str:
    """Wrap every occurrence of the keyword's words in ``<em>`` like the search does."""
    words = sorted({w for w in keyword.split() if w}, key=len, reverse=True)
    if not words:
        return text
    pattern = re.compile("|".join(re.escape(w) for w in words), re.I)
    return pattern.sub(lambda m: f"<em>{m.group(0)}</em>", text)


def _has_lyrics(catalog: Catalog, key: int) -> bool:
    return key % VARIANTS != INSTRUMENTAL and bool(catalog.lyrics(key // VARIANTS))


def search_item(catalog: Catalog, track: Track, keyword: str) -> dict:
    key = track.key
    singer_ids = [_number(name, "singer") for name in track.artists]
    singer_name = "、".join(track.artists)
    item: dict = {
        "SongName": highlight(track.title, keyword),
        "SingerName": highlight(singer_name, keyword),
        "SingerId": singer_ids if len(singer_ids) > 1 else singer_ids[0],
        "Singers": [{"id": i, "name": n} for i, n in zip(singer_ids, track.artists, strict=True)],
        "FileName": highlight(f"{singer_name} - {track.title}", keyword),
        "AlbumName": track.album,
        "AlbumID": str(_number(track.album, "album")),
        "Audioid": 50_000_000 + key,
        "MixSongID": str(300_000_000 + key),
        "ID": str(300_000_000 + key),
        "Duration": track.duration_s,
        "Image": f"{IMAGE_BASE}/{ids.kugou_hash(key, '128k').lower()}.jpg",
        "ResFileHash": "",
        "ResFileSize": 0,
        "Grp": [],
    }
    playable = catalog.playable(SOURCE, key)
    for label, prefix in FIELDS:
        quality = catalog.quality(SOURCE, key, label)
        if quality is None:
            file_hash = ZERO_HASH if label == "320k" else ""
            item.update({f"{prefix}FileHash": file_hash, f"{prefix}FileSize": 0, f"{prefix}Bitrate": 0})
            item[f"{prefix}ExtName"] = ""
        else:
            item.update(
                {
                    f"{prefix}FileHash": ids.kugou_hash(key, label),
                    f"{prefix}FileSize": quality.size,
                    f"{prefix}ExtName": quality.ext,
                    f"{prefix}Bitrate": quality.bitrate_kbps,
                }
            )
        free = playable and label not in VIP_ONLY_LABELS
        item[f"{prefix}Privilege"] = 8 if free else 10
        if prefix:
            item[f"{prefix}Duration"] = track.duration_s if quality else 0
    item["PayType"] = 0 if playable else 3
    item["Price"] = 0 if playable else 200
    return item


def _media_path(file_hash: str, ext: str, member: bool = False) -> str:
    kind = "kugou-media-member" if member else "kugou-media"
    token = hashlib.md5(f"{kind}|{file_hash}".encode()).hexdigest()
    return f"/202401011200/{token}/KGTX/CLTX001/{file_hash.lower()}.{ext}"


def mainland_only(key: int) -> bool:
    """Songs the search shows only with ``area_code=1``."""
    return hashlib.md5(f"kugou-area|{key}".encode()).hexdigest()[-1] in "012"


def cold_on_primary(file_hash: str) -> bool:
    """Files the primary CDN node refuses (404); the backup node serves them."""
    return hashlib.md5(f"kugou-cold|{file_hash.upper()}".encode()).hexdigest()[-1] in "012"


def member(request: Request) -> bool:
    """Whether the request carries a (sandbox) member's ``KuGoo`` login cookie."""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(request.headers.get("cookie", ""))
    except CookieError:
        return False
    login = jar["KuGoo"].value if "KuGoo" in jar else ""
    return re.search(r"(?:^|&)KugooID=\d+(?:&|$)", login) is not None


def _accesskey(key: int) -> str:
    return hashlib.md5(f"kugou-lyric|{key}".encode()).hexdigest().upper()


def routes(state: SandboxState) -> list[Route]:
    catalog = state.catalog

    async def search(request: Request) -> Response:
        if _host(request) != "songsearch.kugou.com":
            return _not_found()
        params = request.query_params
        keyword = params.get("keyword", "").strip()
        try:
            page = max(1, int(params.get("page", "1")))
            size = min(100, max(1, int(params.get("pagesize", "30"))))
        except ValueError:
            return json_response({"status": 0, "error_code": 1002, "error_msg": "参数错误", "data": {}})
        if not keyword:
            return json_response({"status": 0, "error_code": 1002, "error_msg": "参数错误", "data": {}})
        tracks, total = catalog.search(SOURCE, keyword, (page - 1) * size, size)
        if params.get("area_code") != "1":
            tracks = [t for t in tracks if not mainland_only(t.key)]
        lists = [search_item(catalog, t, keyword) for t in tracks]
        return json_response(
            {
                "status": 1,
                "error_code": 0,
                "error_msg": "",
                "data": {"page": page, "pagesize": size, "tab": "全部", "total": total, "lists": lists},
            }
        )

    async def play_info(request: Request) -> Response:
        if _host(request) != "m.kugou.com":
            return _not_found()
        file_hash = request.query_params.get("hash", "").upper()
        key = ids.track_key(SOURCE, file_hash)
        listed = key is not None and catalog.listed(SOURCE, key)
        label = ids.kugou_quality(key, file_hash) if listed else None
        quality = catalog.quality(SOURCE, key, label) if label else None
        if request.query_params.get("cmd") != "playInfo" or quality is None:
            return json_response({"status": 0, "errcode": 30020, "error": "歌曲不存在", "url": ""})
        track = catalog.track(key)
        anonymous = catalog.playable(SOURCE, key) and label not in VIP_ONLY_LABELS
        unlocked = member(request) and not catalog.unavailable_everywhere(key // VARIANTS)
        free = anonymous or unlocked
        path = _media_path(file_hash, quality.ext, member=not anonymous)
        singer_name = "、".join(track.artists)
        image = f"{IMAGE_BASE}/{ids.kugou_hash(key, '128k').lower()}.jpg"
        return json_response(
            {
                "status": 1,
                "errcode": 0,
                "error": "" if free else "需要付费",
                "hash": file_hash,
                "url": f"http://{MEDIA_HOSTS[0]}{path}" if free else "",
                "backup_url": [f"http://{MEDIA_HOSTS[1]}{path}"] if free else [],
                "fileSize": quality.size,
                "fileName": f"{singer_name} - {track.title}",
                "timeLength": track.duration_s,
                "extName": quality.ext,
                "bitRate": quality.bitrate_kbps,
                "songName": track.title,
                "singerName": singer_name,
                "singerId": _number(track.artists[0], "singer"),
                "album_img": image,
                "imgUrl": image,
                "privilege": 8 if free else 10,
            }
        )

    async def media(request: Request) -> Response:
        if _host(request) not in MEDIA_HOSTS:
            return _not_found()
        stem, _, ext = request.path_params["name"].rpartition(".")
        file_hash = stem.upper()
        key = ids.track_key(SOURCE, file_hash)
        label = ids.kugou_quality(key, file_hash) if key is not None and catalog.listed(SOURCE, key) else None
        quality = catalog.quality(SOURCE, key, label) if label else None
        anonymous = quality is not None and label not in VIP_ONLY_LABELS and catalog.playable(SOURCE, key)
        if (
            quality is None
            or quality.ext != ext
            or request.url.path != _media_path(file_hash, ext, not anonymous)
        ):
            return Response("Forbidden", status_code=403, media_type="text/plain")
        if _host(request) == MEDIA_HOSTS[0] and cold_on_primary(file_hash):
            return _not_found()
        data = catalog.media(SOURCE, key, quality.label)
        return media_response(request, data, CONTENT_TYPES[ext], f"{SOURCE}/{file_hash}/{label}")

    async def image(request: Request) -> Response:
        key = ids.track_key(SOURCE, request.path_params["name"].partition(".")[0])
        if key is None or not catalog.listed(SOURCE, key):
            return _not_found()
        return cover_response(request, catalog.track(key).album)

    async def lyrics_search(request: Request) -> Response:
        if _host(request) != "lyrics.kugou.com":
            return _not_found()
        params = request.query_params
        key = ids.track_key(SOURCE, params.get("hash", ""))
        candidates = []
        if key is not None and catalog.listed(SOURCE, key) and _has_lyrics(catalog, key):
            track = catalog.track(key)
            candidates.append(
                {
                    "id": str(40_000_000 + key),
                    "accesskey": _accesskey(key),
                    "krctype": 1,
                    "contenttype": 0,
                    "song": track.title,
                    "singer": "、".join(track.artists),
                    "duration": track.duration_s * 1000,
                    "score": 60,
                }
            )
        return json_response(
            {
                "status": 200,
                "info": "OK",
                "errcode": 200,
                "errmsg": "OK",
                "keyword": params.get("keyword", ""),
                "proposal": candidates[0]["id"] if candidates else "",
                "candidates": candidates,
            }
        )

    async def lyrics_download(request: Request) -> Response:
        if _host(request) != "lyrics.kugou.com":
            return _not_found()
        params = request.query_params
        lyric_id = params.get("id", "")
        key = int(lyric_id) - 40_000_000 if lyric_id.isdigit() else -1
        if (
            not catalog.listed(SOURCE, key)
            or params.get("accesskey", "").upper() != _accesskey(key)
            or not _has_lyrics(catalog, key)
        ):
            return json_response({"status": 404, "info": "lyric not found", "error_code": 404})
        fmt = params.get("fmt", "krc")
        if fmt == "lrc":
            content = catalog.lyrics(key // VARIANTS).encode("utf-8")
        else:
            content = b"krc1" + hashlib.shake_256(f"krc|{key}".encode()).digest(240)
        return json_response(
            {
                "status": 200,
                "info": "OK",
                "error_code": 0,
                "fmt": "lrc" if fmt == "lrc" else "krc",
                "charset": "utf8",
                "content": base64.b64encode(content).decode("ascii"),
            }
        )

    return [
        Route("/song_search_v2", search),
        Route("/app/i/getSongInfo.php", play_info),
        Route("/search", lyrics_search),
        Route("/download", lyrics_download),
        Route("/stdmusic/{size}/{day}/{name}", image),
        Route("/{stamp}/{token}/KGTX/CLTX001/{name}", media),
    ]

"""Sandbox imitation of QQ Music (QQ音乐): legacy CGIs, the musicu gateway, vkey CDN, covers.

- ``c.y.qq.com`` (also ``c6``/``i``): playlist square ``fcg_get_diss_by_tag`` (``sin``/``ein``
  inclusive, ``ein`` clamped to ``sin + 29``), playlist detail ``fcg_ucc_getcdinfo_byids_cp`` (old song
  shape, ``song_begin``/``song_num``; square playlists with index % 3 ≠ 0 answer ``subcode 4000``
  without ``cdlist``, like many public playlists since 2026-03 — the gateway routes serve them),
  lyrics ``fcg_query_lyric_new`` (base64; ``-1901`` for songs without lyrics, the one-line
  placeholder for instrumentals). All three refuse a request without a ``*.qq.com`` Referer with
  ``code -1310`` and no data, and answer JSONP (``MusicJsonCallback(...)`` or
  ``jsonpCallback``/``callback``) unless ``format=json``.
- ``c.y.qq.com/base/fcgi-bin/u?__=<code>``: short links, 302 to the playlist page. Codes are
  ``Pl<index:04d>`` for square playlists and ``Tp<index:04d>`` for toplists; unknown codes go to
  ``https://y.qq.com/``.
- ``u.y.qq.com/cgi-bin/musicu.fcg``: see ``sandbox.platforms.qq_gateway`` (toplists, search,
  vkey, the playlist routes, "who am I", and the test account). ``musics.fcg?sign=`` is the
  same gateway for POSTs whose ``sign`` matches the body (else ``{"code": 2000}``).
- ``ws.stream`` / ``isure.stream.qqmusic.qq.com/<filename>?vkey=&guid=``: media (403 on a bad vkey).
- covers on ``y.gtimg.cn``, ``qpic.y.qq.com`` and ``y.qq.com``; ``y.qq.com/n/...`` answers a small page.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Host, Route, Router

from catalogsync.platforms.qq_sign import sign
from sandbox import ids
from sandbox.app import SandboxState, cover_response, json_response, media_response
from sandbox.catalog import INSTRUMENTAL, VARIANTS, Catalog
from sandbox.platforms import qq_shapes as shapes
from sandbox.platforms.qq_gateway import BAD_REQUEST, CGI, gateway, is_vip, serving_route, square_playlist

CGI_HOSTS = ("c.y.qq.com", "c6.y.qq.com", "i.y.qq.com")
STREAM_HOSTS = ("ws.stream.qqmusic.qq.com", "isure.stream.qqmusic.qq.com")
HOSTS: tuple[str, ...] = (
    *CGI_HOSTS,
    "u.y.qq.com",
    "y.qq.com",
    "qpic.y.qq.com",
    *STREAM_HOSTS,
    "y.gtimg.cn",
)
REFUSED = {"retcode": -1310, "code": -1310, "subcode": -1310, "message": "referer not allowed"}
BAD_SIGN = {"code": 2000, "msg": "sign check failed"}
NO_LYRICS = {"retcode": -1901, "code": -1901, "subcode": -1901}
HOMEPAGE_PRIVATE = {"code": 0, "subcode": 4000, "msg": "", "cdnum": 0, "realcdnum": 0}
PLACEHOLDER_LYRIC = "[00:00:00]此歌曲为没有填词的纯音乐，请您欣赏"
SQUARE_MAX_PAGE = 30
CONTENT_TYPES = {"mp3": "audio/mpeg", "flac": "audio/flac"}


def _int(value: Any, default: int) -> int:
    return default if value in (None, "") else int(value)


def _referer_ok(request: Request) -> bool:
    host = urlsplit(request.headers.get("referer", "")).hostname or ""
    return host == "qq.com" or host.endswith(".qq.com")


def cgi_response(request: Request, payload: dict[str, Any]) -> Response:
    """JSON with ``format=json``, JSONP otherwise (like the legacy CGIs)."""
    if request.query_params.get("format") == "json":
        return json_response(payload)
    name = request.query_params.get("jsonpCallback") or request.query_params.get("callback") or ""
    name = re.sub(r"[^\w.$]", "", name) or "MusicJsonCallback"
    body = f"{name}({json.dumps(payload, ensure_ascii=False)})"
    return Response(body, media_type="application/javascript;charset=utf-8")


# ---- legacy CGIs ------------------------------------------------------------------------------
def square(catalog: Catalog, query: Any, _: bool) -> dict[str, Any]:
    sin = max(0, _int(query.get("sin"), 0))
    ein = min(_int(query.get("ein"), sin + SQUARE_MAX_PAGE - 1), sin + SQUARE_MAX_PAGE - 1)
    lists = catalog.playlists("qq", "playlist_square")
    chosen = lists[sin : ein + 1] if ein >= sin else []
    data = {
        "uin": 0,
        "categoryId": _int(query.get("categoryId"), 10000000),
        "sortId": _int(query.get("sortId"), 5),
        "sum": len(lists),
        "sin": sin,
        "ein": ein,
        "list": [shapes.square_item(p) for p in chosen],
    }
    return {"code": 0, "subcode": 0, "message": "", "default": 0, "data": data}


def playlist_detail(catalog: Catalog, query: Any, vip: bool) -> dict[str, Any]:
    remote_id = query.get("disstid", "").strip()
    playlist = square_playlist(catalog, remote_id, vip)
    if playlist is None and square_playlist(catalog, remote_id, True) is not None:
        return HOMEPAGE_PRIVATE  # the private playlist, asked without its owner's login
    if playlist is None:
        return {"code": 0, "subcode": 0, "cdnum": 0, "cdlist": [], "realcdnum": 0}
    if serving_route(catalog, playlist) != CGI:
        return HOMEPAGE_PRIVATE
    keys = playlist.track_keys
    begin = max(0, _int(query.get("song_begin"), 0))
    count = max(0, _int(query.get("song_num"), len(keys)))
    page = keys[begin : begin + count]
    cd = {
        "disstid": playlist.remote_id,
        "dissid": int(playlist.remote_id),
        "dirid": 5,
        "dissname": playlist.name,
        "logo": shapes.playlist_cover(playlist),
        "desc": shapes.entities(playlist.description),
        "ctime": 1730505600,
        "mtime": 1736900000,
        "nick": playlist.creator,
        "nickname": playlist.creator,
        "isvip": 1,
        "tags": [{"id": 6, "name": "华语", "pid": 1}],
        "songnum": len(keys),
        "songids": ",".join(str(ids.qq_song_id(k)) for k in keys),
        "songtypes": ",".join("13" for _ in keys),
        "total_song_num": len(keys),
        "song_begin": begin,
        "cur_song_num": len(page),
        "songlist": [shapes.old_song(catalog, k) for k in page],
        "visitnum": playlist.play_count,
        "cmtnum": 0,
    }
    return {"code": 0, "subcode": 0, "login": "", "cdnum": 1, "cdlist": [cd], "realcdnum": 1}


def lyric(catalog: Catalog, query: Any, _: bool) -> dict[str, Any]:
    key = ids.track_key("qq", query.get("songmid") or query.get("musicid") or "")
    if key is None or key // VARIANTS >= catalog.work_count:
        return NO_LYRICS
    text = PLACEHOLDER_LYRIC if key % VARIANTS == INSTRUMENTAL else catalog.lyrics(key // VARIANTS)
    if not text:
        return NO_LYRICS
    encoded = base64.b64encode(text.encode()).decode()
    return {"retcode": 0, "code": 0, "subcode": 0, "lyric": encoded, "trans": ""}


def short_target(catalog: Catalog, code: str) -> str:
    match = re.fullmatch(r"(Pl|Tp)(\d{4})", code)
    if match:
        kind = "playlist_square" if match.group(1) == "Pl" else "toplist"
        lists = catalog.playlists("qq", kind)
        index = int(match.group(2))
        if index < len(lists):
            path = "playlist" if kind == "playlist_square" else "toplist"
            return f"https://y.qq.com/n/ryqq/{path}/{lists[index].remote_id}"
    return "https://y.qq.com/"


# ---- routes -----------------------------------------------------------------------------------
def routes(state: SandboxState) -> list[BaseRoute]:
    catalog = state.catalog

    def legacy(
        build: Callable[[Catalog, Any, bool], dict[str, Any]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if not _referer_ok(request):
                return cgi_response(request, REFUSED)
            try:
                return cgi_response(request, build(catalog, request.query_params, is_vip(request)))
            except ValueError:
                return cgi_response(request, {"code": BAD_REQUEST, "subcode": BAD_REQUEST})

        return endpoint

    async def short_link(request: Request) -> Response:
        return RedirectResponse(short_target(catalog, request.query_params.get("__", "")), status_code=302)

    async def musicu(request: Request) -> Response:
        raw = await request.body() if request.method == "POST" else request.query_params.get("data", "")
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        return json_response(gateway(catalog, body, request))

    async def signed_musicu(request: Request) -> Response:
        raw = await request.body()
        if request.query_params.get("sign") != sign(raw):
            return json_response(BAD_SIGN)
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        return json_response(gateway(catalog, body, request))

    async def stream(request: Request) -> Response:
        name = request.path_params["filename"]
        parsed = shapes.parse_filename(name)
        if parsed is None:
            return Response("not found", status_code=404)
        expected = shapes.vkey(catalog.config.seed, name, request.query_params.get("guid", ""))
        if request.query_params.get("vkey") != expected:
            return Response("forbidden", status_code=403)
        key, label = parsed
        try:
            data = catalog.media("qq", key, label)
        except KeyError:
            return Response("not found", status_code=404)
        content_type = CONTENT_TYPES[shapes.FILE_KINDS[label][1]]
        return media_response(request, data, content_type, f"qq/{ids.qq_song_mid(key)}/{label}")

    async def album_cover(request: Request) -> Response:
        match = re.fullmatch(r"T002R\d+x\d+M000(\w{14})\.jpg", request.path_params["name"])
        w = shapes.work_of_album(match.group(1)) if match else None
        if w is None or w >= catalog.work_count:
            return Response("not found", status_code=404)
        return cover_response(request, catalog.work(w).album)

    async def named_cover(request: Request) -> Response:
        return cover_response(request, request.url.path)

    async def page(request: Request) -> Response:
        return HTMLResponse("<!doctype html><html><head><title>QQ音乐</title></head><body></body></html>")

    cgi = Router(
        routes=[
            Route("/splcloud/fcgi-bin/fcg_get_diss_by_tag.fcg", legacy(square)),
            Route("/qzone/fcg-bin/fcg_ucc_getcdinfo_byids_cp.fcg", legacy(playlist_detail)),
            Route("/qzone-music/fcg-bin/fcg_ucc_getcdinfo_byids_cp.fcg", legacy(playlist_detail)),
            Route("/lyric/fcgi-bin/fcg_query_lyric_new.fcg", legacy(lyric)),
            Route("/base/fcgi-bin/u", short_link),
        ]
    )
    media = Router(routes=[Route("/{filename}", stream, methods=["GET", "HEAD"])])
    return [
        *(Host(host, cgi) for host in CGI_HOSTS),
        Host(
            "u.y.qq.com",
            Router(
                routes=[
                    Route("/cgi-bin/musicu.fcg", musicu, methods=["GET", "POST"]),
                    Route("/cgi-bin/musics.fcg", signed_musicu, methods=["POST"]),
                ]
            ),
        ),
        *(Host(host, media) for host in STREAM_HOSTS),
        Host("y.gtimg.cn", Router(routes=[Route("/music/photo_new/{name}", album_cover)])),
        Host("qpic.y.qq.com", Router(routes=[Route("/music_cover/{path:path}", named_cover)])),
        Host(
            "y.qq.com",
            Router(
                routes=[
                    Route("/music/common/upload/t_musicu_toplist/{name}", named_cover),
                    Route("/", page),
                    Route("/n/{path:path}", page),
                ]
            ),
        ),
    ]

"""Sandbox imitation of NetEase Cloud Music (music.163.com, interface(3).music.163.com, *.music.126.net).

Plain ``/api`` front door (form fields in the body or the query): playlist square,
toplists, playlist detail (``tracks`` cut to the first 8 like an anonymous client
gets, ``trackIds`` complete), song detail (at most 1000 ids), cloudsearch (no
``songs`` key when nothing matches; hides some songs), lyrics (``nolyric``/``uncollected``)
and ``nuser/account/get``. The eapi endpoints (song URL, ``search/song/list/page``) decrypt
``params`` with the public eapi key and check the signed path and digest. The test
account and what it unlocks: ``sandbox.platforms.netease_vip``. Choices where the real behaviour is unknown:
a request to music.163.com without a music.163.com ``Referer`` gets
``{"code": 301, "msg": ...}`` (NetEase's "login required" code), undecryptable eapi
params or bad numbers get ``{"code": 400, ...}``, an unknown playlist ``{"code": 404}``.
weapi is not imitated (it needs NetEase's private RSA key). Media URLs are signed
(a wrong signature gets HTTP 403) but do not expire.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from catalogsync.platforms.netease_crypto import EapiError, eapi_decrypt, eapi_path
from sandbox.app import SandboxState, cover_response, json_response, media_response
from sandbox.catalog import VARIANTS
from sandbox.platforms import netease_shapes as shapes
from sandbox.platforms import netease_vip as vip

HOSTS: tuple[str, ...] = (
    "music.163.com",
    "interface.music.163.com",
    "interface3.music.163.com",
    "*.music.126.net",
)
DETAIL_TRACKS = 8  # playlist detail expands only this many songs for anonymous clients
SONG_DETAIL_MAX = 1000
SEARCH_MAX = 100
CONTENT_TYPES = {"mp3": "audio/mpeg", "flac": "audio/flac"}

Params = dict[str, str]
Handler = Callable[[Request, Params], Awaitable[Response]]


class BadRequest(ValueError):
    """A parameter NetEase would refuse."""


def _int(params: Params, name: str, default: int) -> int:
    value = params.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise BadRequest(f"{name} must be an integer") from exc


def _id_list(text: str) -> list[str]:
    """``ids``/``c`` values: JSON text of ``[1, 2]``, ``["1"]`` or ``[{"id": 1}]``."""
    try:
        value = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError as exc:
        raise BadRequest("ids must be a JSON list") from exc
    if not isinstance(value, list):
        raise BadRequest("ids must be a JSON list")
    return [str(v.get("id") if isinstance(v, dict) else v) for v in value]


def _error(code: int, message: str) -> Response:
    return json_response({"code": code, "msg": message, "message": message})


def _refuses_referer(request: Request) -> bool:
    if request.url.hostname != "music.163.com":
        return False
    referer_host = urlsplit(request.headers.get("referer", "")).hostname or ""
    return not (referer_host == "music.163.com" or referer_host.endswith(".music.163.com"))


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Read form and query parameters, enforce the Referer, turn BadRequest into code 400."""

    async def run(request: Request) -> Response:
        if _refuses_referer(request):
            return _error(301, "需要登录: music.163.com refuses requests without its Referer")
        params: Params = dict(request.query_params)
        if request.method == "POST":
            params.update(
                parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
            )
        try:
            return await handler(request, params)
        except BadRequest as exc:
            return _error(400, f"参数错误: {exc}")

    return run


def routes(state: SandboxState) -> list[Route]:
    catalog = state.catalog

    async def square(_: Request, params: Params) -> Response:
        category = params.get("cat") or "全部"
        limit, offset = _int(params, "limit", 50), _int(params, "offset", 0)
        if limit <= 0 or offset < 0:
            raise BadRequest("limit and offset must be positive")
        items = [shapes.square_item(p) for p in catalog.playlists(shapes.SOURCE, "playlist_square")]
        if category != "全部":
            items = [item for item in items if category in item["tags"]]
        page = items[offset : offset + limit]
        more = offset + limit < len(items)
        return json_response(
            {"playlists": page, "total": len(items), "code": 200, "more": more, "cat": category}
        )

    async def toplists(_: Request, __: Params) -> Response:
        charts = [shapes.toplist_item(p) for p in catalog.playlists(shapes.SOURCE, "toplist")]
        artist_chart = {
            "coverUrl": shapes.pic_url(shapes.PLAYLIST_PIC_BASE - 1),
            "name": "云音乐歌手榜",
            "upateFrequency": "每天更新",
            "position": 5,
            "updateFrequency": "每天更新",
        }
        return json_response({"code": 200, "list": charts, "artistToplist": artist_chart})

    async def playlist_detail(request: Request, params: Params) -> Response:
        found, private = vip.find_playlist(catalog, params.get("id", ""), vip.is_vip(request))
        if private:
            return _error(401, "无权限访问")
        if found is None:
            return _error(404, "歌单不存在")
        expand = min(max(_int(params, "n", 1000), 0), DETAIL_TRACKS)
        item = shapes.playlist(found)
        item["tracks"] = [shapes.song(catalog, key) for key in found.track_keys[:expand]]
        item["trackIds"] = [
            shapes.track_id_entry(key, position, item["userId"])
            for position, key in enumerate(found.track_keys)
        ]
        privileges = [shapes.privilege(catalog, key) for key in found.track_keys]
        return json_response(
            {"code": 200, "relatedVideos": None, "playlist": item, "urls": None, "privileges": privileges}
        )

    async def song_detail(_: Request, params: Params) -> Response:
        wanted = _id_list(params.get("c") or params.get("ids") or "[]")
        if len(wanted) > SONG_DETAIL_MAX:
            raise BadRequest(f"at most {SONG_DETAIL_MAX} songs per request")
        keys = [key for key in (shapes.known_key(catalog, song_id) for song_id in wanted) if key is not None]
        return json_response(
            {
                "songs": [shapes.song(catalog, key) for key in keys],
                "privileges": [shapes.privilege(catalog, key) for key in keys],
                "code": 200,
            }
        )

    async def search(_: Request, params: Params) -> Response:
        limit, offset = min(_int(params, "limit", 30), SEARCH_MAX), _int(params, "offset", 0)
        if params.get("type", "1") != "1" or limit <= 0 or offset < 0:
            return json_response({"result": {"songCount": 0}, "code": 200})
        every, _ = catalog.search(shapes.SOURCE, params.get("s", ""), 0, offset + limit + SEARCH_MAX)
        visible = [t for t in every if not vip.hidden_from_cloudsearch(t.key)]
        tracks, total = visible[offset : offset + limit], len(visible)
        result: dict[str, Any] = {"searchQcReminder": None, "songCount": total}
        if tracks:
            result["songs"] = [
                {**shapes.song(catalog, t.key), "privilege": shapes.privilege(catalog, t.key)} for t in tracks
            ]
        return json_response({"result": result, "code": 200})

    async def lyric(_: Request, params: Params) -> Response:
        body: dict[str, Any] = {"sgc": False, "sfy": False, "qfy": False}
        key = shapes.known_key(catalog, params.get("id", ""))
        text = catalog.lyrics(key // VARIANTS) if key is not None else ""
        if key is None:
            body["uncollected"] = True
        elif key % VARIANTS == 1 or not text:  # the instrumental variant has no words
            body["nolyric"] = True
        else:
            body["lrc"] = {"version": 3, "lyric": text}
            for name in ("klyric", "tlyric", "romalrc"):
                body[name] = {"version": 0, "lyric": ""}
        return json_response({**body, "code": 200})

    def signed_params(request: Request, params: Params) -> dict[str, Any]:
        try:
            signed = eapi_decrypt(params.get("params", ""))
        except EapiError as exc:
            raise BadRequest(str(exc)) from exc
        if signed.path != eapi_path(request.url.path):
            raise BadRequest(f"eapi params were signed for {signed.path}")
        return signed.params

    async def song_url(request: Request, params: Params) -> Response:
        signed = signed_params(request, params)
        song_ids = _id_list(signed.get("ids", "[]"))
        level = str(signed.get("level", "standard"))
        is_vip = vip.is_vip(request, signed)
        data = [
            shapes.song_url(catalog, int(i), level, is_vip) if i.isdigit() else shapes.url_entry(i)
            for i in song_ids
        ]
        return json_response({"data": data, "code": 200})

    async def song_list_page(request: Request, params: Params) -> Response:
        signed = signed_params(request, params)
        try:
            limit = min(int(signed.get("limit", 30)), SEARCH_MAX)
            offset = int(signed.get("offset", 0))
        except (TypeError, ValueError) as exc:
            raise BadRequest("limit and offset must be integers") from exc
        if limit <= 0 or offset < 0:
            raise BadRequest("limit and offset must be positive")
        tracks, total = catalog.search(shapes.SOURCE, str(signed.get("keyword", "")), offset, limit)
        return json_response(vip.song_list_page(catalog, tracks, total))

    async def account(request: Request, _: Params) -> Response:
        anonymous = vip.anonymous_token_ok(catalog.config.seed, request.cookies.get("MUSIC_A", ""))
        return json_response(vip.account_answer(vip.is_vip(request), anonymous))

    async def register_anonymous(_: Request, params: Params) -> Response:
        if not params.get("params") or not params.get("encSecKey"):
            raise BadRequest("a weapi request has params and encSecKey")
        token = vip.new_anonymous_token(catalog.config.seed)
        response = json_response({"code": 200, "userId": 8000001, "createTime": shapes.BASE_TIME_MS})
        response.set_cookie("MUSIC_A", token, max_age=2_592_000, path="/", domain=".music.163.com")
        return response

    async def media(request: Request) -> Response:
        if not (request.url.hostname or "").endswith(".music.126.net"):
            return Response(status_code=404)
        p = request.path_params
        song_id, label = p["song_id"], p["label"]
        key = shapes.known_key(catalog, song_id) if song_id.isdigit() else None
        if key is None or shapes.media_sign(p["stamp"], int(song_id), label) != p["sign"]:
            return Response("403 Forbidden", status_code=403)
        try:
            data = (
                catalog.trial(shapes.SOURCE, key)
                if label == "trial"
                else catalog.media(shapes.SOURCE, key, label)
            )
        except KeyError:
            return Response(status_code=404)
        ext = "mp3" if label == "trial" else p["name"].rsplit(".", 1)[-1]
        return media_response(
            request, data, CONTENT_TYPES.get(ext, "audio/mpeg"), f"netease:{song_id}:{label}"
        )

    async def cover(request: Request) -> Response:
        name = request.path_params["name"]
        pic = name.removesuffix(".jpg")
        title = shapes.cover_title(catalog, int(pic)) if pic.isdigit() else None
        if not (request.url.hostname or "").endswith(".music.126.net") or title is None:
            return Response(status_code=404)
        return cover_response(request, title)

    web = ["GET", "POST"]
    return [
        Route("/api/playlist/list", endpoint(square), methods=web),
        Route("/api/toplist", endpoint(toplists), methods=web),
        Route("/api/v6/playlist/detail", endpoint(playlist_detail), methods=web),
        Route("/api/v3/song/detail", endpoint(song_detail), methods=web),
        Route("/api/cloudsearch/pc", endpoint(search), methods=web),
        Route("/api/song/lyric", endpoint(lyric), methods=web),
        Route("/api/nuser/account/get", endpoint(account), methods=web),
        Route("/weapi/register/anonimous", endpoint(register_anonymous), methods=["POST"]),
        Route("/eapi/song/enhance/player/url/v1", endpoint(song_url), methods=["POST"]),
        Route("/eapi/search/song/list/page", endpoint(song_list_page), methods=["POST"]),
        Route(
            "/{stamp}/{sign}/jdymusic/obj/{bucket}/{song_id}/{label}/{name}",
            media,
            methods=["GET", "HEAD"],
        ),
        Route("/{token}/{name}", cover, methods=["GET"]),
    ]

"""Sandbox imitation of Kuwo (酷我): web API with token + Secret, legacy search, lyrics, CDN.

Choices where the real behaviour is unknown (see /work/shared/platforms/kuwo.md):
- ``GET /`` on www.kuwo.cn sets ``Hm_Iuvt_…`` (a fresh random token, remembered)
  and an unrelated ``Hm_lvt_…`` cookie — or, with ``CATALOGSYNC_SANDBOX_KUWO_HOME_TOKEN=0``,
  only the unrelated one, as the live homepage often does now. ``/api/www/…`` and
  ``/api/v1/www/…`` answer HTTP 200 ``{"success": false, "message": "CSRF token Invalid!"}``
  unless the request carries a remembered token or a client-made one (32 letters and
  digits), a kuwo.cn Referer and a well-formed ``Secret`` (lower-case hex, two digits per
  token character plus eight for the salt; the value is not checked, the salt is random).
  ``/api/pc/…`` (the playlist square) needs no token, as listen1 reports; past its last
  page it returns the last page again; ``wapi.kuwo.cn`` serves the same square. The other
  token-free servers are in ``kuwo_servers``.
- A member's login cookie (``userid`` digits and a ``websid`` other than ``expired``) on
  ``playUrl`` unlocks the VIP-only songs at every level the catalog has.
- An unknown playlist id → ``code: 200, data: null``; an unknown bangId → an empty
  board (``num: "0"``); nplserver → ``result: "error"``.
- ``playUrl`` serves the best file not above ``br`` and reports it in ``data.bitrate``
  and ``data.format`` (kbps as in ``N_MINFO``); a track the catalog marks unplayable
  gets ``{"code": -1, "msg": …, "data": null}`` — no URL and no trial clip.
- Media URLs are signed and expire (403 otherwise):
  ``https://lw-sycdn.kuwo.cn/<sig>/<expiry hex>/resource/<n1|n2|n3>/../../<rid>.<ext>``.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from http.cookies import CookieError, SimpleCookie

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from sandbox import ids
from sandbox.app import SandboxState, cover_response, json_response, media_response
from sandbox.catalog import INSTRUMENTAL, VARIANTS
from sandbox.platforms import kuwo_servers
from sandbox.platforms import kuwo_shapes as shapes

HOSTS: tuple[str, ...] = ("www.kuwo.cn", "kuwo.cn", "m.kuwo.cn", "search.kuwo.cn", "*.kuwo.cn")
WEB_HOSTS = frozenset({"www.kuwo.cn", "kuwo.cn"})
TOKEN_COOKIE = "Hm_Iuvt_cdb524f42f23cer9b268564v7y735ewrq2324"
TOKEN_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZabcdefhijkmnprstwxyz2345678"
MAX_TOKENS = 4096
PAID_MESSAGE = "该歌曲为付费内容，请下载酷我音乐客户端后付费收听"
_SECRET = re.compile(r"^[0-9a-f]+$")
_CLIENT_TOKEN = re.compile(r"^[A-Za-z0-9]{32}$")
HOME_TOKEN = os.environ.get("CATALOGSYNC_SANDBOX_KUWO_HOME_TOKEN", "1") != "0"
_MEDIA_FILE = re.compile(r"^(?P<rid>\d+)\.(?P<ext>mp3|flac)$")
_ALBUM_COVER = re.compile(r"^albumcover/\d+/\d+/\d+/(\d+)\.jpg$")
_IMAGE_HOST = re.compile(r"^(kw)?img\d*\.kuwo\.cn$")
Endpoint = Callable[[Request], Awaitable[Response]]


def _host(request: Request) -> str:
    return request.headers.get("host", "").rsplit(":", 1)[0].lower()


def _int_param(request: Request, name: str, default: int, minimum: int) -> int:
    try:
        return max(minimum, int(request.query_params.get(name, default)))
    except ValueError:
        return default


def _cookies(request: Request) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(request.headers.get("cookie", ""))
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _cookie_token(request: Request) -> str:
    return next((v for name, v in _cookies(request).items() if name.startswith("Hm_Iuvt_")), "")


def member(request: Request) -> bool:
    """Whether the request carries a (sandbox) member's login cookie."""
    cookies = _cookies(request)
    websid = cookies.get("websid", "")
    return cookies.get("userid", "").isdigit() and websid not in {"", "expired"}


def routes(state: SandboxState) -> list[Route]:
    catalog = state.catalog
    tokens: OrderedDict[str, None] = OrderedDict()

    def token_ok(request: Request) -> bool:
        token = _cookie_token(request)
        sent = request.headers.get("secret", "")
        return (
            (token in tokens or _CLIENT_TOKEN.match(token) is not None)
            and _SECRET.match(sent) is not None
            and len(sent) == 2 * len(token) + 8
            and "kuwo.cn" in request.headers.get("referer", "")
        )

    def on(hosts: Callable[[str], bool], endpoint: Endpoint, *, web_token: bool = False) -> Endpoint:
        """Serve ``endpoint`` on matching hosts only; web API endpoints check the token."""

        async def guarded(request: Request) -> Response:
            if not hosts(_host(request)):
                return Response(status_code=404)
            if web_token and not token_ok(request):
                now = time.strftime("%Y-%m-%dT%H:%M:%S")
                return json_response({"success": False, "message": "CSRF token Invalid!", "now": now})
            return await endpoint(request)

        return guarded

    def web(host: str) -> bool:
        return host in WEB_HOSTS

    async def home(_: Request) -> Response:
        token = "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(32))
        tokens[token] = None
        while len(tokens) > MAX_TOKENS:
            tokens.popitem(last=False)
        response = HTMLResponse(
            "<!DOCTYPE html><html><head><title>酷我音乐</title></head><body></body></html>"
        )
        if HOME_TOKEN:
            response.set_cookie(TOKEN_COOKIE, token, max_age=3600, path="/", domain=".kuwo.cn")
        response.set_cookie("Hm_lvt_cdb524f42f23cer9b268564v7y735ewrq2324", str(int(time.time())), path="/")
        return response

    async def square(request: Request) -> Response:
        pn = _int_param(request, "pn", 1, 1)
        rn = _int_param(request, "rn", 25, 1)
        lists = catalog.playlists("kuwo", "playlist_square")
        items = [shapes.square_item(p) for p in shapes.page(lists, pn, rn, repeat_last=True)]
        return json_response(shapes.envelope({"total": str(len(lists)), "data": items, "rn": rn, "pn": pn}))

    async def bang_menu(_: Request) -> Response:
        return json_response(shapes.envelope(shapes.bang_menu(catalog.playlists("kuwo", "toplist"))))

    async def bang_songs(request: Request) -> Response:
        pn = _int_param(request, "pn", 1, 1)
        rn = _int_param(request, "rn", 30, 1)
        board = catalog.find_playlist("kuwo", request.query_params.get("bangId", ""))
        if board is None or board.kind != "toplist":
            return json_response(shapes.envelope({"img": "", "num": "0", "pub": "", "musicList": []}))
        songs = []
        for offset, key in enumerate(shapes.page(list(board.track_keys), pn, rn)):
            song = shapes.web_song(catalog, key)
            song.update(trend="e0", rank_change="0", rank=str((pn - 1) * rn + offset + 1))
            songs.append(song)
        data = {
            "img": shapes.toplist_pic(board),
            "num": str(len(board.track_keys)),
            "pub": "2025-01-15",
            "musicList": songs,
        }
        return json_response(shapes.envelope(data))

    async def playlist_info(request: Request) -> Response:
        pn = _int_param(request, "pn", 1, 1)
        rn = _int_param(request, "rn", 30, 1)
        found = catalog.find_playlist("kuwo", request.query_params.get("pid", ""))
        if found is None or found.kind != "playlist_square":
            return json_response(shapes.envelope(None))
        return json_response(shapes.envelope(shapes.playlist_info(catalog, found, pn, rn)))

    async def nplserver(request: Request) -> Response:
        pn = _int_param(request, "pn", 0, 0)
        rn = _int_param(request, "rn", 100, 1)
        found = catalog.find_playlist("kuwo", request.query_params.get("pid", ""))
        if (
            request.query_params.get("op") != "getlistinfo"
            or found is None
            or found.kind != "playlist_square"
        ):
            return json_response({"result": "error", "msg": "playlist not exists"})
        keys = shapes.page(list(found.track_keys), pn + 1, rn)
        return json_response(
            {
                "result": "ok",
                "id": found.remote_id,
                "title": shapes.escape(found.name),
                "pic": shapes.playlist_pic(found),
                "uname": shapes.escape(found.creator),
                "info": shapes.escape(found.description),
                "playnum": str(found.play_count),
                "total": str(len(found.track_keys)),
                "pn": str(pn),
                "rn": str(rn),
                "musiclist": [shapes.nplserver_song(catalog, key) for key in keys],
            }
        )

    async def search(request: Request) -> Response:
        pn = _int_param(request, "pn", 0, 0)
        rn = _int_param(request, "rn", 30, 1)
        tracks, total = catalog.search("kuwo", request.query_params.get("all", ""), pn * rn, rn)
        return json_response(
            {
                "ARTISTPIC": "",
                "HIT": str(total),
                "HITMODE": "song",
                "HIT_BUT_OFFLINE": "0",
                "MSHOW": "0",
                "NEW": "0",
                "PN": str(pn),
                "RN": str(rn),
                "SHOW": "1" if total else "0",
                "TOTAL": str(total),
                "UK": "0",
                "abslist": [shapes.legacy_song(catalog, t.key) for t in tracks],
                "searchgroup": "",
            }
        )

    async def play_url(request: Request) -> Response:
        key = ids.track_key("kuwo", request.query_params.get("mid", ""))
        vip_only = (
            key is not None
            and catalog.listed("kuwo", key)
            and not catalog.unavailable_everywhere(key // VARIANTS)
            and not catalog.playable("kuwo", key)
        )
        if key is None or not (catalog.playable("kuwo", key) or (vip_only and member(request))):
            return json_response(shapes.envelope(None, code=-1, msg=PAID_MESSAGE))
        limit = shapes.BR_LIMITS.get(request.query_params.get("br", "128kmp3"), "128k")
        quality = catalog.best_quality("kuwo", key, limit)
        scheme = "https" if request.query_params.get("httpsStatus") == "1" else "http"
        data = {
            "url": shapes.media_url(ids.kuwo_rid(key), quality, scheme),
            "bitrate": shapes.MINFO[quality.label][1],
            "format": quality.ext,
        }
        return json_response({**shapes.envelope(data), "success": True})

    async def lyrics(request: Request) -> Response:
        key = ids.track_key("kuwo", request.query_params.get("musicId", ""))
        try:
            track = catalog.track(key if key is not None else -1)
        except KeyError:
            return json_response({"status": 200, "msg": "成功", "data": {"lrclist": None, "songinfo": None}})
        text = "" if track.variant == INSTRUMENTAL else catalog.lyrics(track.work.index)
        songinfo = {
            "songName": shapes.escape(track.title),
            "artist": shapes.artists(track),
            "album": shapes.escape(track.album),
            "albumId": str(shapes.album_id(track)),
            "id": str(ids.kuwo_rid(track.key)),
            "duration": str(track.duration_s),
            "pic": shapes.album_pic(track),
        }
        data = {"lrclist": shapes.lrc_lines(text), "songinfo": songinfo}
        return json_response({"status": 200, "msg": "成功", "data": data})

    async def media(request: Request) -> Response:
        params = request.path_params
        match = _MEDIA_FILE.match(params["file"])
        if match is None:
            return Response(status_code=404)
        rid = int(match.group("rid"))
        label = shapes.media_label(params["sig"], params["expiry"], params["bucket"], rid)
        if label is None:
            return Response("403 Forbidden", status_code=403)
        key = ids.track_key("kuwo", rid)
        try:
            data = catalog.media("kuwo", key if key is not None else -1, label)
        except KeyError:
            return Response(status_code=404)
        content_type = "audio/flac" if match.group("ext") == "flac" else "audio/mpeg"
        return media_response(request, data, content_type, f"kuwo:{rid}:{label}")

    async def image(request: Request) -> Response:
        path = request.path_params["path"]
        match = _ALBUM_COVER.match(path)
        if match is None:
            return cover_response(request, path)
        try:
            return cover_response(request, shapes.album_of_cover(catalog, int(match.group(1))))
        except KeyError:
            return Response(status_code=404)

    return [
        *kuwo_servers.routes(state, on),
        Route("/", on(lambda host: host == "www.kuwo.cn", home)),
        Route(
            "/api/pc/classify/playlist/getRcmPlayList", on(lambda h: web(h) or h == "wapi.kuwo.cn", square)
        ),
        Route("/api/www/bang/bang/bangMenu", on(web, bang_menu, web_token=True)),
        Route("/api/www/bang/bang/musicList", on(web, bang_songs, web_token=True)),
        Route("/api/www/playlist/playListInfo", on(web, playlist_info, web_token=True)),
        Route("/api/v1/www/music/playUrl", on(web, play_url, web_token=True)),
        Route("/search/searchMusicBykeyWord", on(web, search)),
        Route("/r.s", on(lambda host: host == "search.kuwo.cn", search)),
        Route("/pl.svc", on(lambda host: host == "nplserver.kuwo.cn", nplserver)),
        Route("/newh5/singles/songinfoandlrc", on(lambda host: host == "m.kuwo.cn", lyrics)),
        Route("/star/{path:path}", on(lambda host: _IMAGE_HOST.match(host) is not None, image)),
        Route(
            "/{sig}/{expiry}/resource/{bucket}/{d1}/{d2}/{file}",
            on(lambda host: host.endswith("sycdn.kuwo.cn"), media),
            methods=["GET", "HEAD"],
        ),
    ]

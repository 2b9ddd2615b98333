"""Sandbox QQ Music: the musicu gateway (``u.y.qq.com/cgi-bin/musicu.fcg``) and who may do what.

Requests (POST body, or GET ``data=``): toplist ``GetAll``/``GetDetail``, search
``DoSearchForQQMusicMobile`` (answers nothing unless ``comm`` is the app style ``ct 11``),
``CgiGetVkey`` (POST only: the GET form answers an empty ``purl``), the playlist routes
``aiDissInfo.uniform_get_Dissinfo`` and ``DissInfo.CgiGetDiss`` (pages of at most
``CatalogConfig.qq_gateway_page`` songs, ``DISS_MAX_PAGE`` by default) and the
"who am I" ``GetLoginUserInfo``.

The test account: ``uin=VIP_UIN`` with ``qqmusic_key``/``qm_keyst`` = ``VIP_KEY``, as cookies or
as ``qq``/``authst`` in ``comm``. With it, VIP-only songs and the 320k/FLAC files are served
and the private playlist is visible; anonymous clients get ``M500`` (128k) of free songs only.
Unknown modules/methods or bad params give the request ``code 500001``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from sandbox import ids
from sandbox.catalog import VARIANTS, Catalog, CatalogConfig, Playlist
from sandbox.platforms import qq_shapes as shapes

VIP_UIN = "10001"
VIP_KEY = "Q_H_L_sandboxvipkey0123456789"
BAD_REQUEST = 500001
LOGIN_REFUSED = 1000
DISS_MAX_PAGE = CatalogConfig.qq_gateway_page
APP_CT = frozenset({"11", 11})
SIP = [f"http://{host}/" for host in ("ws.stream.qqmusic.qq.com", "isure.stream.qqmusic.qq.com")]
# Which route serves a square playlist (by index % 3): the legacy CGI, aiDissInfo, CgiGetDiss.
CGI, AI_DISS, CGI_GET_DISS = 0, 1, 2


class BadParam(ValueError):
    """A gateway request whose module, method or parameters the sandbox does not accept."""


@dataclass(frozen=True)
class Call:
    """What the sandbox knows of the caller of one gateway request."""

    vip: bool  # the test account's login came along (cookie or comm)
    app_comm: bool  # comm is the app style (ct 11)
    by_get: bool  # the GET ``data=`` form


def is_vip(request: Request, comm: Any = None) -> bool:
    """The test account, from the Cookie header or from ``comm``."""
    cookies = request.cookies
    key = cookies.get("qqmusic_key") or cookies.get("qm_keyst") or ""
    if cookies.get("uin", "").lstrip("oO") == VIP_UIN and key == VIP_KEY:
        return True
    if isinstance(comm, dict):
        return str(comm.get("qq") or comm.get("uin") or "") == VIP_UIN and comm.get("authst") == VIP_KEY
    return False


def available(catalog: Catalog, key: int) -> bool:
    """Whether a VIP account gets the song (listed and not withdrawn everywhere)."""
    return catalog.listed("qq", key) and not catalog.unavailable_everywhere(key // VARIANTS)


def file_allowed(catalog: Catalog, key: int, label: str, vip: bool) -> bool:
    if catalog.quality("qq", key, label) is None:
        return False
    if vip:
        return available(catalog, key)
    return label == "128k" and catalog.playable("qq", key)


def _int(value: Any, default: int) -> int:
    return default if value in (None, "") else int(value)


def private_playlist(catalog: Catalog) -> Playlist:
    """The test account's private playlist: one index past the square's last."""
    return catalog.playlist("qq", "playlist_square", catalog.config.playlists)


def square_playlist(catalog: Catalog, remote_id: str, vip: bool) -> Playlist | None:
    found = catalog.find_playlist("qq", remote_id)
    if found is not None and found.kind == "playlist_square":
        return found
    private = private_playlist(catalog)
    return private if vip and remote_id == private.remote_id else None


def serving_route(catalog: Catalog, playlist: Playlist) -> int:
    """The first route that serves the playlist (the private one: every route, with the login)."""
    return CGI if playlist.remote_id == private_playlist(catalog).remote_id else playlist.index % 3


# ---- handlers ---------------------------------------------------------------------------------
def get_all(catalog: Catalog, _: dict[str, Any], __: Call) -> dict[str, Any]:
    charts = []
    for playlist in catalog.playlists("qq", "toplist"):
        rows = shapes.chart_rows(catalog, playlist)
        charts.append(shapes.chart_header(catalog, playlist, rows[:3]))
    group = {"groupId": 0, "groupName": "巅峰榜", "type": 0, "toplist": charts}
    return {"group": [group, shapes.mv_group()]}


def get_detail(catalog: Catalog, param: dict[str, Any], _: Call) -> dict[str, Any]:
    found = catalog.find_playlist("qq", str(param.get("topId", param.get("topid", ""))))
    if found is None or found.kind != "toplist":
        return {"data": {}, "songInfoList": [], "extInfoList": []}
    offset = max(0, _int(param.get("offset"), 0))
    num = max(0, _int(param.get("num"), 100))
    asked = str(param.get("period") or "")
    rows = shapes.chart_rows(catalog, found)[offset : offset + num]
    if asked and asked != shapes.period(found):
        rows = []  # a period the chart has no data for: the header tells the current one
    songs = [shapes.new_song(catalog, row["songId"] - ids.QQ_SONG_BASE) for row in rows if row["songId"]]
    return {"data": shapes.chart_header(catalog, found, rows), "songInfoList": songs, "extInfoList": []}


def search(catalog: Catalog, param: dict[str, Any], call: Call) -> dict[str, Any]:
    query = str(param.get("query", ""))
    per_page = max(1, _int(param.get("num_per_page"), 10))
    page = max(1, _int(param.get("page_num"), 1))
    tracks, total = ([], 0)
    if call.app_comm and _int(param.get("search_type"), 0) == 0 and query.strip():
        tracks, total = catalog.search("qq", query, (page - 1) * per_page, per_page)
    meta = {
        "sum": total,
        "estimate_sum": total,
        "curpage": page,
        "nextpage": page + 1 if page * per_page < total else -1,
        "perpage": per_page,
        "searchid": str(param.get("searchid", "")),
        "query": query,
        "ret": 0,
        "uid": "",
        "result_trustful": 1,
    }
    body = {
        "item_song": [shapes.new_song(catalog, t.key) for t in tracks],
        "item_singer": [],
        "item_album": [],
    }
    return {"body": body, "meta": meta}


def get_vkey(catalog: Catalog, param: dict[str, Any], call: Call) -> dict[str, Any]:
    names = param.get("filename") or []
    mids = param.get("songmid") or []
    guid = str(param.get("guid", ""))
    if not isinstance(names, list) or not isinstance(mids, list):
        raise BadParam("filename and songmid must be lists")
    infos = []
    for i, name in enumerate(names):
        parsed = shapes.parse_filename(str(name))
        allowed = not call.by_get and parsed is not None and file_allowed(catalog, *parsed, call.vip)
        key = shapes.vkey(catalog.config.seed, str(name), guid) if allowed else ""
        purl = f"{name}?guid={guid}&vkey={key}&uin=0&fromtag=120032" if allowed else ""
        infos.append(
            {
                "songmid": str(mids[i]) if i < len(mids) else "",
                "filename": str(name),
                "purl": purl,
                "wifiurl": purl,
                "flowurl": "",
                "vkey": key,
                "ekey": "",
                "errtype": "",
                "result": 0 if allowed else 104003,
                "tips": "",
            }
        )
    return {
        "uin": VIP_UIN if call.vip else "",
        "retcode": 0,
        "verify_type": 0,
        "login_key": "",
        "msg": "",
        "sip": SIP,
        "thirdip": ["", ""],
        "testfile2g": "",
        "testfilewifi": "",
        "midurlinfo": infos,
        "servercheck": "5c7d1e2f3a4b",
        "expiration": 80400,
    }


def dissinfo(route: int) -> Callable[[Catalog, dict[str, Any], Call], dict[str, Any]]:
    """A gateway playlist route; it answers an empty ``dirinfo`` for playlists it does not serve."""

    def handler(catalog: Catalog, param: dict[str, Any], call: Call) -> dict[str, Any]:
        playlist = square_playlist(catalog, str(param.get("disstid", "")), call.vip)
        if playlist is None or serving_route(catalog, playlist) > route:
            return {"dirinfo": {}, "songlist": [], "total_song_num": 0, "code": 0}
        keys = playlist.track_keys
        begin = max(0, _int(param.get("song_begin"), 0))
        most = catalog.config.qq_gateway_page
        count = min(max(0, _int(param.get("song_num"), most)), most)
        return {
            "code": 0,
            "dirinfo": shapes.dirinfo(playlist, len(keys)),
            "total_song_num": len(keys),
            "songlist": [shapes.new_song(catalog, k) for k in keys[begin : begin + count]],
        }

    return handler


def who_am_i(_: Catalog, __: dict[str, Any], call: Call) -> dict[str, Any]:
    if not call.vip:
        raise LoginRefused
    return {"uin": VIP_UIN, "nick": "沙盒用户", "vipType": 1, "isVip": 1}


class LoginRefused(Exception):
    """The request needs the login and the caller has none (request code 1000)."""


GATEWAY: dict[tuple[str, str], Callable[[Catalog, dict[str, Any], Call], dict[str, Any]]] = {
    ("musicToplist.ToplistInfoServer", "GetAll"): get_all,
    ("musicToplist.ToplistInfoServer", "GetDetail"): get_detail,
    ("music.search.SearchCgiService", "DoSearchForQQMusicMobile"): search,
    ("vkey.GetVkeyServer", "CgiGetVkey"): get_vkey,
    ("music.srfDissInfo.aiDissInfo", "uniform_get_Dissinfo"): dissinfo(AI_DISS),
    ("music.srfDissInfo.DissInfo", "CgiGetDiss"): dissinfo(CGI_GET_DISS),
    ("music.UserInfo.userInfoServer", "GetLoginUserInfo"): who_am_i,
}


def gateway(catalog: Catalog, body: Any, request: Request) -> dict[str, Any]:
    now = int(time.time() * 1000)
    if not isinstance(body, dict):
        return {"code": BAD_REQUEST, "ts": now}
    comm = body.get("comm") if isinstance(body.get("comm"), dict) else {}
    call = Call(
        vip=is_vip(request, comm),
        app_comm=comm.get("ct") in APP_CT,
        by_get=request.method == "GET",
    )
    answer: dict[str, Any] = {"code": 0, "ts": now, "start_ts": now, "traceid": f"{now:016x}"}
    for name, item in body.items():
        if name == "comm":
            continue
        try:
            if not isinstance(item, dict) or not isinstance(item.get("param"), dict):
                raise BadParam(f"{name}: not a module/method/param request")
            handler = GATEWAY.get((item.get("module"), item.get("method")))
            if handler is None:
                raise BadParam(f"{name}: unknown module or method")
            answer[name] = {"code": 0, "data": handler(catalog, item["param"], call)}
        except LoginRefused:
            answer[name] = {"code": LOGIN_REFUSED, "data": {}}
        except (ValueError, TypeError):
            answer[name] = {"code": BAD_REQUEST}
    return answer

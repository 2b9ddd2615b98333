"""Sandbox imitation of the share short links users paste (URL resolution only).

- ``163cn.tv/<code>`` and ``163cn.link/<code>`` (NetEase): 302 to the mobile share page
  ``https://y.music.163.com/m/playlist?id=<id>&userid=…`` for ``Pl<index:04d>`` (square
  playlists) or ``https://music.163.com/#/discover/toplist?id=<id>`` for ``Tp<index:04d>``;
  ``163cn.link`` first hops to ``163cn.tv`` (two redirects); unknown codes go to the homepage.
- ``cN.y.qq.com/base/fcgi-bin/u?__=<code>`` for N = 1…9 other than the hosts the QQ module
  serves: the same redirect as ``c.y.qq.com`` (see ``sandbox.platforms.qq.short_target``).
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sandbox.app import SandboxState
from sandbox.catalog import Catalog
from sandbox.platforms.qq import CGI_HOSTS, short_target

NETEASE_HOSTS = ("163cn.tv", "163cn.link")
QQ_HOSTS = tuple(f"c{n}.y.qq.com" for n in range(1, 10) if f"c{n}.y.qq.com" not in CGI_HOSTS)
HOSTS: tuple[str, ...] = (*NETEASE_HOSTS, *QQ_HOSTS)
_CODE = re.compile(r"(Pl|Tp)(\d{4})")


def netease_target(catalog: Catalog, code: str) -> str:
    match = _CODE.fullmatch(code)
    if match:
        kind = "playlist_square" if match.group(1) == "Pl" else "toplist"
        lists = catalog.playlists("netease", kind)
        index = int(match.group(2))
        if index < len(lists):
            remote_id = lists[index].remote_id
            if kind == "toplist":
                return f"https://music.163.com/#/discover/toplist?id={remote_id}"
            return f"https://y.music.163.com/m/playlist?id={remote_id}&userid=77&creatorId=88"
    return "https://music.163.com/"


def _host(request: Request) -> str:
    return request.headers.get("host", "").rsplit(":", 1)[0].lower()


def routes(state: SandboxState) -> list[Route]:
    catalog = state.catalog

    async def netease(request: Request) -> Response:
        code = request.path_params["code"]
        if _host(request) == "163cn.link":
            return RedirectResponse(f"https://163cn.tv/{code}", status_code=302)
        return RedirectResponse(netease_target(catalog, code), status_code=302)

    async def qq(request: Request) -> Response:
        if _host(request) not in QQ_HOSTS:
            return Response(status_code=404)
        return RedirectResponse(short_target(catalog, request.query_params.get("__", "")), status_code=302)

    return [Route("/base/fcgi-bin/u", qq), Route("/{code}", netease)]

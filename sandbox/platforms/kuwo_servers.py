"""Sandbox imitation of Kuwo's token-free servers (used by ``sandbox.platforms.kuwo``).

- ``qukudata.kuwo.cn/q.k?op=query&cont=tree``: the board tree (groups ``source`` "0", boards "1").
- ``kbangserver.kuwo.cn/ksong.s?type=bang&id=<bangId>&pn=<0-based>``: board songs, strings.
- ``antiserver.kuwo.cn/anti.s?type=convert_url3`` → JSON ``{code, msg, url, bitrate, format}``;
  ``type=convert_url`` → the URL as plain text (``failed`` when refused). Antiserver never sees
  an account: VIP-only songs are refused there; it serves the best file not above ``br``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from sandbox import ids
from sandbox.app import SandboxState, json_response
from sandbox.platforms import kuwo_shapes as shapes

Endpoint = Callable[[Request], Awaitable[Response]]
Guard = Callable[[Callable[[str], bool], Endpoint], Endpoint]


def _int_param(request: Request, name: str, default: int, minimum: int) -> int:
    try:
        return max(minimum, int(request.query_params.get(name, default)))
    except ValueError:
        return default


def routes(state: SandboxState, on: Guard) -> list[Route]:
    catalog = state.catalog

    async def quku(request: Request) -> Response:
        if request.query_params.get("cont") != "tree":
            return json_response({"ret": "error", "child": []})
        return json_response(shapes.quku_tree(catalog.playlists("kuwo", "toplist")))

    async def kbang(request: Request) -> Response:
        board = catalog.find_playlist("kuwo", request.query_params.get("id", ""))
        if board is not None and board.kind != "toplist":
            board = None
        pn = _int_param(request, "pn", 0, 0)
        rn = _int_param(request, "rn", 100, 1)
        return json_response(shapes.kbang_page(catalog, board, pn, rn))

    async def antiserver(request: Request) -> Response:
        kind = request.query_params.get("type", "")
        rid = request.query_params.get("rid", "").removeprefix("MUSIC_")
        key = ids.track_key("kuwo", rid)
        if kind not in {"convert_url", "convert_url3"}:
            return PlainTextResponse("failed")
        if key is None or not catalog.playable("kuwo", key):
            if kind == "convert_url":
                return PlainTextResponse("failed")
            return json_response({"code": -1, "msg": "failed", "url": ""})
        quality = catalog.best_quality(
            "kuwo", key, shapes.BR_LIMITS.get(request.query_params.get("br", ""), "128k")
        )
        if "flac" not in request.query_params.get("format", "mp3") and quality.label == "flac":
            quality = catalog.best_quality("kuwo", key, "320k")
        url = shapes.media_url(ids.kuwo_rid(key), quality, "http")
        if kind == "convert_url":
            return PlainTextResponse(url)
        payload = {"code": 200, "msg": "success", "url": url, "bitrate": shapes.MINFO[quality.label][1]}
        return json_response({**payload, "format": quality.ext})

    return [
        Route("/q.k", on(lambda host: host == "qukudata.kuwo.cn", quku)),
        Route("/ksong.s", on(lambda host: host == "kbangserver.kuwo.cn", kbang)),
        Route("/anti.s", on(lambda host: host == "antiserver.kuwo.cn", antiserver)),
    ]

"""The sandbox HTTP server: one ASGI app that imitates every platform host.

Requests are dispatched on the ``Host`` header (the services' HTTP client keeps
the real host there when ``CATALOGSYNC_UPSTREAM_OVERRIDES`` points it here).
Requests for the sandbox's own address reach the admin API under ``/_sandbox``:
health, catalog summary, expected media checksums, request counters and fault
injection (HTTP errors, broken JSON, delays, slow or truncated media).
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from catalogsync.vocabulary import DISCOVERY_PLATFORMS, DOWNLOAD_SOURCES
from sandbox import ids
from sandbox.catalog import Catalog
from sandbox.media_cache import Media

PLATFORM_MODULES = ("netease", "qq", "kuwo", "migu", "kugou", "qianqian", "shortlinks")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]", "testserver", ""})
CHUNK = 64 * 1024


@dataclass
class FaultRule:
    """Misbehaviour for requests whose host and path match."""

    host: str = "*"  # exact host, "*.suffix" or "*"
    path_prefix: str = "/"
    status: int = 0  # answer with this HTTP status instead
    broken_json: bool = False  # answer 200 with a truncated JSON body
    delay_s: float = 0.0  # wait before answering
    throttle_bps: int = 0  # media: stream at most this many bytes per second
    truncate_at: int = -1  # media: close the stream after this many bytes
    times: int = -1  # how many requests it applies to (-1 = until cleared)
    hits: int = 0

    def matches(self, host: str, path: str) -> bool:
        if self.times == 0 or not path.startswith(self.path_prefix):
            return False
        if self.host in ("*", host):
            return True
        return self.host.startswith("*.") and host.endswith(self.host[1:])


@dataclass
class SandboxState:
    catalog: Catalog
    faults: list[FaultRule] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    media_downloads: Counter[str] = field(default_factory=Counter)
    media_probes: Counter[str] = field(default_factory=Counter)  # ranged reads of a file's head only
    media_bps: int = 0  # global throttle for media (0 = unlimited)

    def fault_for(self, host: str, path: str) -> FaultRule | None:
        for rule in self.faults:
            if rule.matches(host, path):
                if rule.times > 0:
                    rule.times -= 1
                rule.hits += 1
                return rule
        return None


class SandboxApp:
    """ASGI entry point: dispatch by host, count requests, inject faults."""

    def __init__(self, catalog: Catalog) -> None:
        self.state = SandboxState(catalog)
        self.exact: dict[str, ASGIApp] = {}
        self.suffixes: list[tuple[str, ASGIApp]] = []
        for name in PLATFORM_MODULES:
            module = importlib.import_module(f"sandbox.platforms.{name}")
            app = Starlette(routes=module.routes(self.state))
            app.state.sandbox = self.state
            for pattern in module.HOSTS:
                if pattern.startswith("*."):
                    self.suffixes.append((pattern[1:], app))
                else:
                    self.exact[pattern] = app
        self.admin = Starlette(routes=admin_routes(self.state))

    def host_patterns(self) -> list[str]:
        return sorted(self.exact) + sorted("*" + suffix for suffix, _ in self.suffixes)

    def app_for(self, host: str) -> ASGIApp | None:
        if host in LOCAL_HOSTS:
            return self.admin
        if host in self.exact:
            return self.exact[host]
        for suffix, app in self.suffixes:
            if host.endswith(suffix):
                return app
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.admin(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1").rsplit(":", 1)[0].lower()
        if host.startswith("[") or host.count(":") > 1:
            host = headers.get(b"host", b"").decode("latin-1").lower()
        path = scope.get("path", "/")
        app = self.app_for(host)
        if app is None:
            response = JSONResponse({"error": f"the sandbox does not imitate host {host!r}"}, status_code=404)
            await response(scope, receive, send)
            return
        if app is not self.admin:
            self.state.requests[f"{host}{path}"] += 1
            rule = self.state.fault_for(host, path)
            if rule is not None:
                scope.setdefault("state", {})["fault"] = rule
                if rule.delay_s:
                    await asyncio.sleep(rule.delay_s)
                if rule.status:
                    await JSONResponse({"error": "injected fault"}, status_code=rule.status)(
                        scope, receive, send
                    )
                    return
                if rule.broken_json:
                    broken = Response(
                        '{"code": 200, "data": {"list": [{"id": 1, "na', media_type="application/json"
                    )
                    await broken(scope, receive, send)
                    return
        await app(scope, receive, send)


def _fault(request: Request) -> FaultRule | None:
    fault: FaultRule | None = request.scope.get("state", {}).get("fault")
    return fault


def media_response(request: Request, data: Media, content_type: str, counter_key: str) -> Response:
    """Serve media bytes with HEAD, Range, throttling and truncation faults."""
    state: SandboxState = request.app.state.sandbox
    total = len(data)
    start, end = 0, total - 1
    status = 200
    range_header = request.headers.get("range", "")
    if range_header.startswith("bytes="):
        first, _, last = range_header[6:].partition("-")
        try:
            start = int(first) if first else max(0, total - int(last))
            end = int(last) if first and last else total - 1
        except ValueError:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{total}"})
        if start >= total or start > end:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{total}"})
        end = min(end, total - 1)
        status = 206
    headers = {"Accept-Ranges": "bytes", "Content-Length": str(end - start + 1)}
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end}/{total}"
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=content_type)
    # A bounded read of the head (``bytes=0-65535``), e.g. the resolver probing what a URL serves.
    first, _, last = range_header.removeprefix("bytes=").partition("-")
    probe = status == 206 and start == 0 and first == "0" and bool(last)
    (state.media_probes if probe else state.media_downloads)[counter_key] += 1
    fault = _fault(request)
    bps = (fault.throttle_bps if fault and fault.throttle_bps else 0) or state.media_bps
    cut = fault.truncate_at if fault and fault.truncate_at >= 0 else -1

    async def body() -> AsyncIterator[bytes]:
        sent = 0
        began = time.monotonic()
        for offset in range(start, end + 1, CHUNK):
            chunk = data[offset : min(offset + CHUNK, end + 1)]
            if cut >= 0 and sent + len(chunk) > cut:
                yield chunk[: max(0, cut - sent)]
                raise ConnectionResetError("sandbox: truncated media (injected fault)")
            yield chunk
            sent += len(chunk)
            if bps:
                ahead = sent / bps - (time.monotonic() - began)
                if ahead > 0:
                    await asyncio.sleep(ahead)

    return StreamingResponse(body(), status_code=status, headers=headers, media_type=content_type)


def cover_response(request: Request, album: str) -> Response:
    state: SandboxState = request.app.state.sandbox
    return Response(state.catalog.cover(album), media_type="image/png")


def json_response(payload: Any) -> Response:
    """JSON with non-ASCII kept as is (like the platforms answer)."""
    return Response(json.dumps(payload, ensure_ascii=False), media_type="application/json;charset=utf-8")


# ---- admin API ------------------------------------------------------------------------------
def admin_routes(state: SandboxState) -> list[Route]:
    catalog = state.catalog

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def summary(_: Request) -> Response:
        lists = {
            platform: {
                kind: [
                    {"remote_id": p.remote_id, "name": p.name, "tracks": len(p.track_keys) + p.non_music_rows}
                    for p in catalog.playlists(platform, kind)
                ]
                for kind in ("playlist_square", "toplist")
            }
            for platform in DISCOVERY_PLATFORMS
        }
        return JSONResponse(
            {"config": asdict(catalog.config), "works": catalog.work_count, "playlists": lists}
        )

    async def expected(request: Request) -> Response:
        source = request.query_params.get("source", "")
        quality = request.query_params.get("quality", "")
        key = (
            ids.track_key(source, request.query_params.get("id", "")) if source in DOWNLOAD_SOURCES else None
        )
        if key is None:
            return JSONResponse({"error": "unknown source or id"}, status_code=404)
        try:
            data = catalog.media(source, key, quality)
        except KeyError:
            return JSONResponse({"error": "no such file"}, status_code=404)
        return JSONResponse({"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "key": key})

    async def requests(_: Request) -> Response:
        return JSONResponse(
            {
                "requests": dict(state.requests),
                "media_downloads": dict(state.media_downloads),
                "media_probes": dict(state.media_probes),
            }
        )

    async def reset(_: Request) -> Response:
        state.requests.clear()
        state.media_downloads.clear()
        state.media_probes.clear()
        return JSONResponse({"status": "reset"})

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            state.faults.clear()
            state.media_bps = 0
            return JSONResponse({"faults": []})
        if request.method == "POST":
            try:
                body = await request.json()
                rules = [FaultRule(**rule) for rule in body.get("rules", [])]
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": f"bad fault rules: {exc}"}, status_code=400)
            state.faults.extend(rules)
            if "media_bps" in body:
                state.media_bps = int(body["media_bps"])
        return JSONResponse({"faults": [asdict(r) for r in state.faults], "media_bps": state.media_bps})

    return [
        Route("/_sandbox/health", health),
        Route("/_sandbox/catalog", summary),
        Route("/_sandbox/expected", expected),
        Route("/_sandbox/requests", requests),
        Route("/_sandbox/reset-counters", reset, methods=["POST"]),
        Route("/_sandbox/faults", faults, methods=["GET", "POST", "DELETE"]),
    ]

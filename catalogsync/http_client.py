"""The one HTTP client factory for talking to the platforms.

Adapters always use the platforms' real URLs. ``CATALOGSYNC_UPSTREAM_OVERRIDES``
(``host=http://127.0.0.1:PORT,*.cdn.example=http://...``) sends matching hosts
to another server, keeping the original host in the ``Host`` header, so one
sandbox can stand in for every platform.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from prometheus_client import Counter

from catalogsync import json_text
from catalogsync.settings import EnvReader

log = logging.getLogger(__name__)

USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)
UPSTREAM_REQUESTS = Counter(
    "catalogsync_upstream_requests_total", "HTTP requests to platforms", ["host", "outcome"]
)
_JSONP = re.compile(r"^\s*[\w.$]+\s*\(\s*(?P<body>[\[{].*[\]}])\s*\)\s*;?\s*$", re.S)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class UpstreamError(Exception):
    """A platform answered badly (HTTP error, broken JSON, error code) or not at all."""

    def __init__(self, platform: str, url: str, message: str, *, status: int | None = None) -> None:
        self.platform = platform
        self.url = url
        self.status = status
        super().__init__(f"{platform}: {message} ({url})")


@dataclass(frozen=True)
class UpstreamOverrides:
    """Host patterns (``music.163.com`` or ``*.music.126.net``) mapped to a base URL."""

    rules: tuple[tuple[str, httpx.URL], ...] = ()

    @classmethod
    def parse(cls, text: str) -> UpstreamOverrides:
        rules: list[tuple[str, httpx.URL]] = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            host, sep, target = part.partition("=")
            url = httpx.URL(target.strip()) if sep else None
            if not host.strip() or url is None or url.scheme not in {"http", "https"} or not url.host:
                raise ValueError(
                    f"CATALOGSYNC_UPSTREAM_OVERRIDES entry {part!r} is not 'host=http://address:port'"
                )
            rules.append((host.strip().lower(), url))
        return cls(tuple(rules))

    def target(self, host: str) -> httpx.URL | None:
        host = host.lower()
        for pattern, url in self.rules:
            if pattern == "*" or pattern == host:
                return url
            if pattern.startswith("*.") and (host.endswith(pattern[1:]) or host == pattern[2:]):
                return url
        return None

    def __bool__(self) -> bool:
        return bool(self.rules)


def overrides_from_env(env: EnvReader) -> UpstreamOverrides:
    """``CATALOGSYNC_UPSTREAM_OVERRIDES``; a malformed value is reported by ``env.check()``."""
    try:
        return UpstreamOverrides.parse(env.str("CATALOGSYNC_UPSTREAM_OVERRIDES", ""))
    except ValueError as exc:
        env.problem(str(exc))
        return UpstreamOverrides()


class OverrideTransport(httpx.AsyncBaseTransport):
    """Rewrites the scheme and address of overridden hosts; the Host header stays."""

    def __init__(self, inner: httpx.AsyncBaseTransport, overrides: UpstreamOverrides) -> None:
        self._inner = inner
        self._overrides = overrides

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = self._overrides.target(request.url.host)
        if target is None:
            return await self._inner.handle_async_request(request)
        # A copy goes out, so the client keeps the original request: redirects and
        # ``response.url`` stay in terms of the real host.
        headers = httpx.Headers(request.headers)
        headers["X-Forwarded-Proto"] = request.url.scheme
        rewritten = httpx.Request(
            request.method,
            request.url.copy_with(scheme=target.scheme, host=target.host, port=target.port),
            headers=headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        return await self._inner.handle_async_request(rewritten)

    async def aclose(self) -> None:
        await self._inner.aclose()


def make_client(
    overrides: UpstreamOverrides | None = None,
    *,
    timeout: float = 20.0,
    connect_timeout: float = 5.0,
    max_connections: int = 100,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with sane timeouts, connection retries and upstream overrides."""
    inner = httpx.AsyncHTTPTransport(
        retries=2, limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=20)
    )
    transport: httpx.AsyncBaseTransport = OverrideTransport(inner, overrides) if overrides else inner
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        follow_redirects=True,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json, text/plain, */*"},
    )


def parse_json(platform: str, url: str, text: str) -> Any:
    """Parse JSON, JSONP (``callback({...})``) or single-quoted pseudo-JSON; clear error otherwise."""
    body = text.strip()
    match = _JSONP.match(body)
    if match:
        body = match.group("body")
    try:
        return json_text.loads(body)
    except json.JSONDecodeError as exc:
        if "'" in body and '"' not in body:
            try:
                return json.loads(body.replace("'", '"'))
            except json.JSONDecodeError:
                pass
        snippet = body[:80].replace("\n", " ")
        raise UpstreamError(platform, url, f"broken JSON at char {exc.pos}: {snippet!r}") from exc


async def request_text(
    client: httpx.AsyncClient,
    platform: str,
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
    attempts: int = 3,
) -> str:
    """Send a request with retries on timeouts, connection errors, 429 and 5xx."""
    delay = 0.5
    last: Exception | None = None
    host = httpx.URL(url).host
    for attempt in range(1, attempts + 1):
        try:
            response = await client.request(
                method, url, params=params, data=data, json=json_body, headers=headers
            )
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            UPSTREAM_REQUESTS.labels(host, "transport_error").inc()
            last = UpstreamError(platform, url, f"{type(exc).__name__}: {exc or 'no answer'}")
        else:
            UPSTREAM_REQUESTS.labels(host, str(response.status_code)).inc()
            if response.status_code < 400:
                return response.text
            last = UpstreamError(platform, url, f"HTTP {response.status_code}", status=response.status_code)
            if response.status_code not in RETRY_STATUSES:
                raise last
        if attempt < attempts:
            await asyncio.sleep(delay)
            delay *= 2
    assert last is not None
    raise last


async def request_json(
    client: httpx.AsyncClient,
    platform: str,
    method: str,
    url: str,
    **kwargs: Any,
) -> Any:
    """:func:`request_text` then :func:`parse_json`."""
    text = await request_text(client, platform, method, url, **kwargs)
    return parse_json(platform, url, text)

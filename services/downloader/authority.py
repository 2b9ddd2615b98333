"""What the downloader may do: write only under the library roots, fetch only the platforms.

A media or cover URL must be http(s) on a platform or CDN host (``PLATFORM_HOST_SUFFIXES``),
a host the operator sends elsewhere (``CATALOGSYNC_UPSTREAM_OVERRIDES``) or one listed in
``CATALOGSYNC_DOWNLOADER_ALLOWED_HOSTS`` (``host`` or ``*.suffix``). Unless the operator
overrides the host, every address it resolves to must be public: never loopback, private,
link-local or reserved. The check runs before the first request and again on every request the
client sends (redirects and covers included), through an httpx request hook.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from catalogsync.http_client import UpstreamOverrides
from catalogsync.library_roots import LibraryRoots, OutsideRoots
from catalogsync.settings import EnvReader
from catalogsync.v1 import common_pb2, downloader_pb2
from services.downloader.failures import Refused

ALLOWED_HOSTS_ENV = "CATALOGSYNC_DOWNLOADER_ALLOWED_HOSTS"
# The platforms' own API, media and image hosts (see /work/shared/platforms and the sandbox).
PLATFORM_HOST_SUFFIXES = (
    "163.com",
    "126.net",
    "qq.com",
    "gtimg.cn",
    "kuwo.cn",
    "kugou.com",
    "migu.cn",
    "91q.com",
    "dmhmusic.com",
)


class BlockedURL(httpx.RequestError):
    """The downloader may not fetch this URL (raised from the request hook)."""


def _matches(host: str, pattern: str) -> bool:
    if pattern.startswith("*."):
        return host == pattern[2:] or host.endswith(pattern[1:])
    return host == pattern


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class DownloadAuthority:
    roots: LibraryRoots
    overrides: UpstreamOverrides
    allowed_hosts: tuple[str, ...]

    @classmethod
    def from_env(cls, env: EnvReader, overrides: UpstreamOverrides, *, loopback: bool) -> DownloadAuthority:
        roots = LibraryRoots.from_env(env, loopback=loopback, service="downloader")
        allowed = tuple(host.lower() for host in env.list(ALLOWED_HOSTS_ENV))
        return cls(roots, overrides, allowed)

    def host_problem(self, url: httpx.URL) -> str:
        """Why the URL's scheme or host is not allowed ('' when it is)."""
        if url.scheme not in ("http", "https") or not url.host:
            return "only http(s) URLs are fetched"
        host = url.host.lower()
        if self.overrides.target(host) is not None:
            return ""
        patterns = (*(f"*.{suffix}" for suffix in PLATFORM_HOST_SUFFIXES), *self.allowed_hosts)
        if not any(_matches(host, pattern) for pattern in patterns):
            return f"{host} is not a platform host (allow it with {ALLOWED_HOSTS_ENV})"
        return ""

    async def address_problem(self, url: httpx.URL) -> str:
        """Why the host's addresses may not be contacted ('' when all are public or it is overridden)."""
        if self.overrides.target(url.host.lower()) is not None:
            return ""
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(url.host, port, type=socket.SOCK_STREAM)
        except OSError:
            return ""  # unresolvable: the request itself fails with a clear error
        for info in infos:
            address = str(info[4][0])
            if not _public(address):
                return f"{url.host} resolves to {address}, which is not a public address"
        return ""

    async def url_problem(self, text: str) -> str:
        try:
            url = httpx.URL(text)
        except httpx.InvalidURL:
            return "not a valid URL"
        return self.host_problem(url) or await self.address_problem(url)

    def check_root(self, text: str) -> None:
        """Refused(INVALID) unless ``text`` is a configured root or a folder below one."""
        try:
            self.roots.check_root(text)
        except OutsideRoots as exc:
            raise Refused(common_pb2.INVALID, str(exc)) from exc

    async def check_download(self, request: downloader_pb2.DownloadRequest) -> None:
        """Refused(INVALID) for a library root outside the roots or a media URL it may not fetch."""
        self.check_root(request.library_root)
        problem = await self.url_problem(request.candidate.media_url)
        if problem:
            raise Refused(
                common_pb2.INVALID, f"candidate.media_url {request.candidate.media_url[:120]!r}: {problem}"
            )

    def request_hook(self) -> Callable[[httpx.Request], Awaitable[None]]:
        """An httpx request hook that blocks every request this downloader may not send."""

        async def guard(request: httpx.Request) -> None:
            problem = self.host_problem(request.url) or await self.address_problem(request.url)
            if problem:
                raise BlockedURL(f"refused to fetch {str(request.url)[:120]}: {problem}", request=request)

        return guard

"""Playlist files: one URL per line (``url`` or ``platform,url``), comments and blanks ignored.

Each line is recognised by the platform modules' ``parse_url``; short share links
(``c.y.qq.com/base/fcgi-bin/u?__=…``, ``163cn.tv/…``) are followed to their target
first. Duplicates are dropped, file order is kept, and every bad line gets an error
with its number instead of failing the whole file.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from catalogsync.v1 import collector_pb2
from services.collector import platforms

MAX_LINE_CHARS = 2048
_HOST_PLATFORMS = (("163.com", "netease"), ("163cn.tv", "netease"), ("qq.com", "qq"), ("kuwo.cn", "kuwo"))


def platform_for_host(host: str) -> str | None:
    host = host.lower()
    for suffix, platform in _HOST_PLATFORMS:
        if host == suffix or host.endswith("." + suffix):
            return platform
    return None


def _is_short_link(url: str) -> bool:
    parts = urlsplit(url)
    return parts.hostname in {"163cn.tv"} or (
        parts.hostname in {"c.y.qq.com", "c6.y.qq.com"} and parts.path.startswith("/base/fcgi-bin/u")
    )


async def _follow(url: str, client: httpx.AsyncClient) -> str:
    response = await client.get(url, follow_redirects=True)
    return str(response.url) if response.url else url


async def parse_line(text: str, client: httpx.AsyncClient) -> tuple[str, str, int] | str:
    """(platform, remote_playlist_id, kind), or an error message."""
    if len(text) > MAX_LINE_CHARS:
        return f"line is longer than {MAX_LINE_CHARS} characters"
    if "\x00" in text:
        return "line contains a NUL character"
    declared = None
    url = text
    head, sep, tail = text.partition(",")
    if sep and "://" not in head and head.strip():
        declared, url = head.strip().lower(), tail.strip()
        if declared not in platforms.PLATFORMS:
            return f"unknown platform {declared!r}; expected one of {', '.join(platforms.PLATFORMS)}"
    if "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"not a URL: {exc}"
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "not an http(s) URL"
    if _is_short_link(url):
        try:
            url = await _follow(url, client)
        except httpx.HTTPError as exc:
            return f"could not follow the short link: {type(exc).__name__}"
        parts = urlsplit(url)
    inferred = platform_for_host(parts.hostname or "")
    platform = declared or inferred
    if platform is None:
        return f"unrecognised host {parts.hostname!r}: netease, qq and kuwo playlist URLs are supported"
    if declared and inferred and declared != inferred:
        return f"the URL is a {inferred} URL but the line says {declared}"
    ref = platforms.url_parser(platform)(url)
    if ref is None:
        return f"not a {platform} playlist or toplist URL"
    return platform, ref.remote_playlist_id, ref.kind


async def parse_playlist_text(
    text: str, client: httpx.AsyncClient
) -> collector_pb2.ParsePlaylistUrlsResponse:
    response = collector_pb2.ParsePlaylistUrlsResponse()
    seen: set[tuple[str, str, int]] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        outcome = await parse_line(line, client)
        if isinstance(outcome, str):
            response.errors.add(line=number, text=line[:200], error=outcome)
            continue
        if outcome in seen:
            response.duplicates += 1
            continue
        seen.add(outcome)
        platform, remote_id, kind = outcome
        response.playlists.add(
            line=number, platform=platform, remote_playlist_id=remote_id, kind=kind, url=line
        )
    return response

"""Playlist files and pasted text: one playlist per line, comments and blanks ignored.

A line is ``url``, ``platform,url`` or a whole share text with the URL inside it
(``分享歌单: 名字 https://163cn.tv/xxxx (@网易云音乐)``). Share short links
(``163cn.tv``/``163cn.link``, QQ ``cN.y.qq.com/base/fcgi-bin/u?__=``) are followed
through the shared HTTP client, one redirect at a time, without fetching the target
page. The forms themselves are in ``url_forms``. Duplicates are dropped, file order is
kept, and every line that is not a playlist gets its number and the reason.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import httpx

from catalogsync.v1 import collector_pb2
from services.collector import platforms, url_forms

MAX_LINE_CHARS = 2048
MAX_REDIRECTS = 5


async def follow_short_link(url: str, client: httpx.AsyncClient) -> str:
    """Where a short link leads: its redirects followed until the URL is no short link."""
    for _ in range(MAX_REDIRECTS):
        if not url_forms.is_short_link(url):
            return url
        response = await client.get(url, follow_redirects=False)
        location = response.headers.get("location", "")
        if not response.is_redirect or not location:
            raise ValueError(f"the short link answered HTTP {response.status_code} without a redirect")
        url = urljoin(url, location)
    raise ValueError(f"the short link redirected more than {MAX_REDIRECTS} times")


def _split_declared(text: str) -> tuple[str | None, str]:
    """(declared platform, rest) for ``platform,url``; (None, text) otherwise."""
    head, sep, tail = text.partition(",")
    name = head.strip()
    if sep and name.isascii() and name.isalpha():
        return name.lower(), tail.strip()
    return None, text


async def parse_line(text: str, client: httpx.AsyncClient) -> tuple[str, str, int, str] | str:
    """(platform, remote_playlist_id, kind, url), or the reason the line is not a playlist.

    ``url`` is the playlist's URL as found in the line, short links followed."""
    if len(text) > MAX_LINE_CHARS:
        return f"line is longer than {MAX_LINE_CHARS} characters"
    if "\x00" in text:
        return "line contains a NUL character"
    declared, rest = _split_declared(text)
    if declared is not None and declared not in platforms.PLATFORMS:
        return f"unknown platform {declared!r}; expected one of {', '.join(platforms.PLATFORMS)}"
    url = url_forms.find_url(rest)
    if url is None:
        return "no URL found in the line"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"not a URL: {exc}"
    if not parts.hostname:
        return "not an http(s) URL"
    followed = url_forms.is_short_link(url)
    if followed:
        try:
            url = await follow_short_link(url, client)
        except (httpx.HTTPError, ValueError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) else type(exc).__name__
            return f"could not follow the short link: {reason}"
    inferred = url_forms.platform_of(url)
    platform = declared or inferred
    if platform is None:
        other = url_forms.source_only_platform(url)
        if other:
            return f"{other} is a download source only: its playlists cannot be collected"
        host = urlsplit(url).hostname
        return f"unrecognised host {host!r}: netease, qq and kuwo playlist URLs are supported"
    if declared and inferred and declared != inferred:
        return f"the URL is a {inferred} URL but the line says {declared}"
    ref = url_forms.PARSERS[platform](url)
    if ref is None and followed:
        return f"the {platform} short link did not lead to a playlist (it leads to {url[:200]})"
    if ref is None:
        return url_forms.why_not(url, platform)
    return platform, ref.remote_playlist_id, ref.kind, url


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
        platform, remote_id, kind, url = outcome
        if (platform, remote_id, kind) in seen:
            response.duplicates += 1
            continue
        seen.add((platform, remote_id, kind))
        response.playlists.add(
            line=number, platform=platform, remote_playlist_id=remote_id, kind=kind, url=url
        )
    return response

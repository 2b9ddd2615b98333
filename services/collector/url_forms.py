"""Playlist URL forms users paste, per discovery platform (facts: /work/shared/platforms/*.md "URL").

Pure functions, no I/O: ``find_url`` picks the URL out of a pasted share text,
``is_short_link`` says whether it must be followed first (``163cn.tv``/``163cn.link``,
QQ ``cN.y.qq.com/base/fcgi-bin/u?__=``), and ``recognise`` names the platform and the
playlist or toplist, or says in words why a URL is not one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import SplitResult, parse_qs, urlsplit

from catalogsync.v1 import common_pb2
from services.collector.platforms.base import PlaylistRef, split_on_domain

PLAYLIST = common_pb2.PLAYLIST_SQUARE
TOPLIST = common_pb2.TOPLIST
NETEASE_DEFAULT_TOPLIST = "19723756"  # 飙升榜, what the toplist page shows without an id
_NETEASE_HOSTS = ("music.163.com", "y.music.163.com", "www.music.163.com")
_NETEASE_ROUTE_PREFIXES = ("my/m/music/", "m/")
_QQ_PATH_ID = re.compile(r"^/n/(?:ryqq|ryqq_v2|yqq)/(playlist|playsquare|toplist)/(\d+)(?:\.html)?/?$")
_QQ_QUERY_PAGES = {
    "/n/m/detail/taoge/index.html": PLAYLIST,
    "/n2/m/share/details/taoge.html": PLAYLIST,
    "/n3/other/pages/details/playlist.html": PLAYLIST,
    "/v8/playsquare/playlist.html": PLAYLIST,
    "/portal/playlist.html": PLAYLIST,
    "/n2/m/share/details/toplist.html": TOPLIST,
    "/n3/other/pages/details/toplist.html": TOPLIST,
}
_KUWO_APP = r"(?:(?:h5app|newh5app|newh5)/)?"
_KUWO_PLAYLIST_PATH = re.compile(rf"^/{_KUWO_APP}playlist(?:_detail)?/(\d+)/?$")
_KUWO_PLAYLIST_QUERY_PATH = re.compile(rf"^/{_KUWO_APP}playlist(?:_detail)?/?$")
_KUWO_RANK_PATH = re.compile(rf"^/{_KUWO_APP}rankList(?:/(\d+))?/?$", re.IGNORECASE)
_QQ_SHORT_HOST = re.compile(r"^c\d*\.y\.qq\.com$")
NETEASE_SHORT_HOSTS = frozenset({"163cn.tv", "163cn.link"})
# A URL inside pasted text ends at whitespace or at the punctuation that share texts put after it.
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'()（）\[\]【】「」『』《》，。、；！？]+", re.IGNORECASE)
_BARE_URL_IN_TEXT = re.compile(
    r"(?<![\w.@/-])(?:[a-z0-9-]+\.)+(?:com|cn|tv|link)(?:/[^\s<>\"'()（）\[\]【】「」『』《》，。、；！？]*)?",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)]}'\""
# Pages that are something else than a playlist, by a word in their path or fragment.
_NOT_PLAYLIST_WORDS = (
    ("songdetail", "a song"),
    ("play_detail", "a song"),
    ("song", "a song"),
    ("album", "an album"),
    ("singer", "an artist"),
    ("artist", "an artist"),
    ("user", "a user page"),
    ("mv", "a video"),
    ("video", "a video"),
    ("radio", "a radio programme"),
    ("djradio", "a radio programme"),
)
# Platforms whose playlists catalog-sync does not collect (they are download sources only).
_SOURCE_ONLY_DOMAINS = (
    ("kugou.com", "kugou"),
    ("migu.cn", "migu"),
    ("91q.com", "qianqian"),
    ("taihe.com", "qianqian"),
)
_DISCOVERY_DOMAINS = (("163.com", "netease"), ("qq.com", "qq"), ("kuwo.cn", "kuwo"))


def find_url(text: str) -> str | None:
    """The first http(s) URL in ``text`` (a whole share text may be pasted), else a bare
    ``host.tld/path``; trailing punctuation is dropped. None when there is neither."""
    match = _URL_IN_TEXT.search(text) or _BARE_URL_IN_TEXT.search(text)
    if match is None:
        return None
    url = match.group(0).rstrip(_TRAILING)
    return url if "://" in url else "https://" + url


def is_short_link(url: str) -> bool:
    """Whether ``url`` is a share short link that redirects to the real page."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in NETEASE_SHORT_HOSTS:
        return parts.path.strip("/") != ""
    return _QQ_SHORT_HOST.match(host) is not None and parts.path.rstrip("/") == "/base/fcgi-bin/u"


def netease_playlist(url: str) -> PlaylistRef | None:
    """A music.163.com playlist or toplist (``#/``, ``#/m/``, ``#/my/m/music/``, path and share forms)."""
    text = url.strip()
    try:
        parts = urlsplit(text if "://" in text else "https://" + text)
    except ValueError:
        return None
    if (parts.hostname or "").lower() not in _NETEASE_HOSTS:
        return None
    route = parts.fragment if parts.fragment.startswith("/") else f"{parts.path}?{parts.query}"
    route = route.lstrip("/")
    for prefix in _NETEASE_ROUTE_PREFIXES:
        route = route.removeprefix(prefix)
    inner = urlsplit("/" + route)
    segments = [s for s in inner.path.split("/") if s]
    wanted = parse_qs(inner.query).get("id", [""])[0].strip()
    if segments[:2] == ["discover", "toplist"]:
        remote_id, kind = wanted or NETEASE_DEFAULT_TOPLIST, TOPLIST
    elif segments[:1] == ["playlist"]:
        remote_id = segments[1] if len(segments) > 1 and segments[1].isdigit() else wanted
        kind = PLAYLIST
    else:
        return None
    return PlaylistRef(remote_id, kind) if remote_id.isdigit() else None


def qq_playlist(url: str) -> PlaylistRef | None:
    """A y.qq.com / i.y.qq.com playlist or toplist (short links must be followed first)."""
    parts = split_on_domain(url, "qq.com")
    if parts is None:
        return None
    path = parts.path.rstrip("/") or "/"
    match = _QQ_PATH_ID.match(path)
    if match:
        return PlaylistRef(match.group(2), TOPLIST if match.group(1) == "toplist" else PLAYLIST)
    if path in _QQ_QUERY_PAGES:
        query = parse_qs(parts.query)
        ids = query.get("id") or query.get("disstid") or []
        if ids and ids[0].isdigit():
            return PlaylistRef(ids[0], _QQ_QUERY_PAGES[path])
    return None


def kuwo_playlist(url: str) -> PlaylistRef | None:
    """A kuwo.cn / m.kuwo.cn playlist or bang toplist (kuwo.md §8)."""
    parts = split_on_domain(url, "kuwo.cn")
    # Bodian (波点) collections live in another app with their own ids and API.
    if parts is None or "/bodian/" in parts.path:
        return None
    path = parts.fragment if parts.fragment.startswith("/") else parts.path
    path, _, fragment_query = path.partition("?")
    query = parse_qs(fragment_query or parts.query)
    match = _KUWO_PLAYLIST_PATH.match(path)
    if match:
        return PlaylistRef(match.group(1), PLAYLIST)
    pid = query.get("pid", [""])[0]
    if _KUWO_PLAYLIST_QUERY_PATH.match(path) and pid.isdigit():
        return PlaylistRef(pid, PLAYLIST)
    match = _KUWO_RANK_PATH.match(path)
    if match:
        # A bare /rankList shows "the first board", which only the live index knows.
        bang_id = match.group(1) or query.get("bangId", [""])[0] or query.get("bangid", [""])[0]
        return PlaylistRef(bang_id, TOPLIST) if bang_id.isdigit() else None
    return None


PARSERS: dict[str, Callable[[str], PlaylistRef | None]] = {
    "netease": netease_playlist,
    "qq": qq_playlist,
    "kuwo": kuwo_playlist,
}


def platform_of(url: str) -> str | None:
    """The discovery platform whose domain ``url`` is on (short-link hosts included)."""
    host = (urlsplit(url).hostname or "").lower()
    if host in NETEASE_SHORT_HOSTS:
        return "netease"
    for domain, platform in _DISCOVERY_DOMAINS:
        if host == domain or host.endswith("." + domain):
            return platform
    return None


def _what_else(parts: SplitResult) -> str | None:
    words = re.split(r"[/#?&=._-]+", f"{parts.path}/{parts.fragment}".lower())
    for word, meaning in _NOT_PLAYLIST_WORDS:
        if word in words:
            return meaning
    return None


def why_not(url: str, platform: str) -> str:
    """Why a URL on ``platform``'s domain is not a playlist or toplist, in words."""
    parts = urlsplit(url)
    if platform == "kuwo" and "/bodian/" in parts.path:
        return "a Bodian (波点) collection is not a kuwo playlist"
    if platform == "kuwo" and _KUWO_RANK_PATH.match(parts.path):
        return "a kuwo toplist URL without a bangId"
    other = _what_else(parts)
    if other:
        return f"this {platform} URL is {other}, not a playlist or toplist"
    return f"not a {platform} playlist or toplist URL (no playlist id found)"


def source_only_platform(url: str) -> str | None:
    """The download-only platform (kugou, migu, qianqian) ``url`` belongs to, if any."""
    host = (urlsplit(url).hostname or "").lower()
    for domain, platform in _SOURCE_ONLY_DOMAINS:
        if host == domain or host.endswith("." + domain):
            return platform
    return None

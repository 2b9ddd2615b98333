"""QQ Music wire formats shared by the collector and the resolver.

The musicu gateway (one POST carrying named requests, two levels of ``code``),
the ``comm`` member (web or app style, with the user's own login when one is
configured), HTML-entity and highlight cleanup, and the two song shapes QQ
answers with (old ``songmid/songname/size128`` and new ``mid/name/file.size_128mp3``)
normalised into one :class:`QQSong`.

The user's login (``uin`` + ``qqmusic_key``/``qm_keyst`` cookies) goes out as the
Cookie header and as ``qq``/``authst``/``tmeLoginType`` in ``comm``, the way
luren-dc/QQMusicApi (2025-08) sends it. It is never put in a URL, a log line or
an error message.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from catalogsync.accounts import Account
from catalogsync.http_client import USER_AGENT, UpstreamError, request_json
from catalogsync.platforms.qq_sign import body_bytes, sign

PLATFORM = "qq"
MUSICU_URL = "https://u.y.qq.com/cgi-bin/musicu.fcg"
SIGNED_URL = "https://u.y.qq.com/cgi-bin/musics.fcg"
SITE_HEADERS = {"Referer": "https://y.qq.com/", "Origin": "https://y.qq.com"}
# The QQ Music Android app: lx-music-mobile (2025-11, "修复TX源搜索失败") sends this comm and version.
APP_VERSION = 14090508
APP_USER_AGENT = f"QQMusic {APP_VERSION}(android 12)"
WEB_COMM: dict[str, Any] = {"ct": 24, "cv": 0, "uin": "0", "format": "json"}
APP_COMM: dict[str, Any] = {
    "ct": "11",
    "cv": str(APP_VERSION),
    "v": str(APP_VERSION),
    "tmeAppID": "qqmusic",
    "QIMEI36": "0",
    "uid": "0",
    "format": "json",
    "inCharset": "utf-8",
    "outCharset": "utf-8",
}
_TAGS = re.compile(r"</?em>", re.IGNORECASE)


@contextmanager
def expect_shape(what: str, url: str) -> Iterator[None]:
    """Turn a missing key or wrong type while reading an answer into an UpstreamError."""
    try:
        yield
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise UpstreamError(PLATFORM, url, f"unexpected {what} answer ({type(exc).__name__}: {exc})") from exc


def clean_text(value: object) -> str:
    """Unescape HTML entities exactly once and drop ``<em>`` highlight tags."""
    if value is None:
        return ""
    return html.unescape(_TAGS.sub("", str(value)))


def album_cover_url(album_mid: str) -> str:
    return f"https://y.gtimg.cn/music/photo_new/T002R300x300M000{album_mid}.jpg" if album_mid else ""


def account_uin(account: Account | None) -> str:
    """The account's QQ number (``uin`` cookie without its ``o`` prefix and leading zeros), or '0'."""
    if account is None:
        return "0"
    raw = (account.get("uin") or account.get("qqmusic_uin") or account.get("wxuin")).strip()
    digits = raw.lstrip("oO").lstrip("0")
    return digits if digits.isdigit() else "0"


def account_key(account: Account | None) -> str:
    """The music key of the login (``qqmusic_key``, else ``qm_keyst``), '' without one."""
    if account is None:
        return ""
    return account.get("qqmusic_key") or account.get("qm_keyst")


def comm(account: Account | None, *, app: bool = False) -> dict[str, Any]:
    """The ``comm`` member: web or app style, plus the user's login when both uin and key are set."""
    base = dict(APP_COMM if app else WEB_COMM)
    uin, key = account_uin(account), account_key(account)
    if uin != "0" and key:
        login_type = "1" if key.startswith("W_X") else "2"  # WeChat keys start with W_X
        base.update({"uin": uin, "qq": uin, "authst": key, "tmeLoginType": login_type})
        if app:
            base["uid"] = uin
    return base


def request_headers(
    account: Account | None, *, app: bool = False, base: dict[str, str] | None = None
) -> dict[str, str]:
    """Site headers (or ``base``), the app User-Agent for app calls, the login cookies when set."""
    headers = dict(SITE_HEADERS if base is None else base)
    headers["User-Agent"] = APP_USER_AGENT if app else USER_AGENT
    if account is not None and account.cookies:
        headers["Cookie"] = account.header()
    return headers


def musicu_body(
    key: str, module: str, method: str, param: dict[str, Any], comm_member: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"comm": comm_member or WEB_COMM, key: {"module": module, "method": method, "param": param}}


def musicu_data(payload: Any, key: str, what: str, url: str = MUSICU_URL) -> dict[str, Any]:
    """The ``data`` of named request ``key``, after checking the top-level and per-request codes."""
    if not isinstance(payload, dict):
        raise UpstreamError(PLATFORM, url, f"{what}: the gateway answer is not an object")
    if payload.get("code") != 0:
        raise UpstreamError(PLATFORM, url, f"{what}: gateway code {payload.get('code')!r}")
    part = payload.get(key)
    if not isinstance(part, dict):
        raise UpstreamError(PLATFORM, url, f"{what}: the answer has no {key!r} member")
    if part.get("code") != 0:
        raise UpstreamError(PLATFORM, url, f"{what}: request code {part.get('code')!r}")
    data = part.get("data")
    if not isinstance(data, dict):
        raise UpstreamError(PLATFORM, url, f"{what}: the answer has no data")
    return data


async def musicu_raw(
    client: httpx.AsyncClient,
    key: str,
    module: str,
    method: str,
    param: dict[str, Any],
    *,
    account: Account | None = None,
    app: bool = False,
    signed: bool = False,
) -> Any:
    """POST one named request to the gateway and return the whole answer (codes unchecked).

    ``signed``: to ``musics.fcg?sign=`` (as lx-music signs its search) instead of ``musicu.fcg``."""
    body = musicu_body(key, module, method, param, comm(account, app=app))
    return await request_json(
        client,
        PLATFORM,
        "POST",
        SIGNED_URL if signed else MUSICU_URL,
        params={"sign": sign(body_bytes(body))} if signed else None,
        json_body=body,
        headers=request_headers(account, app=app),
    )


async def musicu(
    client: httpx.AsyncClient,
    key: str,
    module: str,
    method: str,
    param: dict[str, Any],
    *,
    account: Account | None = None,
    app: bool = False,
    signed: bool = False,
) -> dict[str, Any]:
    """POST one named request to the gateway and return its checked ``data``."""
    payload = await musicu_raw(client, key, module, method, param, account=account, app=app, signed=signed)
    return musicu_data(payload, key, f"{module}.{method}", SIGNED_URL if signed else MUSICU_URL)


@dataclass(frozen=True)
class QQSong:
    """One song, whichever shape it came in."""

    mid: str
    name: str
    artists: tuple[tuple[str, str], ...]  # (singer mid, name)
    album: str
    album_mid: str
    duration_s: int
    media_mid: str
    sizes: dict[str, int]  # "128k" | "320k" | "flac" -> bytes (absent when 0)

    @property
    def cover_url(self) -> str:
        return album_cover_url(self.album_mid)


def _artists(singers: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(s.get("mid") or s.get("id") or ""), clean_text(s.get("name"))) for s in singers or ())


def _sizes(values: dict[str, Any]) -> dict[str, int]:
    return {label: int(size) for label, size in values.items() if size and int(size) > 0}


def _mid(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"song mid {value!r} is not a non-empty string")
    return value


def song_from_new(song: dict[str, Any]) -> QQSong:
    """Search results, toplist ``songInfoList`` and CgiGetDiss songs."""
    album = song.get("album") or {}
    file = song.get("file") or {}
    mid = _mid(song.get("mid"))
    return QQSong(
        mid=mid,
        name=clean_text(song.get("name") or song.get("title")),
        artists=_artists(song.get("singer")),
        album=clean_text(album.get("name") or album.get("title")),
        album_mid=str(album.get("mid") or ""),
        duration_s=int(song.get("interval") or 0),
        media_mid=str(file.get("media_mid") or mid),
        sizes=_sizes(
            {
                "128k": file.get("size_128mp3"),
                "320k": file.get("size_320mp3"),
                "flac": file.get("size_flac"),
            }
        ),
    )


def song_from_old(song: dict[str, Any]) -> QQSong:
    """Songs of the legacy playlist CGI (``songmid``, ``songname``, ``size128``…)."""
    mid = _mid(song.get("songmid"))
    return QQSong(
        mid=mid,
        name=clean_text(song.get("songname") or song.get("songorig")),
        artists=_artists(song.get("singer")),
        album=clean_text(song.get("albumname")),
        album_mid=str(song.get("albummid") or ""),
        duration_s=int(song.get("interval") or 0),
        media_mid=str(song.get("strMediaMid") or mid),
        sizes=_sizes(
            {"128k": song.get("size128"), "320k": song.get("size320"), "flac": song.get("sizeflac")}
        ),
    )

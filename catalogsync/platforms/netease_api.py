"""NetEase Cloud Music front doors: plain ``/api/...`` form posts and encrypted ``/eapi/...`` posts.

Read endpoints go through the plain front door on ``music.163.com`` (with the web
Referer and cookies); search and the song URL go through eapi on
``interface3.music.163.com`` (with ``os=pc``), as NeteaseCloudMusicApiEnhanced/api-enhanced
(2026) and lx-music do. Both answer JSON with an integer ``code`` (200 = OK); anything
else becomes an ``UpstreamError``.

Anonymous calls carry a device cookie (one random ``deviceId``/``NMTID`` per process, like
a client installation) and the anonymous ``MUSIC_A`` token registered for that device
(``netease_anonymous``). The user's own login (``MUSIC_U``, from
``CATALOGSYNC_NETEASE_COOKIE``) is added to the Cookie header and to the eapi ``header``
member, as api-enhanced's ``util/request.js`` sends it; it never goes into a URL, a log
line or an error message.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Collection, Mapping
from typing import Any

import httpx

from catalogsync.accounts import Account
from catalogsync.http_client import UpstreamError, request_json
from catalogsync.platforms.netease_anonymous import AnonymousToken
from catalogsync.platforms.netease_crypto import eapi_encrypt, eapi_path

PLATFORM = "netease"
WEB_BASE = "https://music.163.com"
EAPI_BASE = "https://interface3.music.163.com"
REFERER = "https://music.163.com"
APP_VERSION = "3.0.18.203152"
# One anonymous "installation" per process: the same device id on every call.
DEVICE_ID = secrets.token_hex(16).upper()
_DEVICE_COOKIES = {
    "__remember_me": "true",
    "NMTID": secrets.token_hex(16),
    "_ntes_nuid": secrets.token_hex(16),
    "deviceId": DEVICE_ID,
    "WEVNSM": "1.0.0",
}


def _cookie(pairs: Mapping[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in pairs.items())


ANONYMOUS = AnonymousToken(DEVICE_ID)


def _logged_in(account: Account | None) -> bool:
    return account is not None and bool(account.get("MUSIC_U"))


def _with_account(cookies: dict[str, str], account: Account | None, music_a: str) -> dict[str, str]:
    """The device cookies plus the user's own (``MUSIC_U``, ``__csrf``…), theirs winning;
    ``MUSIC_A`` only when there is no ``MUSIC_U``."""
    merged = {**cookies, **(account.cookies if account is not None else {})}
    if music_a and not _logged_in(account):
        merged["MUSIC_A"] = music_a
    return merged


def web_headers(account: Account | None = None, music_a: str = "") -> dict[str, str]:
    """Referer plus the device cookies (and the user's login) on ``music.163.com``."""
    return {"Referer": REFERER, "Cookie": _cookie(_with_account(dict(_DEVICE_COOKIES), account, music_a))}


def app_headers(account: Account | None = None, music_a: str = "") -> dict[str, str]:
    """Cookies of the desktop app (``os=pc``) for eapi calls, with the user's login when set."""
    cookies = {
        "os": "pc",
        "appver": APP_VERSION,
        "osver": "Microsoft-Windows-10",
        "channel": "netease",
        **_DEVICE_COOKIES,
    }
    return {"Referer": REFERER, "Cookie": _cookie(_with_account(cookies, account, music_a))}


def eapi_header(account: Account | None = None, music_a: str = "") -> str:
    """The eapi ``header`` member: a JSON string describing the app (and the login, when set),
    with the fields api-enhanced's ``util/request.js`` sends."""
    now = time.time()
    header = {
        "os": "pc",
        "appver": APP_VERSION,
        "osver": "Microsoft-Windows-10",
        "deviceId": DEVICE_ID,
        "channel": "netease",
        "versioncode": "140",
        "mobilename": "",
        "buildver": str(int(now)),
        "resolution": "1920x1080",
        "requestId": f"{int(now * 1000)}_{secrets.randbelow(1000):04d}",
    }
    if account is not None and account.get("MUSIC_U"):
        header["MUSIC_U"] = account.get("MUSIC_U")
    elif music_a:
        header["MUSIC_A"] = music_a
    if account is not None and account.get("__csrf"):
        header["__csrf"] = account.get("__csrf")
    return json.dumps(header, separators=(",", ":"))


async def _music_a(client: httpx.AsyncClient, account: Account | None) -> str:
    return "" if _logged_in(account) else await ANONYMOUS.get(client, web_headers())


def check_envelope(payload: Any, url: str, what: str, ok_codes: Collection[int] = (200,)) -> dict[str, Any]:
    """The payload as a dict when its ``code`` is acceptable; UpstreamError otherwise."""
    if not isinstance(payload, dict):
        raise UpstreamError(PLATFORM, url, f"{what}: expected a JSON object, got {type(payload).__name__}")
    code = payload.get("code")
    if code not in ok_codes:
        message = payload.get("msg") or payload.get("message") or ""
        raise UpstreamError(PLATFORM, url, f"{what}: code {code!r} {message}".rstrip())
    return payload


async def call_api(
    client: httpx.AsyncClient,
    path: str,
    form: Mapping[str, Any],
    what: str,
    ok_codes: Collection[int] = (200,),
    account: Account | None = None,
) -> dict[str, Any]:
    """POST a plain form to ``https://music.163.com{path}`` and check the envelope."""
    url = WEB_BASE + path
    fields = {name: str(value) for name, value in form.items()}
    headers = web_headers(account, await _music_a(client, account))
    payload = await request_json(client, PLATFORM, "POST", url, data=fields, headers=headers)
    return check_envelope(payload, url, what, ok_codes)


async def call_eapi(
    client: httpx.AsyncClient,
    path: str,
    params: Mapping[str, Any],
    what: str,
    account: Account | None = None,
) -> dict[str, Any]:
    """POST an eapi request to ``https://interface3.music.163.com{path}`` (``/eapi/...``)."""
    url = EAPI_BASE + path
    music_a = await _music_a(client, account)
    body = {"params": eapi_encrypt(eapi_path(path), {**params, "header": eapi_header(account, music_a)})}
    payload = await request_json(
        client, PLATFORM, "POST", url, data=body, headers=app_headers(account, music_a)
    )
    return check_envelope(payload, url, what)

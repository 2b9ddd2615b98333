"""NetEase Cloud Music front doors: plain ``/api/...`` form posts and encrypted ``/eapi/...`` posts.

Read endpoints go through the plain front door on ``music.163.com`` (with the web
Referer and cookies); the song URL endpoint goes through eapi on
``interface3.music.163.com`` (with ``os=pc``). Both answer JSON with an integer
``code`` (200 = OK); anything else becomes an ``UpstreamError``.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Collection, Mapping
from typing import Any

import httpx

from catalogsync.http_client import UpstreamError, request_json
from catalogsync.platforms.netease_crypto import eapi_encrypt, eapi_path

PLATFORM = "netease"
WEB_BASE = "https://music.163.com"
EAPI_BASE = "https://interface3.music.163.com"
REFERER = "https://music.163.com"
APP_VERSION = "3.0.18.203152"


def _cookie(pairs: Mapping[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in pairs.items())


def web_headers() -> dict[str, str]:
    """Referer plus the anonymous web cookies NetEase expects on ``music.163.com``."""
    cookies = {"__remember_me": "true", "NMTID": secrets.token_hex(16), "_ntes_nuid": secrets.token_hex(16)}
    return {"Referer": REFERER, "Cookie": _cookie(cookies)}


def app_headers() -> dict[str, str]:
    """Cookies of the desktop app (``os=pc``) for eapi calls."""
    cookies = {"os": "pc", "appver": APP_VERSION, "__remember_me": "true", "NMTID": secrets.token_hex(16)}
    return {"Referer": REFERER, "Cookie": _cookie(cookies)}


def _app_header() -> str:
    """The eapi ``header`` member: a JSON string describing the app."""
    request_id = f"{int(time.time() * 1000)}_{secrets.randbelow(1000):04d}"
    return json.dumps(
        {
            "os": "pc",
            "appver": APP_VERSION,
            "osver": "Microsoft-Windows-10",
            "deviceId": secrets.token_hex(16).upper(),
            "requestId": request_id,
        },
        separators=(",", ":"),
    )


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
) -> dict[str, Any]:
    """POST a plain form to ``https://music.163.com{path}`` and check the envelope."""
    url = WEB_BASE + path
    fields = {name: str(value) for name, value in form.items()}
    payload = await request_json(client, PLATFORM, "POST", url, data=fields, headers=web_headers())
    return check_envelope(payload, url, what, ok_codes)


async def call_eapi(
    client: httpx.AsyncClient, path: str, params: Mapping[str, Any], what: str
) -> dict[str, Any]:
    """POST an eapi request to ``https://interface3.music.163.com{path}`` (``/eapi/...``)."""
    url = EAPI_BASE + path
    body = {"params": eapi_encrypt(eapi_path(path), {**params, "header": _app_header()})}
    payload = await request_json(client, PLATFORM, "POST", url, data=body, headers=app_headers())
    return check_envelope(payload, url, what)

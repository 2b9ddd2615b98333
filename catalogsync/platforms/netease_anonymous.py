"""NetEase's anonymous login: the ``MUSIC_A`` token a client without ``MUSIC_U`` sends.

api-enhanced (2026, ``module/register_anonimous.js``) registers its device once with weapi
``/api/register/anonimous`` — ``username`` = base64 of ``"<deviceId> <id digest>"``, the
digest being base64(MD5(deviceId XOR a fixed key)) — and sends the ``MUSIC_A`` cookie it
gets back (cookie and eapi ``header``) on every anonymous call. Registration is best
effort: when it fails the calls go out without ``MUSIC_A`` and it is tried again later.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections.abc import Mapping

import httpx

from catalogsync.platforms.netease_crypto import weapi_encrypt

log = logging.getLogger(__name__)
REGISTER_URL = "https://music.163.com/weapi/register/anonimous"
RETRY_AFTER_S = 600.0
_ID_XOR_KEY = b"3go8&$8*3*3h0k(2)2"


def anonymous_username(device_id: str) -> str:
    """The ``username`` field that registers ``device_id`` (an ASCII id)."""
    raw = device_id.encode("ascii")
    xored = bytes(b ^ _ID_XOR_KEY[i % len(_ID_XOR_KEY)] for i, b in enumerate(raw))
    digest = base64.b64encode(hashlib.md5(xored).digest()).decode()
    return base64.b64encode(f"{device_id} {digest}".encode()).decode()


class AnonymousToken:
    """One ``MUSIC_A`` per process, registered on first use ('' while none could be had)."""

    def __init__(self, device_id: str) -> None:
        self._device_id = device_id
        self._token = ""
        self._next_try = 0.0

    async def get(self, client: httpx.AsyncClient, headers: Mapping[str, str]) -> str:
        if self._token or time.monotonic() < self._next_try:
            return self._token
        self._next_try = time.monotonic() + RETRY_AFTER_S
        form = weapi_encrypt({"username": anonymous_username(self._device_id), "csrf_token": ""})
        try:
            response = await client.post(REGISTER_URL, data=form, headers=dict(headers))
            answer = response.json() if response.status_code == 200 else {}
        except (httpx.HTTPError, ValueError) as exc:
            log.info("netease anonymous registration failed: %s", type(exc).__name__)
            return ""
        token = response.cookies.get("MUSIC_A") or ""
        client.cookies.delete("MUSIC_A")  # sent explicitly where it belongs, not by the shared jar
        if not isinstance(answer, dict) or answer.get("code") != 200 or not token:
            log.info("netease anonymous registration refused (HTTP %s)", response.status_code)
            return ""
        self._token = token
        return token

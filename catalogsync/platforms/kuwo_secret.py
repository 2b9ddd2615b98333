"""Kuwo web API access: the ``Secret`` header and the ``Hm_Iuvt_*`` token cookie.

The web API (``www.kuwo.cn/api/www/...``, ``/api/v1/www/...``) wants the token
cookie that ``GET https://www.kuwo.cn/`` sets, a Referer, and a header
``Secret: h(token, cookie name)``. ``h`` is the site's own script; it runs on
JavaScript numbers (doubles), so this port keeps JavaScript's ``parseInt`` and
number-to-string behaviour where a float changes the result. A ``success: false``
answer means the token was refused: the session fetches a new one and retries once.
When the homepage sets no ``Hm_Iuvt_*`` cookie (as it often does not today), the
session makes a 32-character token itself, which the web API accepts (kuwo.md §1,
QiuYaohong/kuwoMusicApi). The user's own login cookies, when configured, ride along.
"""

from __future__ import annotations

import asyncio
import math
import re
import secrets
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any, ClassVar

import httpx

from catalogsync.http_client import UpstreamError, request_json

PLATFORM = "kuwo"
HOME_URL = "https://www.kuwo.cn/"
TOKEN_COOKIE_PREFIX = "Hm_Iuvt_"
# The cookie name the site used last (listen1); a client-made token goes under it.
CLIENT_TOKEN_COOKIE = "Hm_Iuvt_cdb524f42f23cer9b268564v7y735ewrq2324"
CLIENT_TOKEN_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZabcdefhijkmnprstwxyz2345678"
CLIENT_TOKEN_LENGTH = 32
_MODULUS = 2**31 - 1
_LEADING_INT = re.compile(r"\s*([+-]?)(\d+)")


def _code_units(text: str) -> list[int]:
    """JavaScript ``charCodeAt`` values (UTF-16 code units)."""
    data = text.encode("utf-16-le", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]


def _js_parse_int(text: str) -> float:
    """``parseInt(text, 10)``: the leading digits as a double, NaN when there are none."""
    match = _LEADING_INT.match(text)
    if match is None:
        return math.nan
    try:
        value = float(int(match.group(2)))
    except OverflowError:
        value = math.inf
    return -value if match.group(1) == "-" else value


def _js_string(value: float) -> str:
    """``String(value)`` for a number: plain integers below 1e21, else the shortest exponent form."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def _js_int32(value: float) -> int:
    """ToInt32, as the ``^`` operator applies it."""
    if not math.isfinite(value):
        return 0
    wrapped = int(value) % 2**32
    return wrapped - 2**32 if wrapped >= 2**31 else wrapped


def secret(token: str, cookie_name: str, salt: int | None = None) -> str:
    """The ``Secret`` header for ``token`` (the value of cookie ``cookie_name``).

    ``salt`` is the random number the site draws in [0, 10^8); pass one for a
    deterministic result. Raises ValueError for a name the algorithm cannot use.
    """
    if salt is None:
        salt = secrets.randbelow(10**8)
    if not 0 <= salt < 10**8:
        raise ValueError("salt must be in [0, 10^8)")
    digits = "".join(str(code) for code in _code_units(cookie_name))
    step = len(digits) // 5
    picked = "".join(digits[i * step] if i * step < len(digits) else "" for i in range(1, 6))
    multiplier = _js_parse_int(picked)
    if not multiplier >= 2:
        raise ValueError(f"kuwo secret: cookie name {cookie_name!r} gives no usable hash")
    increment = math.ceil(len(_code_units(cookie_name)) / 2)
    folded = digits + str(salt)
    while len(folded) > 10:
        folded = _js_string(_js_parse_int(folded[:10]) + _js_parse_int(folded[10:]))
    state = math.fmod(multiplier * float(folded) + increment, _MODULUS)
    out = []
    for code in _code_units(token):
        mask = _js_int32(math.floor(state / _MODULUS * 255)) if math.isfinite(state) else 0
        out.append(format(code ^ mask, "02x"))
        state = math.fmod(multiplier * state + increment, _MODULUS)
    return "".join(out) + format(salt, "08x")


@dataclass(frozen=True)
class TokenCookie:
    """The ``Hm_Iuvt_*`` cookie: its (changing) name and its value, the token."""

    name: str
    value: str


class TokenRefused(UpstreamError):
    """The web API still answered ``success: false`` with a freshly fetched token."""


def token_from_set_cookie(headers: list[str]) -> TokenCookie | None:
    """The token cookie among ``Set-Cookie`` header values, or None."""
    for header in headers:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        for name, morsel in jar.items():
            if name.startswith(TOKEN_COOKIE_PREFIX) and morsel.value:
                return TokenCookie(name, morsel.value)
    return None


def client_token() -> TokenCookie:
    """A token made here, for when the homepage sets none."""
    value = "".join(secrets.choice(CLIENT_TOKEN_ALPHABET) for _ in range(CLIENT_TOKEN_LENGTH))
    return TokenCookie(CLIENT_TOKEN_COOKIE, value)


def refused(payload: Any) -> bool:
    """Whether a web API answer is the token refusal (``success: false``)."""
    return isinstance(payload, dict) and payload.get("success") is False


class KuwoWebSession:
    """Token cookie + ``Secret`` + Referer on every web API call; one refresh on refusal."""

    _shared: ClassVar[weakref.WeakKeyDictionary[httpx.AsyncClient, KuwoWebSession]] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, client: httpx.AsyncClient, cookie: TokenCookie | None = None) -> None:
        self._client = client
        self._cookie = cookie
        self._lock = asyncio.Lock()

    @classmethod
    def for_client(cls, client: httpx.AsyncClient) -> KuwoWebSession:
        """The session shared by every Kuwo adapter that uses ``client``."""
        session = cls._shared.get(client)
        if session is None:
            session = cls._shared[client] = cls(client)
        return session

    async def _fetch_token(self) -> TokenCookie:
        try:
            response = await self._client.get(HOME_URL, headers={"Accept": "text/html,*/*"})
        except httpx.HTTPError as exc:
            raise UpstreamError(PLATFORM, HOME_URL, f"token page: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise UpstreamError(
                PLATFORM, HOME_URL, f"token page: HTTP {response.status_code}", status=response.status_code
            )
        return token_from_set_cookie(response.headers.get_list("set-cookie")) or client_token()

    async def token(self, stale: TokenCookie | None = None) -> TokenCookie:
        """The current token; a new one when there is none or it is ``stale``."""
        async with self._lock:
            if self._cookie is None or self._cookie == stale:
                self._cookie = await self._fetch_token()
            return self._cookie

    async def get_json(
        self, url: str, params: Mapping[str, Any], *, referer: str = HOME_URL, user_cookies: str = ""
    ) -> dict[str, Any]:
        """GET a web API URL; raises TokenRefused when a fresh token is refused too.

        ``user_cookies`` (the user's own login, never logged) are sent beside the token."""
        cookie = await self.token()
        for attempt in range(2):
            token_cookie = f"{cookie.name}={cookie.value}"
            headers = {
                "Cookie": f"{token_cookie}; {user_cookies}" if user_cookies else token_cookie,
                "Secret": secret(cookie.value, cookie.name),
                "Referer": referer,
            }
            payload = await request_json(
                self._client,
                PLATFORM,
                "GET",
                url,
                params={**params, "reqId": str(uuid.uuid4())},
                headers=headers,
            )
            if not isinstance(payload, dict):
                raise UpstreamError(PLATFORM, url, f"expected a JSON object, got {type(payload).__name__}")
            if not refused(payload):
                return payload
            if attempt == 0:
                cookie = await self.token(stale=cookie)
        message = payload.get("message") or payload.get("msg") or "success: false"
        raise TokenRefused(PLATFORM, url, f"the token was refused twice: {message}")

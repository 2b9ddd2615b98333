"""Qianqian (music.91q.com) request signing: MD5 over the sorted raw query plus a fixed secret.

Every call carries ``appid``, ``timestamp`` (Unix seconds) and ``sign``. The sign
is the lower-case hex MD5 of ``k1=v1&k2=v2...`` (keys sorted, values un-encoded,
``sign`` itself left out) with the secret appended directly. The resolver signs
with it; the sandbox verifies with it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

APPID = "16073360"
SECRET = "0b50b02fd0d73a9c4c8c3a781c30845f"


def sign(params: Mapping[str, object]) -> str:
    """The ``sign`` value for ``params`` (any ``sign`` key in it is ignored)."""
    text = "&".join(f"{key}={params[key]}" for key in sorted(params) if key != "sign")
    return hashlib.md5((text + SECRET).encode("utf-8")).hexdigest()


def signed(params: Mapping[str, object], timestamp: int | None = None) -> dict[str, str]:
    """``params`` with ``appid``, ``timestamp`` and ``sign`` added, all values as strings."""
    out = {key: str(value) for key, value in params.items()}
    out["appid"] = APPID
    out["timestamp"] = str(int(time.time()) if timestamp is None else timestamp)
    out["sign"] = sign(out)
    return out


def verify(params: Mapping[str, str]) -> bool:
    """Whether ``params`` carry an appid, a numeric timestamp and the right sign."""
    given = params.get("sign", "")
    if params.get("appid") != APPID or not str(params.get("timestamp", "")).isdigit():
        return False
    return hmac.compare_digest(given.encode("utf-8"), sign(params).encode("ascii"))

"""The ``sign`` of QQ Music's signed gateway ``u.y.qq.com/cgi-bin/musics.fcg?sign=``.

Computed over the exact JSON body bytes (the steps are documented in
``shared/platforms/qq.md`` §1 after luren-dc/QQMusicApi ``utils/sign.py``): the upper-case
SHA-1 hex of the body, characters picked at fixed positions, 20 scrambled bytes in base64
without ``\\ / + =``, prefixed ``zzc`` and lower-cased. Nothing secret: the sandbox checks it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

_FIRST = (23, 14, 6, 36, 16, 7, 19)  # the reference lists 40 too, which JavaScript reads as ''
_LAST = (16, 1, 32, 12, 19, 27, 8, 5)
_SCRAMBLE = (89, 39, 179, 150, 218, 82, 58, 252, 177, 52, 186, 123, 120, 64, 242, 133, 143, 161, 121, 179)
_DROPPED = re.compile(rb"[\\/+=]")


def body_bytes(body: Any) -> bytes:
    """The body as httpx (0.28) sends ``json=``: compact separators, non-ASCII kept as UTF-8."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def sign(body: bytes) -> str:
    """The ``sign`` query value for a request whose JSON body is exactly ``body``."""
    digest = hashlib.sha1(body).hexdigest().upper()
    first = "".join(digest[i] for i in _FIRST)
    last = "".join(digest[i] for i in _LAST)
    scrambled = bytes(value ^ int(digest[2 * i : 2 * i + 2], 16) for i, value in enumerate(_SCRAMBLE))
    middle = _DROPPED.sub(b"", base64.b64encode(scrambled)).decode()
    return f"zzc{first}{middle}{last}".lower()

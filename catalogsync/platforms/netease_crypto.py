"""NetEase Cloud Music request encryption: the ``eapi`` (app) and ``weapi`` (web) front doors.

eapi: ``path-36cd479b6b5-json-36cd479b6b5-md5`` under AES-128-ECB with a fixed key,
hex-encoded into the ``params`` form field. Anyone holding the key can decrypt it,
which is how the sandbox reads eapi requests. weapi: AES-128-CBC twice (a fixed key,
then a random one) plus the random key RSA-encrypted for NetEase; only NetEase can
decrypt it, so nothing here does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import string
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

EAPI_KEY = b"e82ckenh8dichen8"
EAPI_SEPARATOR = "-36cd479b6b5-"
WEAPI_KEY = b"0CoJUm6Qyw8W8jud"
WEAPI_IV = b"0102030405060708"
WEAPI_RSA_EXPONENT = 0x010001
WEAPI_RSA_MODULUS = int(
    "00e0b509f6259df8642dbc35662901477df22677ec152b5ff68ace615bb7b725152b3ab17a876aea8a5aa76d2e417629"
    "ec4ee341f56135fccf695280104e0312ecbda92557c93870114af6c9d05c4f7f0c3685b7a46bee255932575cce10b424"
    "d813cfe4875d3e82047b97ddef52741d546b8e289dc6935b3ece0462db0a22b8e7",
    16,
)
_SECRET_ALPHABET = string.ascii_letters + string.digits


class EapiError(ValueError):
    """An eapi ``params`` value that does not decrypt to a well-formed request."""


@dataclass(frozen=True)
class EapiRequest:
    path: str  # the ``/api/...`` path the request was signed for
    params: dict[str, Any]


def _aes_encrypt(data: bytes, key: bytes, mode: modes.CBC | modes.ECB) -> bytes:
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), mode).encryptor()
    return encryptor.update(padder.update(data) + padder.finalize()) + encryptor.finalize()


def _aes_decrypt(data: bytes, key: bytes, mode: modes.CBC | modes.ECB) -> bytes:
    decryptor = Cipher(algorithms.AES(key), mode).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(decryptor.update(data) + decryptor.finalize()) + unpadder.finalize()


def eapi_path(url_path: str) -> str:
    """The path an eapi request is signed for: ``/eapi/x`` → ``/api/x``."""
    return "/api/" + url_path.removeprefix("/eapi/") if url_path.startswith("/eapi/") else url_path


def _digest(path: str, text: str) -> str:
    return hashlib.md5(f"nobody{path}use{text}md5forencrypt".encode()).hexdigest()


def eapi_encrypt(path: str, params: dict[str, Any]) -> str:
    """The ``params`` form field (upper-case hex) for an eapi request to ``path`` (``/api/...``)."""
    text = json.dumps(params, ensure_ascii=False, separators=(",", ":"))
    data = f"{path}{EAPI_SEPARATOR}{text}{EAPI_SEPARATOR}{_digest(path, text)}"
    return _aes_encrypt(data.encode(), EAPI_KEY, modes.ECB()).hex().upper()


def eapi_decrypt(params_hex: str) -> EapiRequest:
    """Read an eapi ``params`` field back (hex in either case); EapiError when it is not one."""
    try:
        plain = _aes_decrypt(binascii.unhexlify(params_hex.strip()), EAPI_KEY, modes.ECB()).decode()
    except (ValueError, binascii.Error) as exc:
        raise EapiError(f"eapi params do not decrypt: {exc}") from exc
    parts = plain.split(EAPI_SEPARATOR)
    if len(parts) != 3:
        raise EapiError("eapi params are not path-text-digest")
    path, text, digest = parts
    if _digest(path, text) != digest:
        raise EapiError("eapi params digest does not match")
    try:
        params = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EapiError(f"eapi params are not JSON: {exc}") from exc
    if not isinstance(params, dict):
        raise EapiError("eapi params are not a JSON object")
    return EapiRequest(path, params)


def weapi_encrypt(params: dict[str, Any], secret: str | None = None) -> dict[str, str]:
    """The ``params`` and ``encSecKey`` form fields of a weapi request (``secret``: 16 ASCII chars)."""
    secret = secret or "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(16))
    if len(secret) != 16 or not secret.isascii():
        raise ValueError("the weapi secret must be 16 ASCII characters")
    text = json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode()
    first = base64.b64encode(_aes_encrypt(text, WEAPI_KEY, modes.CBC(WEAPI_IV)))
    second = base64.b64encode(_aes_encrypt(first, secret.encode(), modes.CBC(WEAPI_IV)))
    rsa = pow(int.from_bytes(secret[::-1].encode(), "big"), WEAPI_RSA_EXPONENT, WEAPI_RSA_MODULUS)
    return {"params": second.decode(), "encSecKey": format(rsa, "x").zfill(256)}

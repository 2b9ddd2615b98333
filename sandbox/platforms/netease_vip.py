"""Sandbox NetEase: the test account, what it unlocks, and the search cloudsearch hides.

The test account is ``MUSIC_U=VIP_MUSIC_U``, as a cookie or as ``MUSIC_U`` in the eapi
``header`` member (how api-enhanced sends it). With it ``player/url/v1`` serves VIP-only
songs and the lossless levels, ``nuser/account/get`` names a VIP user and the private
playlist (one index past the square's last) is visible. Anonymous clients get at most
``exhigh`` (320k) of free songs, a 30-second trial of VIP-only songs, and ``code 401``
for the private playlist.

Anonymous login: ``/weapi/register/anonimous`` (weapi, which the sandbox cannot decrypt: any
``params``/``encSecKey`` form is accepted) sets a ``MUSIC_A`` cookie the sandbox can check
later (``anonymous_token_ok``); ``nuser/account/get`` with it answers an anonymous account.

Search: ``/eapi/search/song/list/page`` lists every song; ``/api/cloudsearch/pc`` leaves out
about one work in five (``hidden_from_cloudsearch``), like lx-music-desktop issue #2665.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from starlette.requests import Request

from sandbox.catalog import VARIANTS, Catalog, Playlist, Track
from sandbox.platforms import netease_shapes as shapes

VIP_MUSIC_U = "sandbox-vip-music-u-00112233445566778899"
ANONYMOUS_CEILING = "320k"


def is_vip(request: Request, eapi_params: dict[str, Any] | None = None) -> bool:
    """The test account's ``MUSIC_U`` came as a cookie or in the eapi ``header``."""
    if request.cookies.get("MUSIC_U") == VIP_MUSIC_U:
        return True
    header = (eapi_params or {}).get("header")
    if isinstance(header, str):
        try:
            header = json.loads(header)
        except ValueError:
            header = None
    return isinstance(header, dict) and header.get("MUSIC_U") == VIP_MUSIC_U


def available(catalog: Catalog, key: int) -> bool:
    """Whether a VIP account gets the full song (listed and not withdrawn everywhere)."""
    return catalog.listed(shapes.SOURCE, key) and not catalog.unavailable_everywhere(key // VARIANTS)


def hidden_from_cloudsearch(key: int) -> bool:
    """About one work in five (never work 0) is missing from cloudsearch results."""
    w = key // VARIANTS
    return w > 0 and hashlib.md5(f"cloudsearch|{w}".encode()).digest()[0] % 5 == 0


def private_playlist(catalog: Catalog) -> Playlist:
    return catalog.playlist(shapes.SOURCE, "playlist_square", catalog.config.playlists)


def find_playlist(catalog: Catalog, remote_id: str, vip: bool) -> tuple[Playlist | None, bool]:
    """(the playlist or None, whether it is the private one asked without its owner's login)."""
    found = catalog.find_playlist(shapes.SOURCE, remote_id)
    if found is not None:
        return found, False
    private = private_playlist(catalog)
    if remote_id.strip() == private.remote_id:
        return (private, False) if vip else (None, True)
    return None, False


def song_list_page(catalog: Catalog, tracks: list[Track], total: int) -> dict[str, Any]:
    """The ``search/song/list/page`` answer: songs (with ``privilege``) inside ``resources``."""
    resources = [
        {
            "resourceId": str(shapes.song(catalog, t.key)["id"]),
            "resourceType": "song",
            "baseInfo": {
                "simpleSongData": {
                    **shapes.song(catalog, t.key),
                    "privilege": shapes.privilege(catalog, t.key),
                }
            },
        }
        for t in tracks
    ]
    return {"code": 200, "data": {"resources": resources, "totalCount": total, "hasMore": False}}


def _token_sign(seed: int, nonce: str) -> str:
    return hashlib.md5(f"netease-anonymous|{seed}|{nonce}".encode()).hexdigest()[:16]


def new_anonymous_token(seed: int) -> str:
    nonce = secrets.token_hex(8)
    return f"{nonce}{_token_sign(seed, nonce)}"


def anonymous_token_ok(seed: int, token: str) -> bool:
    return len(token) == 32 and _token_sign(seed, token[:16]) == token[16:]


def account_answer(vip: bool, anonymous: bool = False) -> dict[str, Any]:
    """``nuser/account/get``: the VIP user, an anonymous account (a valid ``MUSIC_A``), or
    nobody (``account``/``profile`` null)."""
    if not vip and anonymous:
        return {"code": 200, "account": {"id": 8000001, "type": 1000, "anonimousUser": True}, "profile": None}
    if not vip:
        return {"code": 200, "account": None, "profile": None}
    return {
        "code": 200,
        "account": {"id": 3100001, "userName": "1_sandbox", "type": 1, "vipType": 11, "anonimousUser": False},
        "profile": {"userId": 3100001, "nickname": "沙盒用户", "vipType": 11},
    }

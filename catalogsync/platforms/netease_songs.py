"""Reading NetEase song objects, in one place for the collector and the resolver.

The current shape (playlist ``tracks``, ``song/detail``, ``cloudsearch``) has
``ar[]``/``al``/``dt`` (ms); the legacy search shape has ``artists[]``/``album``/
``duration``. Both are read here; ids are kept as strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from catalogsync.http_client import UpstreamError
from catalogsync.platforms.netease_api import PLATFORM

_HIGHLIGHT = re.compile(r"</?em>", re.I)


@dataclass(frozen=True)
class SongInfo:
    song_id: str
    name: str
    artists: tuple[tuple[str, str], ...]  # (artist id or '', name)
    album: str
    duration_s: int
    cover_url: str


def _text(value: Any) -> str:
    return _HIGHLIGHT.sub("", value) if isinstance(value, str) else ""


def _id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        return ""
    return str(value).strip()


def read_song(song: Any, url: str) -> SongInfo:
    """The fields we use from one song object; UpstreamError when it is not one."""
    if not isinstance(song, dict) or not _id(song.get("id")):
        raise UpstreamError(PLATFORM, url, f"song object without an id: {str(song)[:80]!r}")
    raw_artists = song.get("ar") if isinstance(song.get("ar"), list) else song.get("artists")
    artists = tuple(
        ("" if _id(a.get("id")) in ("", "0") else _id(a.get("id")), _text(a.get("name")))
        for a in raw_artists or ()
        if isinstance(a, dict) and _text(a.get("name"))
    )
    album = song.get("al") if isinstance(song.get("al"), dict) else song.get("album")
    album = album if isinstance(album, dict) else {}
    millis = song.get("dt", song.get("duration"))
    duration_s = round(millis / 1000) if isinstance(millis, int | float) and millis > 0 else 0
    return SongInfo(
        song_id=_id(song["id"]),
        name=_text(song.get("name")),
        artists=artists,
        album=_text(album.get("name")),
        duration_s=duration_s,
        cover_url=_text(album.get("picUrl")),
    )

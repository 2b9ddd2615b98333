"""Pure parsers for NetEase discovery responses (square, toplists, playlist detail, song detail)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalogsync import json_text
from catalogsync.http_client import UpstreamError
from catalogsync.platforms.netease_api import PLATFORM, WEB_BASE
from catalogsync.platforms.netease_songs import read_song
from catalogsync.v1 import common_pb2

SQUARE_PATH = "/api/playlist/list"
TOPLIST_PATH = "/api/toplist"
DETAIL_PATH = "/api/v6/playlist/detail"
SONG_DETAIL_PATH = "/api/v3/song/detail"
_BULKY_KEYS = ("tracks", "trackIds", "subscribers")


@dataclass(frozen=True)
class SquarePage:
    playlists: list[common_pb2.PlaylistSummary]
    total: int  # 0 when the platform does not say
    more: bool


@dataclass(frozen=True)
class PlaylistDetail:
    playlist: common_pb2.PlaylistSummary
    track_ids: list[str]  # the complete ordered list (``trackIds``)
    songs: dict[str, dict[str, Any]]  # raw song objects the response already carries, by id


def source_url(remote_id: str, kind: common_pb2.DiscoveryKind) -> str:
    """A URL a human can open (and that ``parse_url`` reads back with the same kind)."""
    if kind == common_pb2.TOPLIST:
        return f"{WEB_BASE}/#/discover/toplist?id={remote_id}"
    return f"{WEB_BASE}/#/playlist?id={remote_id}"


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.strip().isdigit() else 0


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _list(payload: dict[str, Any], key: str, url: str, what: str) -> list[Any]:
    value = payload.get(key)
    if not isinstance(value, list):
        raise UpstreamError(PLATFORM, url, f"{what}: '{key}' is not a list")
    return value


def playlist_summary(item: Any, kind: common_pb2.DiscoveryKind, url: str) -> common_pb2.PlaylistSummary:
    """One playlist object (square item, toplist entry or detail ``playlist``) as a summary."""
    if not isinstance(item, dict) or _int(item.get("id")) <= 0:
        raise UpstreamError(PLATFORM, url, f"playlist object without an id: {str(item)[:80]!r}")
    remote_id = str(item["id"])
    creator = item.get("creator")
    creator = creator if isinstance(creator, dict) else {}
    metadata = {k: v for k, v in item.items() if k not in _BULKY_KEYS}
    return common_pb2.PlaylistSummary(
        platform=PLATFORM,
        remote_playlist_id=remote_id,
        kind=kind,
        name=_str(item.get("name")),
        cover_url=_str(item.get("coverImgUrl")),
        play_count=_int(item.get("playCount")),
        creator=_str(creator.get("nickname")),
        track_count=_int(item.get("trackCount")),
        description=_str(item.get("description")),
        source_url=source_url(remote_id, kind),
        metadata_json=json_text.dumps(metadata),
    )


def parse_square(payload: dict[str, Any]) -> SquarePage:
    """``/api/playlist/list``: ``playlists[]``, ``total`` and ``more``."""
    url = WEB_BASE + SQUARE_PATH
    items = _list(payload, "playlists", url, "playlist square")
    playlists = [playlist_summary(item, common_pb2.PLAYLIST_SQUARE, url) for item in items]
    return SquarePage(playlists, _int(payload.get("total")), payload.get("more") is True)


def parse_toplists(payload: dict[str, Any]) -> list[common_pb2.PlaylistSummary]:
    """``/api/toplist``: every chart in ``list[]`` (the separate artist chart is not a playlist)."""
    url = WEB_BASE + TOPLIST_PATH
    items = _list(payload, "list", url, "toplists")
    return [playlist_summary(item, common_pb2.TOPLIST, url) for item in items]


def parse_playlist_detail(payload: dict[str, Any], kind: common_pb2.DiscoveryKind) -> PlaylistDetail | None:
    """``/api/v6/playlist/detail``; None when the response carries no playlist."""
    url = WEB_BASE + DETAIL_PATH
    item = payload.get("playlist")
    if not isinstance(item, dict):
        return None
    summary = playlist_summary(item, kind, url)
    tracks = item.get("tracks")
    tracks = tracks if isinstance(tracks, list) else []
    songs = {read_song(song, url).song_id: song for song in tracks}
    if "trackIds" not in item and tracks:  # older shapes: the expanded songs are all there is
        return PlaylistDetail(summary, list(songs), songs)
    track_ids: list[str] = []
    for entry in _list(item, "trackIds", url, "playlist detail"):
        song_id = _int(entry.get("id")) if isinstance(entry, dict) else 0
        if song_id <= 0:
            raise UpstreamError(PLATFORM, url, f"playlist detail: bad trackIds entry {str(entry)[:80]!r}")
        track_ids.append(str(song_id))
    return PlaylistDetail(summary, track_ids, songs)


def parse_song_details(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``/api/v3/song/detail``: raw song objects by id (ids NetEase does not know are absent)."""
    url = WEB_BASE + SONG_DETAIL_PATH
    return {read_song(song, url).song_id: song for song in _list(payload, "songs", url, "song detail")}


def song_snapshot(song: dict[str, Any]) -> common_pb2.SongSnapshot:
    """A song object as the snapshot the collector returns (raw object in ``metadata_json``)."""
    info = read_song(song, WEB_BASE + SONG_DETAIL_PATH)
    return common_pb2.SongSnapshot(
        platform=PLATFORM,
        remote_song_id=info.song_id,
        name=info.name,
        artists=[common_pb2.ArtistRef(remote_id=artist_id, name=name) for artist_id, name in info.artists],
        album=info.album,
        duration_s=info.duration_s,
        cover_url=info.cover_url,
        metadata_json=json_text.dumps(song),
    )

"""Kuwo (酷我) discovery answers parsed into protobuf messages, one function per shape.

Web API (``code`` 200 envelope, int numbers), nplserver (``result: "ok"``, strings),
kbangserver (bang songs, strings) and the qukudata board tree. Names carry HTML
entities (unescaped once); artists are one ``&``-joined string plus the first id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from catalogsync import json_text
from catalogsync.http_client import UpstreamError
from catalogsync.platforms.kuwo import PLATFORM, plain_text, split_artist_names, to_int
from catalogsync.v1 import common_pb2
from services.collector.platforms.base import PlaylistNotFound


def split_artists(joined: str, first_id: Any = None) -> list[common_pb2.ArtistRef]:
    """Artists of a ``&``-joined string; the first one gets ``first_id``."""
    refs = [common_pb2.ArtistRef(name=name) for name in split_artist_names(joined)]
    if refs and to_int(first_id) > 0:
        refs[0].remote_id = str(to_int(first_id))
    return refs


def playlist_url(remote_id: str) -> str:
    return f"https://www.kuwo.cn/playlist_detail/{remote_id}"


def toplist_url(bang_id: str) -> str:
    return f"https://www.kuwo.cn/rankList?bangId={bang_id}"


def _raw(value: Any) -> str:
    return json_text.dumps(value)


def web_data(payload: Any, url: str, what: str) -> Any:
    """``data`` of a web API answer whose ``code`` is 200; UpstreamError otherwise."""
    if not isinstance(payload, dict):
        raise UpstreamError(PLATFORM, url, f"{what}: expected a JSON object")
    code = to_int(payload.get("code")) if "code" in payload else -1
    if code != 200:
        message = payload.get("msg") or payload.get("message") or "no message"
        raise UpstreamError(PLATFORM, url, f"{what}: code {payload.get('code')!r}: {message}")
    return payload.get("data")


def parse_song(raw: Any, url: str) -> common_pb2.SongSnapshot:
    """A web API song object or an nplserver ``musiclist`` item."""
    if not isinstance(raw, dict):
        raise UpstreamError(PLATFORM, url, f"song entry is {type(raw).__name__}, not an object")
    rid = to_int(str(raw.get("rid") or raw.get("id") or raw.get("musicrid") or "").removeprefix("MUSIC_"))
    if rid <= 0:
        raise UpstreamError(PLATFORM, url, f"song without an id: {_raw(raw)[:120]}")
    return common_pb2.SongSnapshot(
        platform=PLATFORM,
        remote_song_id=str(rid),
        name=plain_text(raw.get("name")),
        artists=split_artists(raw.get("artist", ""), raw.get("artistid")),
        album=plain_text(raw.get("album")),
        duration_s=to_int(raw.get("duration")),
        cover_url=str(raw.get("albumpic") or raw.get("pic") or raw.get("pic120") or ""),
        metadata_json=_raw(raw),
    )


def _songs(rows: Any, url: str) -> list[common_pb2.SongSnapshot]:
    if not isinstance(rows, list):
        raise UpstreamError(PLATFORM, url, "track list is missing or not a list")
    return [parse_song(row, url) for row in rows]


def _playlist_id(raw: dict[str, Any], url: str) -> str:
    remote_id = to_int(raw.get("id"))
    if remote_id <= 0:
        raise UpstreamError(PLATFORM, url, f"playlist without an id: {_raw(raw)[:120]}")
    return str(remote_id)


def parse_square(payload: Any, url: str) -> tuple[list[common_pb2.PlaylistSummary], int]:
    """(playlists, total) of a ``getRcmPlayList`` page."""
    data = web_data(payload, url, "playlist square")
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise UpstreamError(PLATFORM, url, "playlist square: data.data is missing")
    playlists = []
    for raw in data["data"]:
        if not isinstance(raw, dict):
            raise UpstreamError(PLATFORM, url, "playlist square: an entry is not an object")
        remote_id = _playlist_id(raw, url)
        playlists.append(
            common_pb2.PlaylistSummary(
                platform=PLATFORM,
                remote_playlist_id=remote_id,
                kind=common_pb2.PLAYLIST_SQUARE,
                name=plain_text(raw.get("name")),
                cover_url=str(raw.get("img") or ""),
                play_count=to_int(raw.get("listencnt")),
                creator=plain_text(raw.get("uname") or raw.get("userName")),
                track_count=to_int(raw.get("total")),
                description=plain_text(raw.get("desc") or raw.get("info")),
                source_url=playlist_url(remote_id),
                metadata_json=_raw(raw),
            )
        )
    return playlists, to_int(data.get("total"))


def parse_toplists(payload: Any, url: str) -> list[common_pb2.PlaylistSummary]:
    """Every board of ``bangMenu``, in order; the id is ``sourceid`` (the bangId)."""
    groups = web_data(payload, url, "toplist index")
    if not isinstance(groups, list):
        raise UpstreamError(PLATFORM, url, "toplist index: data is not a list")
    boards = []
    for group in groups:
        entries = group.get("list") if isinstance(group, dict) else None
        if not isinstance(entries, list):
            raise UpstreamError(PLATFORM, url, "toplist index: a group has no list")
        for raw in entries:
            bang_id = to_int(raw.get("sourceid")) if isinstance(raw, dict) else 0
            if bang_id <= 0:
                raise UpstreamError(PLATFORM, url, f"toplist without a sourceid: {_raw(raw)[:120]}")
            boards.append(
                common_pb2.PlaylistSummary(
                    platform=PLATFORM,
                    remote_playlist_id=str(bang_id),
                    kind=common_pb2.TOPLIST,
                    name=plain_text(raw.get("name")),
                    cover_url=str(raw.get("pic") or ""),
                    description=plain_text(raw.get("intro")),
                    source_url=toplist_url(str(bang_id)),
                    metadata_json=_raw(raw),
                )
            )
    return boards


@dataclass(frozen=True)
class DetailPage:
    """One page of a playlist or toplist: the playlist itself (when the page says) and its tracks."""

    tracks: list[common_pb2.SongSnapshot]
    total: int
    summary: common_pb2.PlaylistSummary | None = None


def parse_bang_songs(payload: Any, url: str) -> DetailPage:
    """A page of ``bang/musicList``; ``data.num`` is the (string) total."""
    data = web_data(payload, url, "toplist songs")
    if data is None:
        raise PlaylistNotFound(f"kuwo has no toplist at {url}")
    if not isinstance(data, dict):
        raise UpstreamError(PLATFORM, url, "toplist songs: data is not an object")
    return DetailPage(_songs(data.get("musicList"), url), to_int(data.get("num")))


def _detail_summary(raw: dict[str, Any], remote_id: str) -> common_pb2.PlaylistSummary:
    meta = {k: v for k, v in raw.items() if k.lower() != "musiclist"}
    return common_pb2.PlaylistSummary(
        platform=PLATFORM,
        remote_playlist_id=remote_id,
        kind=common_pb2.PLAYLIST_SQUARE,
        name=plain_text(raw.get("name") or raw.get("title")),
        cover_url=str(raw.get("img500") or raw.get("img") or raw.get("pic") or ""),
        play_count=to_int(raw.get("listencnt") or raw.get("playnum")),
        creator=plain_text(raw.get("uname") or raw.get("userName")),
        track_count=to_int(raw.get("total")),
        description=plain_text(raw.get("info") or raw.get("desc")),
        source_url=playlist_url(remote_id),
        metadata_json=_raw(meta),
    )


def parse_playlist_info(payload: Any, url: str) -> DetailPage:
    """A page of the web ``playListInfo``; ``data: null`` means there is no such playlist."""
    data = web_data(payload, url, "playlist detail")
    if data is None:
        raise PlaylistNotFound(f"kuwo has no playlist at {url}")
    if not isinstance(data, dict):
        raise UpstreamError(PLATFORM, url, "playlist detail: data is not an object")
    summary = _detail_summary(data, _playlist_id(data, url))
    return DetailPage(_songs(data.get("musicList"), url), to_int(data.get("total")), summary)


def parse_nplserver_playlist(payload: Any, url: str) -> DetailPage:
    """A page of nplserver ``getlistinfo`` (``result: "ok"``, string numbers, 0-based pn)."""
    if not isinstance(payload, dict) or payload.get("result") != "ok":
        result = payload.get("result") if isinstance(payload, dict) else type(payload).__name__
        raise UpstreamError(PLATFORM, url, f"nplserver playlist: result {result!r}")
    summary = _detail_summary(payload, _playlist_id(payload, url))
    return DetailPage(_songs(payload.get("musiclist"), url), to_int(payload.get("total")), summary)


async def collect_pages(
    fetch: Callable[[int], Awaitable[DetailPage]], track_limit: int
) -> tuple[DetailPage, list[common_pb2.SongSnapshot]]:
    """(first page, tracks) over pages 1, 2, ... until the total, an empty or repeated page, or the limit.

    Progress is counted in tracks received, not pages × size: servers may cap the page size.
    """
    first: DetailPage | None = None
    tracks: list[common_pb2.SongSnapshot] = []
    seen: set[str] = set()
    number = 1
    while True:
        page = await fetch(number)
        first = first or page
        fresh = [t for t in page.tracks if t.remote_song_id not in seen]
        seen.update(t.remote_song_id for t in fresh)
        tracks.extend(fresh)
        if track_limit and len(tracks) >= track_limit:
            return first, tracks[:track_limit]
        if not fresh or len(tracks) >= page.total:
            return first, tracks
        number += 1


def _board(raw: dict[str, Any], bang_id: int) -> common_pb2.PlaylistSummary:
    return common_pb2.PlaylistSummary(
        platform=PLATFORM,
        remote_playlist_id=str(bang_id),
        kind=common_pb2.TOPLIST,
        name=plain_text(raw.get("name") or raw.get("disname")),
        cover_url=str(raw.get("pic") or raw.get("v9_pic2") or ""),
        description=plain_text(raw.get("intro") or raw.get("info")),
        source_url=toplist_url(str(bang_id)),
        metadata_json=_raw({k: v for k, v in raw.items() if k not in {"child", "musiclist"}}),
    )


def parse_quku_boards(payload: Any, url: str) -> list[common_pb2.PlaylistSummary]:
    """Boards of the qukudata tree (``child[]``, nested once); only ``source == "1"`` are bang lists."""
    if not isinstance(payload, dict) or not isinstance(payload.get("child"), list):
        raise UpstreamError(PLATFORM, url, "toplist tree: no child list")
    boards: dict[str, common_pb2.PlaylistSummary] = {}
    pending = list(payload["child"])
    while pending:
        raw = pending.pop(0)
        if not isinstance(raw, dict):
            continue
        if isinstance(raw.get("child"), list):
            pending.extend(raw["child"])
        bang_id = to_int(raw.get("sourceid"))
        if str(raw.get("source")) == "1" and bang_id > 0 and str(bang_id) not in boards:
            boards[str(bang_id)] = _board(raw, bang_id)
    return list(boards.values())


def parse_kbang_songs(payload: Any, url: str) -> DetailPage:
    """A page of kbangserver ``ksong.s`` (``musiclist``, string ``num`` total, board name and cover)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("musiclist"), list):
        raise UpstreamError(PLATFORM, url, "toplist songs: no musiclist")
    bang_id = to_int(payload.get("id") or payload.get("sourceid"))
    summary = _board(payload, bang_id) if bang_id > 0 else None
    return DetailPage(_songs(payload["musiclist"], url), to_int(payload.get("num")), summary)

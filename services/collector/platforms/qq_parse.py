"""Pure parsers for QQ Music discovery answers (square, toplists, playlist detail)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from catalogsync import json_text
from catalogsync.http_client import UpstreamError
from catalogsync.platforms.qq import (
    PLATFORM,
    QQSong,
    clean_text,
    expect_shape,
    song_from_new,
    song_from_old,
)
from catalogsync.v1 import common_pb2
from services.collector.platforms.base import PlaylistNotFound

NON_MUSIC_REASON = "非音乐资源(有声榜条目)"
TOPLIST_CREATOR = "QQ音乐"


def playlist_url(remote_id: str) -> str:
    return f"https://y.qq.com/n/ryqq/playlist/{remote_id}"


def toplist_url(top_id: str) -> str:
    return f"https://y.qq.com/n/ryqq/toplist/{top_id}"


def _raw(value: Any) -> str:
    return json_text.dumps(value)


def snapshot(song: QQSong, raw: dict[str, Any]) -> common_pb2.SongSnapshot:
    return common_pb2.SongSnapshot(
        platform=PLATFORM,
        remote_song_id=song.mid,
        name=song.name,
        artists=[common_pb2.ArtistRef(remote_id=mid, name=name) for mid, name in song.artists],
        album=song.album,
        duration_s=song.duration_s,
        cover_url=song.cover_url,
        metadata_json=_raw(raw),
    )


def _cgi_data(payload: Any, url: str, what: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise UpstreamError(PLATFORM, url, f"{what}: the answer is not an object")
    if payload.get("code") != 0:
        raise UpstreamError(
            PLATFORM, url, f"{what}: code {payload.get('code')!r} {payload.get('message') or ''}".rstrip()
        )
    data = payload.get("data")
    if not isinstance(data, dict):
        raise UpstreamError(PLATFORM, url, f"{what}: the answer has no data")
    return data


@dataclass(frozen=True)
class SquarePage:
    playlists: list[common_pb2.PlaylistSummary]
    total: int  # data.sum
    received: int  # items in data.list (the next sin is sin + received)


def parse_square(payload: Any, url: str) -> SquarePage:
    """One ``fcg_get_diss_by_tag`` page; a refusal (non-zero code) is an UpstreamError."""
    data = _cgi_data(payload, url, "playlist square")
    with expect_shape("playlist square", url):
        items = data.get("list") or []
        playlists = [
            common_pb2.PlaylistSummary(
                platform=PLATFORM,
                remote_playlist_id=str(item["dissid"]),
                kind=common_pb2.PLAYLIST_SQUARE,
                name=clean_text(item.get("dissname")),
                cover_url=str(item.get("imgurl") or ""),
                play_count=int(item.get("listennum") or 0),
                creator=clean_text((item.get("creator") or {}).get("name")),
                description=clean_text(item.get("introduction")),
                source_url=playlist_url(str(item["dissid"])),
                metadata_json=_raw(item),
            )
            for item in items
        ]
        return SquarePage(playlists, int(data.get("sum") or 0), len(items))


def _is_video_row(row: dict[str, Any]) -> bool:
    return not row.get("songId") and bool(row.get("vid") or row.get("mvid"))


def _toplist_summary(entry: dict[str, Any]) -> common_pb2.PlaylistSummary:
    top_id = str(entry["topId"])
    return common_pb2.PlaylistSummary(
        platform=PLATFORM,
        remote_playlist_id=top_id,
        kind=common_pb2.TOPLIST,
        name=clean_text(entry.get("title")),
        cover_url=str(entry.get("frontPicUrl") or entry.get("headPicUrl") or ""),
        play_count=int(entry.get("listenNum") or 0),
        creator=TOPLIST_CREATOR,
        track_count=int(entry.get("totalNum") or 0),
        description=clean_text(entry.get("intro")),
        source_url=toplist_url(top_id),
        metadata_json=_raw({k: v for k, v in entry.items() if k != "song"}),
    )


def parse_toplists(data: dict[str, Any], url: str) -> list[common_pb2.PlaylistSummary]:
    """Music toplists of ``GetAll``; charts whose preview rows are all videos (MV榜) are dropped."""
    with expect_shape("toplist index", url):
        out: list[common_pb2.PlaylistSummary] = []
        for group in data["group"]:
            for entry in group.get("toplist") or []:
                rows = entry.get("song") or []
                if rows and all(_is_video_row(row) for row in rows):
                    continue
                out.append(_toplist_summary(entry))
        return out


@dataclass(frozen=True)
class ToplistPage:
    summary: common_pb2.PlaylistSummary
    period: str
    total: int  # rows of the chart (songs and non-music rows)
    rows: int  # rows on this page
    tracks: list[common_pb2.SongSnapshot]


def non_music_row(top_id: str, row: dict[str, Any]) -> common_pb2.SongSnapshot:
    """A chart row without a usable song mid (a video or radio entry): kept, never downloaded."""
    singer = clean_text(row.get("singerName"))
    return common_pb2.SongSnapshot(
        platform=PLATFORM,
        remote_song_id=f"qqtop_{top_id}_{row.get('rank')}",
        name=clean_text(row.get("title")),
        artists=[common_pb2.ArtistRef(remote_id=str(row.get("singerMid") or ""), name=singer)]
        if singer
        else [],
        metadata_json=_raw(row),
        non_music=True,
        non_music_reason=NON_MUSIC_REASON,
    )


def parse_toplist_detail(data: dict[str, Any], url: str) -> ToplistPage:
    """One ``GetDetail`` page; rows are paired with ``songInfoList`` by song id, not by position."""
    with expect_shape("toplist detail", url):
        header = data.get("data") or {}
        if not header.get("title"):
            raise PlaylistNotFound("toplist not found")
        top_id = str(header["topId"])
        infos = {int(song["id"]): song for song in data.get("songInfoList") or [] if song.get("mid")}
        rows = header.get("song") or []
        tracks: list[common_pb2.SongSnapshot] = []
        for row in rows:
            raw = infos.get(int(row.get("songId") or 0))
            if raw is None:
                tracks.append(non_music_row(top_id, row))
            else:
                tracks.append(snapshot(song_from_new(raw), raw))
        return ToplistPage(
            summary=_toplist_summary(header),
            period=str(header.get("period") or ""),
            total=int(header.get("totalNum") or 0),
            rows=len(rows),
            tracks=tracks,
        )


@dataclass(frozen=True)
class PlaylistPage:
    summary: common_pb2.PlaylistSummary
    total: int  # total_song_num
    tracks: list[common_pb2.SongSnapshot]


def parse_playlist_detail(payload: Any, url: str) -> PlaylistPage:
    """``fcg_ucc_getcdinfo_byids_cp``: PlaylistNotFound when ``cdlist`` is empty or code ≠ 0
    (since 2026-03 also ``subcode 4000`` for many public playlists: the caller tries the
    gateway routes before believing it)."""
    if not isinstance(payload, dict):
        raise UpstreamError(PLATFORM, url, "playlist detail: the answer is not an object")
    if payload.get("code") != 0 or not payload.get("cdlist"):
        code = payload.get("code")
        raise PlaylistNotFound(f"playlist not found (code {code!r}, subcode {payload.get('subcode')!r})")
    with expect_shape("playlist detail", url):
        cd = payload["cdlist"][0]
        remote_id = str(cd.get("disstid") or cd["dissid"])
        total = int(cd.get("total_song_num") or cd.get("songnum") or 0)
        summary = common_pb2.PlaylistSummary(
            platform=PLATFORM,
            remote_playlist_id=remote_id,
            kind=common_pb2.PLAYLIST_SQUARE,
            name=clean_text(cd.get("dissname")),
            cover_url=str(cd.get("logo") or ""),
            play_count=int(cd.get("visitnum") or 0),
            creator=clean_text(cd.get("nickname") or cd.get("nick")),
            track_count=total,
            description=clean_text(cd.get("desc")),
            source_url=playlist_url(remote_id),
            metadata_json=_raw({k: v for k, v in cd.items() if k != "songlist"}),
        )
        tracks = [snapshot(song_from_old(raw), raw) for raw in cd.get("songlist") or []]
        return PlaylistPage(summary, total, tracks)


def parse_dissinfo(data: dict[str, Any], url: str, remote_id: str) -> PlaylistPage | None:
    """A gateway playlist page (``aiDissInfo.uniform_get_Dissinfo`` or ``DissInfo.CgiGetDiss``):
    ``dirinfo``, ``total_song_num`` and new-shape ``songlist``; None when it holds no playlist."""
    with expect_shape("playlist detail (gateway)", url):
        info = data.get("dirinfo") or {}
        songs = data.get("songlist") or []
        if not isinstance(info, dict) or not (info.get("title") or songs):
            return None
        total = int(data.get("total_song_num") or info.get("songnum") or 0)
        creator = info.get("creator")
        creator = creator if isinstance(creator, dict) else {}
        summary = common_pb2.PlaylistSummary(
            platform=PLATFORM,
            remote_playlist_id=remote_id,
            kind=common_pb2.PLAYLIST_SQUARE,
            name=clean_text(info.get("title")),
            cover_url=str(info.get("picurl") or info.get("logo") or ""),
            play_count=int(info.get("listennum") or info.get("visitnum") or 0),
            creator=clean_text(info.get("host_nick") or info.get("nick") or creator.get("nick")),
            track_count=total,
            description=clean_text(info.get("desc")),
            source_url=playlist_url(remote_id),
            metadata_json=_raw(info),
        )
        tracks = [snapshot(song_from_new(raw), raw) for raw in songs if isinstance(raw, dict)]
        return PlaylistPage(summary, total, tracks)

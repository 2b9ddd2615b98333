"""NetEase Cloud Music discovery: playlist square, toplists, playlist detail, playlist URLs.

Endpoints (plain ``/api`` front door on music.163.com): ``/api/playlist/list``
(square, ``cat=全部&order=hot``), ``/api/toplist`` (charts), ``/api/v6/playlist/detail``
(metadata and the complete ``trackIds``) and ``/api/v3/song/detail`` (the songs
``tracks`` left out; anonymous detail only expands the first few). The user's own
``MUSIC_U`` (``CATALOGSYNC_NETEASE_COOKIE``) goes along, so their private playlists
work too (lx-music-desktop accepts ``url###MUSIC_U`` for the same reason).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx

from catalogsync.accounts import Account
from catalogsync.platforms.netease_api import call_api
from catalogsync.v1 import collector_pb2, common_pb2
from services.collector.platforms.base import DiscoveryPage, PlaylistNotFound
from services.collector.platforms.netease_parse import (
    DETAIL_PATH,
    SONG_DETAIL_PATH,
    SQUARE_PATH,
    TOPLIST_PATH,
    parse_playlist_detail,
    parse_song_details,
    parse_square,
    parse_toplists,
    song_snapshot,
)

log = logging.getLogger(__name__)
SONG_DETAIL_BATCH = 500
PRIVATE = 401  # "无权限访问": a private playlist, asked without its owner's login
PRIVATE_OR_MISSING = (200, PRIVATE, 404)


class Platform:
    """The NetEase discovery adapter."""

    name = "netease"

    def __init__(self, client: httpx.AsyncClient, account: Account | None = None) -> None:
        self._account = account
        self._client = client

    async def list_discovery(
        self, kind: common_pb2.DiscoveryKind, page_size: int
    ) -> AsyncIterator[DiscoveryPage]:
        if kind == common_pb2.TOPLIST:
            toplists = parse_toplists(await call_api(self._client, TOPLIST_PATH, {}, "toplists"))
            yield DiscoveryPage(1, toplists, upstream_total=len(toplists), has_more=False)
            return
        if kind != common_pb2.PLAYLIST_SQUARE:
            raise ValueError(f"netease has no discovery kind {kind}")
        offset, page, seen = 0, 1, set[str]()
        while True:
            form = {"cat": "全部", "order": "hot", "limit": page_size, "offset": offset, "total": "true"}
            square = parse_square(await call_api(self._client, SQUARE_PATH, form, "playlist square"))
            offset += len(square.playlists)
            fresh = {p.remote_playlist_id for p in square.playlists} - seen
            seen |= fresh
            has_more = square.more and bool(fresh) and (not square.total or offset < square.total)
            yield DiscoveryPage(page, square.playlists, upstream_total=square.total, has_more=has_more)
            if not has_more:
                return
            page += 1

    async def fetch_playlist(
        self, remote_playlist_id: str, kind: common_pb2.DiscoveryKind, track_limit: int
    ) -> collector_pb2.FetchPlaylistResponse:
        if not remote_playlist_id.isdigit():
            raise PlaylistNotFound(f"{remote_playlist_id!r} is not a netease playlist id")
        form = {"id": remote_playlist_id, "n": 100000, "s": 8}
        payload = await call_api(
            self._client, DETAIL_PATH, form, "playlist detail", PRIVATE_OR_MISSING, self._account
        )
        detail = parse_playlist_detail(payload, kind) if payload["code"] == 200 else None
        if detail is None and payload["code"] == PRIVATE:
            hint = "" if self._account else " (set CATALOGSYNC_NETEASE_COOKIE to the owner's MUSIC_U)"
            raise PlaylistNotFound(f"playlist {remote_playlist_id} is private{hint}")
        if detail is None:
            raise PlaylistNotFound(f"playlist {remote_playlist_id} does not exist or is private")
        track_ids = detail.track_ids[:track_limit] if track_limit > 0 else detail.track_ids
        songs = dict(detail.songs)
        missing = [song_id for song_id in track_ids if song_id not in songs]
        for start in range(0, len(missing), SONG_DETAIL_BATCH):
            batch = missing[start : start + SONG_DETAIL_BATCH]
            form = {
                "c": json.dumps([{"id": int(i)} for i in batch]),
                "ids": json.dumps([int(i) for i in batch]),
            }
            songs.update(
                parse_song_details(
                    await call_api(self._client, SONG_DETAIL_PATH, form, "song detail", account=self._account)
                )
            )
        absent = [song_id for song_id in track_ids if song_id not in songs]
        if absent:
            log.info("netease playlist %s: %d songs have no details", remote_playlist_id, len(absent))
        return collector_pb2.FetchPlaylistResponse(
            playlist=detail.playlist,
            tracks=[song_snapshot(songs[song_id]) for song_id in track_ids if song_id in songs],
        )

"""Catalog writes: discovered playlists, and a playlist's songs with their derived artists.

Everything is set-based (one multi-row statement per table per playlist), rows
are deduplicated and sorted first so concurrent syncs lock in the same order,
and text is cleaned of NUL (which PostgreSQL refuses).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from catalogsync.v1 import collector_pb2, common_pb2
from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn
from services.scheduler.text import clean

QQ_CHART_ROW_PREFIX = "qqtop_"
QQ_CHART_ROW_REASON = "非音乐资源(有声榜条目)"


def normalize_artist(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", clean(name)).casefold().split())


def _metadata(text: str) -> Jsonb:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        value = {"raw": text}
    return Jsonb(clean(value if isinstance(value, dict) else {"value": value}))


def singers(track: common_pb2.SongSnapshot) -> str:
    return " / ".join(clean(a.name) for a in track.artists if a.name.strip())


async def upsert_pool(conn: Conn, platform: str, pool_kind: str, name: str) -> int:
    row = await (
        await conn.execute(
            Q["upsert_pool"], {"platform": platform, "pool_kind": pool_kind, "name": clean(name)}
        )
    ).fetchone()
    assert row is not None
    return int(row["id"])


async def upsert_discovered(
    conn: Conn,
    platform: str,
    pool_id: int,
    playlists: Sequence[common_pb2.PlaylistSummary],
    first_rank: int,
) -> list[int]:
    """Upsert one page of discovered playlists and link them to their pool; return their ids in order."""
    unique: dict[str, common_pb2.PlaylistSummary] = {}
    for playlist in playlists:
        unique.setdefault(clean(playlist.remote_playlist_id), playlist)
    if not unique:
        return []
    items = sorted(unique.items())
    rows = await (
        await conn.execute(
            Q["upsert_playlists"],
            {
                "platform": platform,
                "remote_ids": [rid for rid, _ in items],
                "kinds": ["toplist" if p.kind == common_pb2.TOPLIST else "playlist" for _, p in items],
                "names": [clean(p.name) for _, p in items],
                "covers": [clean(p.cover_url) for _, p in items],
                "creators": [clean(p.creator) for _, p in items],
                "descriptions": [clean(p.description) for _, p in items],
                "source_urls": [clean(p.source_url) for _, p in items],
                "play_counts": [p.play_count for _, p in items],
                "track_counts": [p.track_count for _, p in items],
                "metadata": [_metadata(p.metadata_json) for _, p in items],
            },
        )
    ).fetchall()
    ids = {row["remote_playlist_id"]: row["id"] for row in rows}
    ordered = [ids[clean(p.remote_playlist_id)] for p in unique.values()]
    await conn.execute(
        Q["link_pool_playlists"],
        {
            "pool_id": pool_id,
            "playlist_ids": ordered,
            "ranks": list(range(first_rank, first_rank + len(ordered))),
        },
    )
    return ordered


def non_music_reason(track: common_pb2.SongSnapshot) -> str | None:
    """Why the track is not music (None when it is): the collector's flag, or a QQ chart row
    without a song (``qqtop_…``: a video or radio entry)."""
    if track.non_music:
        return clean(track.non_music_reason) or QQ_CHART_ROW_REASON
    if track.platform == "qq" and track.remote_song_id.startswith(QQ_CHART_ROW_PREFIX):
        return QQ_CHART_ROW_REASON
    return None


@dataclass(frozen=True)
class SyncCounts:
    songs: int
    artists: int
    non_music: int


async def write_playlist(
    conn: Conn, playlist_id: int, response: collector_pb2.FetchPlaylistResponse
) -> SyncCounts:
    """Make the playlist's songs exactly the fetched tracks; derive artists and artist pools."""
    tracks: dict[tuple[str, str], common_pb2.SongSnapshot] = {}
    order: list[tuple[str, str]] = []
    for track in response.tracks:
        key = (track.platform, clean(track.remote_song_id))
        if key not in tracks:
            tracks[key] = track
            order.append(key)
    keys = sorted(tracks)
    song_ids: dict[tuple[str, str], int] = {}
    if keys:
        rows = await (
            await conn.execute(
                Q["upsert_songs"],
                {
                    "platforms": [k[0] for k in keys],
                    "remote_ids": [k[1] for k in keys],
                    "names": [clean(tracks[k].name) for k in keys],
                    "singers": [singers(tracks[k]) for k in keys],
                    "albums": [clean(tracks[k].album) for k in keys],
                    "durations": [tracks[k].duration_s for k in keys],
                    "covers": [clean(tracks[k].cover_url) for k in keys],
                    "non_music": [non_music_reason(tracks[k]) is not None for k in keys],
                    "reasons": [non_music_reason(tracks[k]) for k in keys],
                    "metadata": [_metadata(tracks[k].metadata_json) for k in keys],
                },
            )
        ).fetchall()
        song_ids = {(row["platform"], row["remote_song_id"]): row["id"] for row in rows}
    await conn.execute(
        Q["replace_playlist_songs"],
        {
            "playlist_id": playlist_id,
            "song_ids": [song_ids[k] for k in order],
            "positions": list(range(len(order))),
        },
    )
    artist_count = await _write_artists(conn, playlist_id, tracks, song_ids)
    summary = response.playlist
    await conn.execute(
        Q["mark_playlist_synced"],
        {
            "playlist_id": playlist_id,
            "song_count": len(order),
            "track_count": summary.track_count,
            "name": clean(summary.name),
            "cover_url": clean(summary.cover_url),
            "creator": clean(summary.creator),
            "description": clean(summary.description),
            "play_count": summary.play_count,
        },
    )
    return SyncCounts(
        len(order), artist_count, sum(1 for t in tracks.values() if non_music_reason(t) is not None)
    )


async def _write_artists(
    conn: Conn,
    playlist_id: int,
    tracks: dict[tuple[str, str], common_pb2.SongSnapshot],
    song_ids: dict[tuple[str, str], int],
) -> int:
    artists: dict[tuple[str, str], tuple[str, str]] = {}
    links: dict[tuple[tuple[str, str], int], int] = {}
    for key, track in tracks.items():
        if non_music_reason(track) is not None:
            continue
        for position, artist in enumerate(track.artists):
            normalized = normalize_artist(artist.name)
            if not normalized:
                continue
            artist_key = (track.platform, normalized)
            artists.setdefault(artist_key, (clean(artist.name.strip()), clean(artist.remote_id)))
            link = (artist_key, song_ids[key])
            links[link] = min(links.get(link, position), position)
    if not artists:
        return 0
    keys = sorted(artists)
    rows = await (
        await conn.execute(
            Q["upsert_artists"],
            {
                "platforms": [k[0] for k in keys],
                "normalized": [k[1] for k in keys],
                "names": [artists[k][0] for k in keys],
                "remote_ids": [artists[k][1] for k in keys],
            },
        )
    ).fetchall()
    artist_ids = {(row["platform"], row["normalized_name"]): row["id"] for row in rows}
    ordered_links = sorted(links.items(), key=lambda item: (artist_ids[item[0][0]], item[0][1]))
    await conn.execute(
        Q["link_artist_songs"],
        {
            "artist_ids": [artist_ids[artist_key] for (artist_key, _), _ in ordered_links],
            "song_ids": [song_id for (_, song_id), _ in ordered_links],
            "positions": [position for _, position in ordered_links],
        },
    )
    pool_rows = await (
        await conn.execute(Q["artist_pools_of_playlist"], {"playlist_id": playlist_id})
    ).fetchall()
    pool_ids = sorted(row["id"] for row in pool_rows)
    if pool_ids:
        await conn.execute(
            Q["link_pool_artists"], {"pool_ids": pool_ids, "artist_ids": sorted(artist_ids.values())}
        )
    return len(artist_ids)


async def song_snapshot(conn: Conn, song: dict[str, Any]) -> common_pb2.SongSnapshot:
    """Rebuild the song as its platform described it (deferred resolution)."""
    rows = await (await conn.execute(Q["song_artists"], {"song_id": song["id"]})).fetchall()
    return common_pb2.SongSnapshot(
        platform=song["platform"],
        remote_song_id=song["remote_song_id"],
        name=song["name"],
        artists=[common_pb2.ArtistRef(remote_id=r["remote_artist_id"], name=r["name"]) for r in rows],
        album=song["album"],
        duration_s=song["duration_s"],
        cover_url=song["cover_url"],
        metadata_json=json.dumps(song["metadata"] or {}, ensure_ascii=False),
        non_music=song["non_music"],
        non_music_reason=song["non_music_reason"] or "",
    )

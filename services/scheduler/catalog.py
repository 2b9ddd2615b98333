"""Catalog writes: discovered playlists and their pools; a song as its platform described it.

Everything is set-based (one multi-row statement per page), rows are deduplicated
and sorted first so concurrent writers lock in the same order, and text is cleaned
of NUL (which PostgreSQL refuses). A synced playlist's songs and artists are written
by ``services.scheduler.sync_writer`` (its ``write_playlist`` is importable from here too).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Jsonb

from catalogsync.v1 import common_pb2
from services.scheduler.db.queries import Q
from services.scheduler.db.types import Conn
from services.scheduler.sync_writer import SyncCounts as SyncCounts
from services.scheduler.sync_writer import write_playlist as write_playlist
from services.scheduler.text import clean


def _metadata(text: str) -> Jsonb:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        value = {"raw": text}
    return Jsonb(clean(value if isinstance(value, dict) else {"value": value}))


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


async def song_snapshot(conn: Conn, song: dict[str, Any]) -> common_pb2.SongSnapshot:
    """Rebuild the song as its platform described it (deferred resolution)."""
    rows = await (await conn.execute(Q["song_artists"], {"song_id": song["id"]})).fetchall()
    return snapshot_of(song, [(r["remote_artist_id"], r["name"]) for r in rows])


def snapshot_of(song: dict[str, Any], artists: list[tuple[str, str]]) -> common_pb2.SongSnapshot:
    """The snapshot of a ``songs`` row and its artists ((remote id, name) in order)."""
    return common_pb2.SongSnapshot(
        platform=song["platform"],
        remote_song_id=song["remote_song_id"],
        name=song["name"],
        artists=[common_pb2.ArtistRef(remote_id=remote_id, name=name) for remote_id, name in artists],
        album=song["album"],
        duration_s=song["duration_s"],
        cover_url=song["cover_url"],
        metadata_json=json.dumps(song["metadata"] or {}, ensure_ascii=False),
        non_music=song["non_music"],
        non_music_reason=song["non_music_reason"] or "",
    )

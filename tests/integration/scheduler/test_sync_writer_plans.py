"""The sync writer's statements stay index lookups on a catalog PostgreSQL has not analyzed yet.

A first sync fills an empty catalog faster than autovacuum analyzes it: with the ids joined on
their natural keys, the planner (no statistics) hash-joined the artists first and then read every
song of the platform for each artist link. The work of writing one more playlist is measured in
buffers (EXPLAIN ANALYZE), which only depends on the plan, not on the machine.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from catalogsync.v1 import collector_pb2, common_pb2
from services.scheduler.catalog import write_playlist
from services.scheduler.db.queries import Q
from services.scheduler.sync_writer import playlist_rows

pytestmark = pytest.mark.anyio

PLAYLISTS = 30
TRACKS = 100
MAX_BUFFERS_PER_ROW = (
    40  # lookups, insert and key checks: ~14; the joined plan read ~70 (growing with the songs)
)


def fetched(n: int) -> collector_pb2.FetchPlaylistResponse:
    """Playlist ``n``: 100 tracks of its own (each by two artists of 400), on one platform."""
    tracks = [
        common_pb2.SongSnapshot(
            platform="netease",
            remote_song_id=f"{n}-{t}",
            name=f"song {n}-{t}",
            artists=[
                common_pb2.ArtistRef(
                    remote_id=f"a{(n * 7 + t + k) % 400}", name=f"artist {(n * 7 + t + k) % 400}"
                )
                for k in (0, 1)
            ],
            duration_s=200,
            metadata_json=json.dumps({"id": f"{n}-{t}"}),
        )
        for t in range(TRACKS)
    ]
    return collector_pb2.FetchPlaylistResponse(
        playlist=common_pb2.PlaylistSummary(name=f"p{n}", track_count=TRACKS), tracks=tracks
    )


async def new_playlist(conn: psycopg.AsyncConnection[Any], n: int) -> int:
    row = await (
        await conn.execute(
            "INSERT INTO playlists (platform, remote_playlist_id, name) VALUES ('netease', %s, %s) RETURNING id",
            (f"plan-{n}", f"p{n}"),
        )
    ).fetchone()
    assert row is not None
    return int(row["id"])


async def buffers(conn: psycopg.AsyncConnection[Any], name: str, params: dict[str, Any]) -> int:
    cursor = await conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + Q[name], params)
    row = await cursor.fetchone()
    assert row is not None
    plan = next(iter(row.values()))[0]
    return int(plan["Plan"]["Shared Hit Blocks"])


async def test_artist_links_of_one_more_playlist_cost_lookups_not_scans(
    conn: psycopg.AsyncConnection[dict[str, Any]],
) -> None:
    for table in ("songs", "artists", "artist_songs"):
        await conn.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    for n in range(PLAYLISTS):
        await write_playlist(conn, await new_playlist(conn, n), fetched(n))
    analyzed = await (
        await conn.execute(
            "SELECT count(*) AS n FROM pg_stat_user_tables"
            " WHERE relname IN ('songs', 'artists') AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)"
        )
    ).fetchone()
    assert analyzed is not None and analyzed["n"] == 0, "the scenario is a catalog never analyzed"

    playlist_id = await new_playlist(conn, PLAYLISTS)
    rows = playlist_rows(fetched(PLAYLISTS))
    songs, artists = rows.songs, rows.artists
    song_params = songs.params()
    links = artists.link_params()
    async with conn.transaction(force_rollback=True):
        await conn.execute(Q["insert_songs"], song_params)
        await conn.execute(Q["write_artists"], artists.artist_params())
        positions = {
            "playlist_id": playlist_id,
            "platforms": songs.platforms,
            "remote_ids": songs.remote_ids,
            "positions": songs.positions,
        }
        playlist_buffers = await buffers(conn, "write_playlist_songs", positions)
        link_buffers = await buffers(conn, "write_artist_songs", links)
    assert link_buffers <= MAX_BUFFERS_PER_ROW * len(artists.link_songs)
    assert playlist_buffers <= MAX_BUFFERS_PER_ROW * len(songs.platforms)

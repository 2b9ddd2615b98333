"""Four syncs at once of overlapping playlists into an empty catalog: no deadlock, every row written.

Each playlist holds 50 songs of its own and 50 hits of a shared pool of 60 whose snapshot
differs between playlists (as QQ's routes do), so concurrent syncs insert and update the same
songs, artists and artist links. With all of a playlist's rows in one transaction, four writers
deadlocked on the songs' unique index in half the runs (6 of 12); with the shared rows in one
transaction of their own, in 2 of 12 (an insert meeting a song another sync was updating waited
for it, while that sync waited for the insert's earlier rows); with the changed songs committed
first, in none of 27.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import psycopg
import pytest

from catalogsync.v1 import collector_pb2, common_pb2
from services.scheduler.catalog import write_playlist
from tests.support.engine import connect

pytestmark = pytest.mark.anyio

WRITERS = 4
PLAYLISTS = 32
HITS = 60


def song(remote_id: str, artist: str, variant: int) -> common_pb2.SongSnapshot:
    return common_pb2.SongSnapshot(
        platform="qq",
        remote_song_id=remote_id,
        name=f"song {remote_id}",
        artists=[common_pb2.ArtistRef(remote_id=f"a-{artist}", name=f"artist {artist}")],
        duration_s=200,
        metadata_json=json.dumps({"mid": remote_id, "route": variant}),
    )


def fetched(n: int) -> collector_pb2.FetchPlaylistResponse:
    hits = random.Random(n).sample(range(HITS), 50)
    tracks = [song(f"hit-{h}", f"h{h % 20}", n % 2) for h in hits]
    tracks += [song(f"{n}-{t}", f"o{(n + t) % 30}", 0) for t in range(50)]
    random.Random(-n).shuffle(tracks)
    return collector_pb2.FetchPlaylistResponse(
        playlist=common_pb2.PlaylistSummary(name=f"p{n}", track_count=len(tracks)), tracks=tracks
    )


async def test_concurrent_syncs_of_overlapping_playlists_write_every_row(database_url: str) -> None:
    conns = [await connect(database_url) for _ in range(WRITERS)]
    try:
        ids = []
        for n in range(PLAYLISTS):
            cursor = await conns[0].execute(
                "INSERT INTO playlists (platform, remote_playlist_id, name) VALUES ('qq', %s, %s) RETURNING id",
                (f"c{n}", f"p{n}"),
            )
            row = await cursor.fetchone()
            assert row is not None
            ids.append((int(row["id"]), fetched(n)))
        queue = list(ids)

        async def writer(conn: psycopg.AsyncConnection[Any]) -> None:
            while queue:
                playlist_id, response = queue.pop()
                await write_playlist(conn, playlist_id, response)

        await asyncio.gather(*(writer(conn) for conn in conns))
        counts = await (
            await conns[0].execute(
                "SELECT (SELECT count(*) FROM playlist_songs) AS links, (SELECT count(*) FROM songs) AS songs,"
                " (SELECT count(*) FROM artist_songs) AS artist_links"
            )
        ).fetchone()
    finally:
        for conn in conns:
            await conn.close()
    assert counts == {
        "links": PLAYLISTS * 100,
        "songs": HITS + PLAYLISTS * 50,
        "artist_links": HITS + PLAYLISTS * 50,
    }

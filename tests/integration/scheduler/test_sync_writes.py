"""The sync writer: a playlist's songs become exactly the fetched tracks, in order, rows reused."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from catalogsync.v1 import collector_pb2, common_pb2
from services.scheduler.catalog import upsert_discovered, upsert_pool, write_playlist

pytestmark = pytest.mark.anyio


def track(remote_id: str, name: str, *artists: str, **extra: Any) -> common_pb2.SongSnapshot:
    return common_pb2.SongSnapshot(
        platform="netease",
        remote_song_id=remote_id,
        name=name,
        artists=[common_pb2.ArtistRef(remote_id=f"a-{a}", name=a) for a in artists],
        duration_s=200,
        **extra,
    )


async def playlist(conn: psycopg.AsyncConnection) -> int:
    row = await (
        await conn.execute(
            "INSERT INTO playlists (platform, remote_playlist_id, name) VALUES ('netease', 'w1', 'w') RETURNING id"
        )
    ).fetchone()
    return int(row["id"])


async def songs_of(conn: psycopg.AsyncConnection, playlist_id: int) -> list[tuple[str, str]]:
    cursor = await conn.execute(
        "SELECT s.remote_song_id, s.name FROM playlist_songs ps JOIN songs s ON s.id = ps.song_id"
        " WHERE ps.playlist_id = %s ORDER BY ps.position",
        (playlist_id,),
    )
    return [(row["remote_song_id"], row["name"]) for row in await cursor.fetchall()]


async def test_a_rewrite_keeps_exactly_the_fetched_tracks_and_reuses_song_rows(
    conn: psycopg.AsyncConnection[dict[str, Any]],
) -> None:
    playlist_id = await playlist(conn)
    first = collector_pb2.FetchPlaylistResponse(
        tracks=[track("1", "One", "Ann"), track("2", "Two", "Ann", "Bo"), track("1", "One again", "Ann")]
    )
    async with conn.transaction():
        written = await write_playlist(conn, playlist_id, first)
    assert written.songs == 2, "a track listed twice is one song"
    assert await songs_of(conn, playlist_id) == [("1", "One"), ("2", "Two")]
    ids = {
        row["remote_song_id"]: row["id"]
        for row in await (await conn.execute("SELECT id, remote_song_id FROM songs")).fetchall()
    }

    second = collector_pb2.FetchPlaylistResponse(
        tracks=[track("3", "Three", "Cy"), track("1", "One (live)", "Ann")]
    )
    async with conn.transaction():
        await write_playlist(conn, playlist_id, second)
    assert await songs_of(conn, playlist_id) == [("3", "Three"), ("1", "One (live)")]
    again = await (await conn.execute("SELECT id FROM songs WHERE remote_song_id = '1'")).fetchone()
    assert again["id"] == ids["1"], "the song row is updated in place, never duplicated"
    artists = await (await conn.execute("SELECT name FROM artists ORDER BY name")).fetchall()
    assert {row["name"] for row in artists} >= {"Ann", "Bo", "Cy"}


async def test_non_music_entries_are_kept_and_flagged(conn: psycopg.AsyncConnection[dict[str, Any]]) -> None:
    playlist_id = await playlist(conn)
    response = collector_pb2.FetchPlaylistResponse(
        tracks=[
            track("v", "A video", "Ann", non_music=True, non_music_reason="video"),
            track("s", "Song", "Ann"),
        ]
    )
    async with conn.transaction():
        written = await write_playlist(conn, playlist_id, response)
    assert (written.songs, written.non_music) == (2, 1)
    row = await (await conn.execute("SELECT non_music FROM songs WHERE remote_song_id = 'v'")).fetchone()
    assert row["non_music"] is True


async def test_a_pool_link_seen_again_is_refreshed_at_most_hourly(
    conn: psycopg.AsyncConnection[dict[str, Any]],
) -> None:
    pool = await upsert_pool(conn, "netease", "playlist_square", "全部")
    (playlist_id,) = await upsert_discovered(
        conn, "netease", pool, [common_pb2.PlaylistSummary(remote_playlist_id="h1", name="h")], 0
    )
    response = collector_pb2.FetchPlaylistResponse(tracks=[track("1", "One", "Ann", "Bo")])
    await write_playlist(conn, playlist_id, response)
    await conn.execute(
        "UPDATE pool_artists pa SET last_seen_at = CASE a.normalized_name WHEN 'ann' THEN now() - interval '2 hours'"
        " ELSE now() - interval '10 minutes' END FROM artists a WHERE a.id = pa.artist_id"
    )
    before = {row["name"]: row["seen"] for row in await (await conn.execute(SEEN)).fetchall()}
    response.tracks.append(track("2", "Two", "Cy"))
    await write_playlist(conn, playlist_id, response)
    after = {row["name"]: row["seen"] for row in await (await conn.execute(SEEN)).fetchall()}
    assert set(after) == {"ann", "bo", "cy"}, "a new artist joins the pool"
    assert after["ann"] > before["ann"], "seen two hours ago: refreshed"
    assert after["bo"] == before["bo"], "seen ten minutes ago: left alone (no row version, no lock)"


SEEN = (
    "SELECT a.normalized_name AS name, pa.last_seen_at AS seen FROM pool_artists pa"
    " JOIN artists a ON a.id = pa.artist_id"
)

"""The set-based sync writer writes the same rows as the per-playlist array writer it replaced.

A tricky scenario — a track listed twice, songs shared by two playlists of one pool, hostile
text (NUL, quotes, backslashes, braces, SQL), metadata that is not a JSON object or not JSON at
all, non-music rows, then a re-sync that drops, reorders, renames and adds tracks — is written,
and every row of the catalog tables is compared (ids and timestamps aside) with what the
former writer (catalogsync d4d4c47) wrote for the same calls.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from catalogsync.v1 import collector_pb2, common_pb2
from services.scheduler.catalog import upsert_discovered, upsert_pool, write_playlist

pytestmark = pytest.mark.anyio

HOSTILE = 'Two "quoted" \\ back{slash},{} \'; DROP TABLE songs;--'


def track(
    remote_id: str, name: str, artists: tuple[str, ...] = (), metadata: str = "", **extra: Any
) -> common_pb2.SongSnapshot:
    return common_pb2.SongSnapshot(
        platform=extra.pop("platform", "netease"),
        remote_song_id=remote_id,
        name=name,
        artists=[common_pb2.ArtistRef(remote_id=f"id-{a.strip()}", name=a) for a in artists],
        album=extra.pop("album", "Album"),
        duration_s=extra.pop("duration_s", 200),
        metadata_json=metadata,
        **extra,
    )


def response(name: str, *tracks: common_pb2.SongSnapshot) -> collector_pb2.FetchPlaylistResponse:
    summary = common_pb2.PlaylistSummary(name=name, track_count=len(tracks), play_count=7)
    return collector_pb2.FetchPlaylistResponse(playlist=summary, tracks=list(tracks))


FIRST = response(
    "P1",
    track("1", "One", ("Ann", "Bo\x00'; DROP TABLE artists;--"), '{"a": 1, "nested": {"x": "y"}}'),
    track("2", HOSTILE, ("ann ", "  ", "Ann"), "not json {"),
    track("1", "One listed twice", ("Cy",), '{"dup": true}'),
    track(
        "3",
        "A video",
        ("Cy",),
        '{"k": "v\\u0000w", "\\u0000": [1, "\\u00e9"]}',
        non_music=True,
        non_music_reason="video",
    ),
    track("7", "Braces", ("Ivy",), "{not json}"),
    track("qqtop_9", "Chart row", ("Dee",), "", platform="qq"),
    track("4", "Not JSON", ("Eve",), "not json {"),
    track("5", "A list", ("Eve", "Fay"), "[1, 2]"),
    track("6\x00x", "NUL id", (), '"just a string"'),
)
SECOND = response(
    "P2",
    track("1", "One (P2)", ("Ann", "Gus"), '{"a": 2}'),
    track("2", HOSTILE, ("Ann",), '{"k": "v"}'),
    track("8", "Eight", ("Hal",), '{"e": "ä\\n\\"x\\""}', album="Other"),
)
RESYNC = response(
    "P1 renamed",
    track("9", "Nine", ("Ann",), '{"n": 9}'),
    track("1", "One", ("Bo\x00'; DROP TABLE artists;--", "Ann"), '{"a": 1}'),
    track("4", "Now JSON", ("Eve",), '{"ok": true}', duration_s=0),
    track("6\x00x", "NUL id", (), '"just a string"'),
)

EXPECTED_SONGS = [
    ("netease", "1", "One", "Bo\ufffd'; DROP TABLE artists;-- / Ann", "Album", 200, False, None, {"a": 1}),
    ("netease", "2", HOSTILE, "Ann", "Album", 200, False, None, {"k": "v"}),
    ("netease", "3", "A video", "Cy", "Album", 200, True, "video", {"k": "v\ufffdw", "\ufffd": [1, "é"]}),
    ("netease", "4", "Now JSON", "Eve", "Album", 0, False, None, {"ok": True}),
    ("netease", "5", "A list", "Eve / Fay", "Album", 200, False, None, {"value": [1, 2]}),
    ("netease", "6\ufffdx", "NUL id", "", "Album", 200, False, None, {"value": "just a string"}),
    ("netease", "7", "Braces", "Ivy", "Album", 200, False, None, {"raw": "{not json}"}),
    ("netease", "8", "Eight", "Hal", "Other", 200, False, None, {"e": 'ä\n"x"'}),
    ("netease", "9", "Nine", "Ann", "Album", 200, False, None, {"n": 9}),
    ("qq", "qqtop_9", "Chart row", "Dee", "Album", 200, True, "非音乐资源(有声榜条目)", {}),
]
EXPECTED_PLAYLIST_SONGS = [
    ("P1", "9", 0),
    ("P1", "1", 1),
    ("P1", "4", 2),
    ("P1", "6\ufffdx", 3),
    ("P2", "1", 0),
    ("P2", "2", 1),
    ("P2", "8", 2),
]
EXPECTED_PLAYLISTS = [("P1", "P1 renamed", "synced", 4, 4, 7), ("P2", "P2", "synced", 3, 3, 7)]
EXPECTED_ARTISTS = [
    ("netease", "ann", "Ann", "id-Ann"),
    (
        "netease",
        "bo\ufffd'; drop table artists;--",
        "Bo\ufffd'; DROP TABLE artists;--",
        "id-Bo\ufffd'; DROP TABLE artists;--",
    ),
    ("netease", "eve", "Eve", "id-Eve"),
    ("netease", "fay", "Fay", "id-Fay"),
    ("netease", "gus", "Gus", "id-Gus"),
    ("netease", "hal", "Hal", "id-Hal"),
    ("netease", "ivy", "Ivy", "id-Ivy"),
]
EXPECTED_ARTIST_SONGS = [
    ("ann", "1", 0),
    ("ann", "2", 0),
    ("ann", "9", 0),
    ("bo\ufffd'; drop table artists;--", "1", 0),
    ("eve", "4", 0),
    ("eve", "5", 0),
    ("fay", "5", 1),
    ("gus", "1", 1),
    ("hal", "8", 0),
    ("ivy", "7", 0),
]
EXPECTED_POOL_ARTISTS = ["ann", "bo\ufffd'; drop table artists;--", "eve", "fay", "gus", "hal", "ivy"]


async def rows(conn: psycopg.AsyncConnection[dict[str, Any]], query: str) -> list[tuple[Any, ...]]:
    return [tuple(row.values()) for row in await (await conn.execute(query)).fetchall()]


async def test_the_writer_writes_the_rows_the_former_writer_wrote(
    conn: psycopg.AsyncConnection[dict[str, Any]],
) -> None:
    async with conn.transaction():
        pool = await upsert_pool(conn, "netease", "playlist_square", "全部")
        summaries = [common_pb2.PlaylistSummary(remote_playlist_id=r, name=r) for r in ("P1", "P2")]
        p1, p2 = await upsert_discovered(conn, "netease", pool, summaries, 0)
    for playlist_id, fetched in ((p1, FIRST), (p2, SECOND), (p1, RESYNC)):
        async with conn.transaction():
            await write_playlist(conn, playlist_id, fetched)

    assert (
        await rows(
            conn,
            "SELECT platform, remote_song_id, name, singers, album, duration_s, non_music, non_music_reason,"
            " metadata FROM songs ORDER BY platform, remote_song_id",
        )
        == EXPECTED_SONGS
    )
    assert (
        await rows(
            conn,
            "SELECT p.remote_playlist_id, s.remote_song_id, ps.position FROM playlist_songs ps"
            " JOIN playlists p ON p.id = ps.playlist_id JOIN songs s ON s.id = ps.song_id"
            " ORDER BY 1, 3",
        )
        == EXPECTED_PLAYLIST_SONGS
    )
    assert (
        await rows(
            conn,
            "SELECT remote_playlist_id, name, sync_status, collected_song_count, track_count, play_count"
            " FROM playlists ORDER BY 1",
        )
        == EXPECTED_PLAYLISTS
    )
    assert (
        await rows(
            conn, "SELECT platform, normalized_name, name, remote_artist_id FROM artists ORDER BY 1, 2"
        )
        == EXPECTED_ARTISTS
    )
    assert (
        await rows(
            conn,
            "SELECT a.normalized_name, s.remote_song_id, l.position FROM artist_songs l"
            " JOIN artists a ON a.id = l.artist_id JOIN songs s ON s.id = l.song_id ORDER BY 1, 2",
        )
        == EXPECTED_ARTIST_SONGS
    )
    assert await rows(
        conn,
        "SELECT a.normalized_name FROM pool_artists pa JOIN artists a ON a.id = pa.artist_id"
        " JOIN artist_pools ap ON ap.id = pa.artist_pool_id WHERE ap.name = '全部' ORDER BY 1",
    ) == [(name,) for name in EXPECTED_POOL_ARTISTS]

"""The download stage's reads and writes of one song: one round trip each way, the same rows as before.

``download_context`` is what get_song, active_root, lost_local_path_of_song, song_artists and get_pin read
one by one; ``register_download`` writes what upsert_file_asset, upsert_file_location, refresh_presence,
record_download_task and update_song_file_facts wrote one by one (asset, location, presence, task, facts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from catalogsync.v1 import common_pb2, downloader_pb2
from services.scheduler import storage
from services.scheduler.catalog import snapshot_of, song_snapshot
from services.scheduler.db.queries import Q

pytestmark = pytest.mark.anyio
Conn = psycopg.AsyncConnection[dict[str, Any]]


async def _one(conn: Conn, sql: Any, *params: object, **named: object) -> dict[str, Any]:
    row = await (await conn.execute(sql, named or params)).fetchone()
    assert row is not None
    return row


async def _song(conn: Conn, remote_id: str, artists: list[str]) -> int:
    song = await _one(
        conn,
        "INSERT INTO songs (platform, remote_song_id, name, singers, album, cover_url, metadata)"
        " VALUES ('netease', %s, %s, 'x', 'An Album', 'http://p1.music.126.net/c.jpg', '{\"fee\": 8}')"
        " RETURNING id",
        remote_id,
        f"Song {remote_id}",
    )
    for position, name in enumerate(artists):
        artist = await _one(
            conn,
            "INSERT INTO artists (platform, normalized_name, name, remote_artist_id) VALUES ('netease', %s, %s, %s)"
            " ON CONFLICT (platform, normalized_name) DO UPDATE SET name = excluded.name RETURNING id",
            name.lower(),
            name,
            f"a-{name}",
        )
        await conn.execute(
            "INSERT INTO artist_songs (artist_id, song_id, position) VALUES (%s, %s, %s)",
            (artist["id"], song["id"], position),
        )
    return int(song["id"])


def _result(relative: str, sha: str, size: int) -> downloader_pb2.DownloadResult:
    return downloader_pb2.DownloadResult(
        relative_path=relative,
        size_bytes=size,
        sha256=sha,
        ext="flac",
        quality="flac",
        bitrate_kbps=900,
        media_bytes=size - 100,
        media_sha256=f"media-{sha}",
        lyrics_relative_path=relative.replace(".flac", ".lrc"),
        tags_written=True,
        codec="flac",
        sample_rate_hz=44100,
        duration_s=201.5,
    )


CANDIDATE = common_pb2.Candidate(
    source="qq", remote_id="q-1", quality="hires", ext="flac", bitrate_kbps=1411, match_score=0.93
)


async def test_the_download_context_is_what_the_five_reads_gave(conn: Conn, tmp_path: Path) -> None:
    root = await storage.set_library_root(conn, str(tmp_path))
    # Artists in their positions, not in id order.
    song_id = await _song(conn, "ctx-1", ["Zed", "Amy"])
    await conn.execute("UPDATE artist_songs SET position = 1 - position WHERE song_id = %s", (song_id,))
    await conn.execute(
        "INSERT INTO song_pins (song_id, source, remote_id) VALUES (%s, 'kuwo', 'k-9')", (song_id,)
    )
    await storage.register_download(
        conn,
        song_id=song_id,
        job_id=1,
        root=root,
        candidate=CANDIDATE,
        result=_result("qq/a/Old.flac", "s0", 500),
    )
    await conn.execute("UPDATE file_locations SET status = 'missing'")

    row = await _one(conn, Q["download_context"], song_id=song_id)
    assert (row["root_id"], row["root_path"], row["lost_locator"]) == (
        root["id"],
        str(tmp_path),
        "qq/a/Old.flac",
    )
    assert (row["pin_source"], row["pin_remote_id"], row["pin_none"]) == ("kuwo", "k-9", False)
    song = await _one(conn, Q["get_song"], song_id=song_id)
    artists = list(zip(row["artist_remote_ids"], row["artist_names"], strict=True))
    assert artists == [("a-Amy", "Amy"), ("a-Zed", "Zed")]
    assert snapshot_of(row, artists) == await song_snapshot(conn, song)

    lonely = await _song(conn, "ctx-2", [])
    await conn.execute("UPDATE storage_backends SET is_active = false")
    row = await _one(conn, Q["download_context"], song_id=lonely)
    assert (row["root_id"], row["lost_locator"], row["pin_none"], row["artist_names"]) == (
        None,
        None,
        None,
        None,
    )
    assert await (await conn.execute(Q["download_context"], {"song_id": -1})).fetchone() is None


async def _rows(conn: Conn, song_id: int) -> dict[str, Any]:
    """What a registration leaves, without ids and timestamps."""
    assets = await (
        await conn.execute(
            "SELECT source_platform, source_remote_id, quality_label, ext, bitrate_kbps, file_size_bytes,"
            " checksum_sha256, media_bytes, media_sha256, metadata, codec, sample_rate_hz, duration_s"
            " FROM file_assets WHERE song_id = %s ORDER BY id",
            (song_id,),
        )
    ).fetchall()
    locations = await (
        await conn.execute(
            "SELECT a.checksum_sha256, l.locator, l.status, l.is_primary, l.size_bytes, l.etag, l.public_url,"
            " l.container_name, l.verified_at IS NOT NULL AS verified"
            " FROM file_locations l JOIN file_assets a ON a.id = l.file_asset_id WHERE a.song_id = %s ORDER BY l.id",
            (song_id,),
        )
    ).fetchall()
    presence = await (
        await conn.execute(
            "SELECT active_locations, bytes FROM song_backend_presence WHERE song_id = %s", (song_id,)
        )
    ).fetchall()
    task = await _one(
        conn,
        "SELECT t.status, t.attempts, t.last_job_id, t.source_platform, t.source_remote_id, t.quality_label,"
        " a.checksum_sha256, t.last_error FROM download_tasks t LEFT JOIN file_assets a ON a.id = t.file_asset_id"
        " WHERE t.song_id = %s",
        song_id,
    )
    song = await _one(
        conn, "SELECT ext, file_size_bytes, quality_label, local_file FROM songs WHERE id = %s", song_id
    )
    return {"assets": assets, "locations": locations, "presence": presence, "task": task, "song": song}


async def test_register_download_writes_the_rows_of_a_download(conn: Conn, tmp_path: Path) -> None:
    root = await storage.set_library_root(conn, str(tmp_path))
    song_id = await _song(conn, "reg-1", ["Amy"])
    await storage.record_download_failure(conn, song_id, 3, "unavailable", "nothing served it")

    async def register(job_id: int, relative: str, sha: str, size: int) -> tuple[int, bool]:
        return await storage.register_download(
            conn,
            song_id=song_id,
            job_id=job_id,
            root=root,
            candidate=CANDIDATE,
            result=_result(relative, sha, size),
        )

    first, created = await register(4, "qq/Amy/Song.flac", "s1", 1000)
    assert created
    rows = await _rows(conn, song_id)
    assert rows["assets"] == [
        {
            "source_platform": "qq",
            "source_remote_id": "q-1",
            "quality_label": "flac",
            "ext": "flac",
            "bitrate_kbps": 900,
            "file_size_bytes": 1000,
            "checksum_sha256": "s1",
            "media_bytes": 900,
            "media_sha256": "media-s1",
            "metadata": {
                "claimed_quality": "hires",
                "match_score": pytest.approx(0.93),
                "lyrics": "qq/Amy/Song.lrc",
                "tags": True,
            },
            "codec": "flac",
            "sample_rate_hz": 44100,
            "duration_s": 201.5,
        }
    ]
    location = {
        "status": "active",
        "is_primary": True,
        "etag": None,
        "public_url": None,
        "container_name": None,
    }
    assert rows["locations"] == [
        {
            "checksum_sha256": "s1",
            "locator": "qq/Amy/Song.flac",
            "size_bytes": 1000,
            "verified": True,
            **location,
        }
    ]
    assert rows["presence"] == [{"active_locations": 1, "bytes": 1000}]
    assert rows["task"] == {
        "status": "succeeded",
        "attempts": 2,
        "last_job_id": 4,
        "source_platform": "qq",
        "source_remote_id": "q-1",
        "quality_label": "flac",
        "checksum_sha256": "s1",
        "last_error": None,
    }
    assert rows["song"] == {
        "ext": "flac",
        "file_size_bytes": 1000,
        "quality_label": "flac",
        "local_file": True,
    }

    # The same file again (a forced redo): the same asset and location, nothing counted twice.
    assert await register(5, "qq/Amy/Song.flac", "s1", 1000) == (first, False)
    again = await _rows(conn, song_id)
    assert again["presence"] == [{"active_locations": 1, "bytes": 1000}]
    assert (again["task"]["attempts"], again["task"]["last_job_id"]) == (3, 5)
    assert again["assets"] == rows["assets"] and again["locations"] == rows["locations"]

    # Another file of the song beside it: both count.
    second, created = await register(6, "qq/Amy/Song [qq-q-1].flac", "s2", 3000)
    assert created and second != first
    rows = await _rows(conn, song_id)
    assert rows["presence"] == [{"active_locations": 2, "bytes": 4000}]
    assert (rows["task"]["checksum_sha256"], rows["song"]["file_size_bytes"]) == ("s2", 3000)

    # A lost file found again at its old path: active again, counted once.
    await conn.execute("UPDATE file_locations SET status = 'missing' WHERE id = %s", (first,))
    await storage.refresh_presence(conn, song_id, root["id"])
    assert (await _rows(conn, song_id))["presence"] == [{"active_locations": 1, "bytes": 3000}]
    assert await register(7, "qq/Amy/Song.flac", "s1", 1000) == (first, False)
    rows = await _rows(conn, song_id)
    assert rows["presence"] == [{"active_locations": 2, "bytes": 4000}]
    assert [location["status"] for location in rows["locations"]] == ["active", "active"]

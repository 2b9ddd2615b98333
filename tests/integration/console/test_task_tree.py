"""The task tree and job logs over real gRPC (the scheduler servicer on a real database) and the
gateway's REST routes for them: counts per playlist, paging, the non-music tag, 404s in words."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import psycopg
import pytest

from catalogsync.v1 import scheduler_pb2
from services.scheduler import storage
from services.scheduler.engine import planning
from services.scheduler.engine.context import JobInfo
from services.scheduler.engine.journal import record
from tests.support.api import Api, running_api
from tests.support.engine import connect, seed_downloaded_playlist

NOT_MUSIC = "非音乐资源(有声榜条目)"


def seed_undownloaded_playlist(database_url: str, prefix: str, count: int) -> int:
    """A synced playlist of ``count`` songs with no file; its last song is a non-music row."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO songs (platform, remote_song_id, name, singers, non_music, non_music_reason)"
            " SELECT 'qq', %(prefix)s || n, 'track ' || n, 'singer', n = %(count)s,"
            " CASE WHEN n = %(count)s THEN %(reason)s END FROM generate_series(1, %(count)s) AS n",
            {"prefix": prefix, "count": count, "reason": NOT_MUSIC},
        )
        row = conn.execute(
            "INSERT INTO playlists (platform, remote_playlist_id, name, sync_status, track_count)"
            " VALUES ('qq', %s, 'toplist ' || %s, 'synced', %s) RETURNING id",
            (prefix, prefix, count),
        ).fetchone()
        assert row is not None
        conn.execute(
            "INSERT INTO playlist_songs (playlist_id, song_id, position)"
            " SELECT %s, id, row_number() OVER (ORDER BY id) FROM songs WHERE remote_song_id LIKE %s || '%%'",
            (row[0], prefix),
        )
    return int(row[0])


async def planned_job(database_url: str) -> int:
    """The newest job (created over gRPC by the caller) with its download stage planned, and a log line."""
    conn = await connect(database_url)
    try:
        job = await (await conn.execute("SELECT * FROM job_runs ORDER BY id DESC LIMIT 1")).fetchone()
        assert job is not None
        stage = await (
            await conn.execute("SELECT id FROM job_stages WHERE job_id = %s", (job["id"],))
        ).fetchone()
        assert stage is not None
        await planning.plan(conn, JobInfo.from_row(job), "download", stage["id"])
        await record(conn, job["id"], "test_note", "planned by the test", level="warning")
        return int(job["id"])
    finally:
        await conn.close()


async def set_library(database_url: str, root: Path) -> None:
    conn = await connect(database_url)
    try:
        await storage.set_library_root(conn, str(root))
    finally:
        await conn.close()


@pytest.fixture
def tree(database_url: str, tmp_path: Path) -> Iterator[tuple[Api, int, int, int]]:
    """A download job over two playlists (3 songs in the library; 5 not, the last non-music), one
    item running and one failed: (api, job id, downloaded playlist, toplist)."""
    asyncio.run(set_library(database_url, tmp_path))
    done = seed_downloaded_playlist(database_url, "tree-a-", 3)
    toplist = seed_undownloaded_playlist(database_url, "tree-b-", 5)
    with running_api(database_url) as api:
        api.scheduler.CreateJob(
            scheduler_pb2.CreateJobRequest(
                job_type="download_only", scope=scheduler_pb2.JobScope(playlist_ids=[done, toplist])
            ),
            timeout=30,
        )
        job_id = asyncio.run(planned_job(database_url))
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(
                "UPDATE job_items i SET status = CASE s.name WHEN 'track 1' THEN 'running' ELSE 'failed' END,"
                " failure_class = CASE s.name WHEN 'track 2' THEN 'not_found' END,"
                " error = CASE s.name WHEN 'track 2' THEN 'no source has it' END"
                " FROM songs s WHERE s.id = i.ref_id AND i.job_id = %s AND s.name IN ('track 1', 'track 2')",
                (job_id,),
            )
        yield api, job_id, done, toplist


def test_tree_counts_pages_and_tags(tree: tuple[Api, int, int, int]) -> None:
    api, job_id, done, toplist = tree
    reply = api.scheduler.ListJobPlaylists(scheduler_pb2.ListJobPlaylistsRequest(job_id=job_id), timeout=10)
    assert reply.total == 2
    first, second = reply.playlists
    assert (first.playlist_id, first.total, first.downloaded, first.percent) == (done, 3, 3, 100.0)
    assert (second.playlist_id, second.total, second.downloaded, second.running, second.failed) == (
        toplist,
        5,
        0,
        1,
        1,
    )
    paged = api.scheduler.ListJobPlaylists(
        scheduler_pb2.ListJobPlaylistsRequest(job_id=job_id, limit=1, offset=1), timeout=10
    )
    assert [p.playlist_id for p in paged.playlists] == [toplist] and paged.total == 2

    downloaded = api.scheduler.ListJobPlaylistSongs(
        scheduler_pb2.ListJobPlaylistSongsRequest(job_id=job_id, playlist_id=done), timeout=10
    )
    assert [(s.source, s.quality, s.size_bytes) for s in downloaded.songs] == [("qq", "320k", 1000)] * 3

    page = api.scheduler.ListJobPlaylistSongs(
        scheduler_pb2.ListJobPlaylistSongsRequest(job_id=job_id, playlist_id=toplist, limit=2, offset=3),
        timeout=10,
    )
    assert page.total == 5
    assert [s.name for s in page.songs] == ["track 4", "track 5"]
    assert page.songs[1].non_music and page.songs[1].non_music_reason == NOT_MUSIC
    songs = api.scheduler.ListJobPlaylistSongs(
        scheduler_pb2.ListJobPlaylistSongsRequest(job_id=job_id, playlist_id=toplist), timeout=10
    ).songs
    assert [s.status for s in songs] == ["running", "failed", "queued", "queued", "queued"]
    assert songs[1].reason == "not found: no source has it"

    stats = api.scheduler.GetStats(scheduler_pb2.GetStatsRequest(), timeout=10)
    assert (stats.files, stats.bytes) == (3, 3000)  # the catalog totals (backend_stats, migration 0012)

    logs = api.scheduler.ListJobLogs(scheduler_pb2.ListJobLogsRequest(job_id=job_id), timeout=10).logs
    assert "planned by the test" in [log.message for log in logs]


def test_tree_over_rest(tree: tuple[Api, int, int, int]) -> None:
    api, job_id, _, toplist = tree
    with httpx.Client(base_url=api.gateway_url, timeout=10) as http:
        playlists = http.get(f"/api/jobs/{job_id}/playlists").json()
        assert [int(p["playlist_id"]) for p in playlists["playlists"]][1] == toplist
        songs = http.get(
            f"/api/jobs/{job_id}/playlists/{toplist}/songs", params={"limit": 2, "offset": 3}
        ).json()
        assert songs["songs"][1]["tags"] == ["非音乐资源"] and int(songs["total"]) == 5
        logs = http.get(f"/api/jobs/{job_id}/logs").json()
        assert any(log["message"] == "planned by the test" for log in logs["logs"])
        for path, words in [
            ("/api/jobs/987654/playlists", "job 987654 does not exist"),
            (f"/api/jobs/{job_id}/playlists/987654/songs", "not one of job"),
            ("/api/jobs/987654/logs", "job 987654 does not exist"),
        ]:
            answer = http.get(path)
            assert answer.status_code == 404 and words in answer.json()["error"], answer.text
        assert http.get(f"/api/jobs/{job_id}/playlists", params={"limit": 5000}).status_code == 422


def test_unknown_ids_are_not_found(tree: tuple[Api, int, int, int]) -> None:
    api, job_id, done, _ = tree
    calls: list[tuple[Any, Any]] = [
        (api.scheduler.ListJobPlaylists, scheduler_pb2.ListJobPlaylistsRequest(job_id=987654)),
        (
            api.scheduler.ListJobPlaylistSongs,
            scheduler_pb2.ListJobPlaylistSongsRequest(job_id=987654, playlist_id=done),
        ),
        (
            api.scheduler.ListJobPlaylistSongs,
            scheduler_pb2.ListJobPlaylistSongsRequest(job_id=job_id, playlist_id=987654),
        ),
        (api.scheduler.ListJobLogs, scheduler_pb2.ListJobLogsRequest(job_id=987654)),
    ]
    for method, request in calls:
        with pytest.raises(grpc.RpcError) as raised:
            method(request, timeout=10)
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND, raised.value.details()
    with pytest.raises(grpc.RpcError) as raised:
        api.scheduler.ListJobPlaylists(
            scheduler_pb2.ListJobPlaylistsRequest(job_id=job_id, limit=5000), timeout=10
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT

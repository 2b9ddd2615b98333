"""Crashes in the middle of a job: kill -9 of the scheduler, of a downloader and of PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import running_stack
from tests.support import jobs
from tests.support.processes import wait_for
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def big_stack() -> Iterator[Stack]:
    """Per platform 2 square playlists × 100 tracks, all distinct, all playable; synced."""
    knobs = {
        "CATALOGSYNC_SANDBOX_PLAYLISTS": "2",
        "CATALOGSYNC_SANDBOX_TOPLISTS": "0",
        "CATALOGSYNC_SANDBOX_TRACKS": "100",
        "CATALOGSYNC_SANDBOX_MEDIA_SCALE": "200",
        "CATALOGSYNC_SANDBOX_VIP": "0",
    }
    with running_stack(**knobs) as stack:
        jobs.collect_and_sync(stack.scheduler())
        yield stack


def second_playlist(stack: Stack, platform: str) -> int:
    """The platform's second square playlist: 100 songs of its own (the first shares fixed songs)."""
    with stack.db() as db:
        row = db.execute(
            "SELECT id FROM playlists WHERE platform = %s AND kind = 'playlist' ORDER BY remote_playlist_id OFFSET 1 LIMIT 1",
            (platform,),
        ).fetchone()
    return int(row["id"])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_library_matches(stack: Stack, playlist_ids: list[int], songs: int) -> None:
    """Every song has exactly one file, on disk, with the recorded size and checksum; nothing partial registered."""
    with stack.db() as db:
        rows = db.execute(
            """SELECT s.id, a.source_platform, a.source_remote_id, a.quality_label, a.file_size_bytes,
                      a.checksum_sha256, a.media_sha256, l.locator, b.root_path
                 FROM playlist_songs ps JOIN songs s ON s.id = ps.song_id
                 JOIN file_assets a ON a.song_id = s.id
                 JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active'
                 JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'
                WHERE ps.playlist_id = ANY(%s)""",
            (playlist_ids,),
        ).fetchall()
        partial = db.execute(
            "SELECT count(*) AS n FROM file_locations WHERE locator LIKE '%%.part'"
        ).fetchone()
    assert partial["n"] == 0
    assert len(rows) == songs and len({r["id"] for r in rows}) == songs, "exactly one file per song"
    # Songs with identical metadata may resolve to the same source track: they then share its one file.
    tracks = {(r["source_platform"], r["source_remote_id"], r["quality_label"]) for r in rows}
    assert len({r["locator"] for r in rows}) == len(tracks), "one file per source track, no duplicates"
    for row in rows:
        path = Path(row["root_path"]) / row["locator"]
        assert path.stat().st_size == row["file_size_bytes"]
        assert sha256(path) == row["checksum_sha256"]
        expected = stack.sandbox.expected(
            row["source_platform"], row["source_remote_id"], row["quality_label"]
        )
        assert row["media_sha256"] == expected["sha256"]


def kill_and_wait_restart(stack: Stack, name: str) -> None:
    old = stack.pids()[name]
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: stack.pids()[name] != old, 30, f"the supervisor to restart {name}")


def test_kill_9_of_the_scheduler_and_a_downloader_mid_job(big_stack: Stack) -> None:
    stub = big_stack.scheduler()
    playlists = [second_playlist(big_stack, "netease"), second_playlist(big_stack, "kuwo")]
    big_stack.sandbox.set_faults(media_bps=150_000)
    try:
        job = jobs.create(stub, "download_only", playlist_ids=playlists, workers=10)
        jobs.wait_until(stub, job.id, lambda j: jobs.settled(j, "download") >= 30, 120, "30 songs")
        kill_and_wait_restart(big_stack, "scheduler")
        stub = big_stack.scheduler()
        jobs.wait_until(stub, job.id, lambda j: jobs.settled(j, "download") >= 80, 120, "80 songs")
        kill_and_wait_restart(big_stack, "downloader")
    finally:
        big_stack.sandbox.clear_faults()
    done = jobs.wait_status(stub, job.id, jobs.TERMINAL, 300)
    assert done.status == "completed", [(s.stage, s.status, s.failed) for s in done.stages]
    download = jobs.stage(done, "download")
    assert (download.total, download.succeeded, download.failed) == (200, 200, 0)
    with big_stack.db() as db:
        interrupted = db.execute(
            "SELECT count(*) AS n FROM job_events WHERE job_id = %s AND event_type = 'items_interrupted'",
            (job.id,),
        ).fetchone()
        exported = db.execute(
            "SELECT data->>'folder' AS folder FROM job_events WHERE job_id = %s AND event_type = 'playlist_exported'",
            (job.id,),
        ).fetchall()
    assert interrupted["n"] >= 1, "the killed scheduler's items went back to the queue"
    assert_library_matches(big_stack, playlists, 200)
    assert len(exported) == 2, "both playlists got their export folder, across the restarts"
    for row in exported:
        m3u8 = big_stack.library_root / row["folder"] / "playlist.m3u8"
        entries = [line for line in m3u8.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
        assert len(entries) == 100 and all((m3u8.parent / entry).is_file() for entry in entries)


def test_kill_9_of_postgresql_mid_job(big_stack: Stack) -> None:
    """The stack supervises its PostgreSQL: killed mid-job, it is back by itself and the job finishes."""
    stub = big_stack.scheduler()
    playlists = [second_playlist(big_stack, "qq")]
    big_stack.sandbox.set_faults(media_bps=150_000)
    try:
        job = jobs.create(stub, "download_only", playlist_ids=playlists, workers=5)
        jobs.wait_until(stub, job.id, lambda j: jobs.settled(j, "download") >= 15, 120, "15 songs")
        kill_and_wait_restart(big_stack, "postgres")
    finally:
        big_stack.sandbox.clear_faults()
    done = jobs.wait_status(big_stack.scheduler(), job.id, jobs.TERMINAL, 300)
    assert done.status == "completed"
    assert jobs.stage(done, "download").succeeded == 100
    assert_library_matches(big_stack, playlists, 100)

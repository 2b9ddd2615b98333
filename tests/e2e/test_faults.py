"""Parts failing or crashing under a running job: the object store away for 60 s or killed, the
downloader killed twice, the scheduler and a downloader killed mid-job, PostgreSQL killed mid-job.

Nothing is lost and nothing needs a hand: every job completes by itself, every failure is on record,
nothing partial stays on disk. One stack for all of them: each test downloads playlists of its own
(no two tests share a song), so they neither wait for nor depend on each other.
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import running_stack
from tests.support import jobs
from tests.support.processes import wait_for
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e
OUTAGE_S = 60
TRACKS = 40


@pytest.fixture(scope="module")
def fault_stack() -> Iterator[Stack]:
    """Per platform 3 square playlists × 40 tracks, all playable; synced. Every list but each platform's
    first has songs of its own (no shared hits). Short S3 timeouts and a short .part age, so an outage
    and a sweep happen within the test's patience."""
    knobs = {
        "CATALOGSYNC_SANDBOX_PLAYLISTS": "3",
        "CATALOGSYNC_SANDBOX_TOPLISTS": "0",
        "CATALOGSYNC_SANDBOX_TRACKS": str(TRACKS),
        "CATALOGSYNC_SANDBOX_OVERLAP": "0",
        "CATALOGSYNC_SANDBOX_MEDIA_SCALE": "200",
        "CATALOGSYNC_SANDBOX_VIP": "0",
        "CATALOGSYNC_UPLOADER_CONNECT_TIMEOUT_SECONDS": "2",
        "CATALOGSYNC_UPLOADER_READ_TIMEOUT_SECONDS": "4",
        "CATALOGSYNC_UPLOADER_OUTAGE_WAIT_SECONDS": "5",
        "CATALOGSYNC_DOWNLOADER_PART_MAX_AGE_SECONDS": "10",
    }
    with running_stack(**knobs) as stack:
        jobs.collect_and_sync(stack.scheduler())
        yield stack


def own_playlist(stack: Stack, platform: str, nth: int) -> int:
    """The platform's ``nth`` square playlist (2 or 3): songs no other playlist has."""
    with stack.db() as db:
        row = db.execute(
            "SELECT id FROM playlists WHERE platform = %s AND kind = 'playlist' "
            "ORDER BY remote_playlist_id OFFSET %s LIMIT 1",
            (platform, nth - 1),
        ).fetchone()
    return int(row["id"])


def part_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.part"))


def test_kill_9_of_the_downloader_twice_leaves_no_part_files(fault_stack: Stack) -> None:
    stub = fault_stack.scheduler()
    root = fault_stack.library_root
    fault_stack.sandbox.set_faults(media_bps=150_000)
    left_behind: list[Path] = []
    try:
        job = jobs.create(
            stub, "download_only", playlist_ids=[own_playlist(fault_stack, "netease", 2)], workers=6
        )
        for settled in (5, 20):
            jobs.wait_until(
                stub, job.id, lambda j, n=settled: jobs.settled(j, "download") >= n, 120, f"{settled} songs"
            )
            old = fault_stack.pids()["downloader"]
            os.kill(old, signal.SIGKILL)
            left_behind += part_files(root)
            wait_for(lambda old=old: fault_stack.pids()["downloader"] != old, 30, "the downloader to restart")
    finally:
        fault_stack.sandbox.clear_faults()
    done = jobs.wait_status(stub, job.id, jobs.TERMINAL, 300)
    assert done.status == "completed", [(s.stage, s.status, s.failed) for s in done.stages]
    assert jobs.stage(done, "download").succeeded == TRACKS
    assert left_behind, "the kills left partial downloads behind, so the sweep had work to do"
    wait_for(lambda: not part_files(root), 120, "the sweep to remove every stale .part file")
    with fault_stack.db() as db:
        files = db.execute(
            """SELECT count(DISTINCT i.ref_id) AS songs, count(*) FILTER (WHERE l.locator LIKE '%%.part') AS partial
                 FROM job_items i JOIN job_stages s ON s.id = i.job_stage_id AND s.stage = 'download'
                 JOIN file_locations l ON l.id = i.file_location_id
                WHERE i.job_id = %s""",
            (job.id,),
        ).fetchone()
    assert (files["songs"], files["partial"]) == (TRACKS, 0)
    assert all(path.stat().st_size > 0 for path in root.rglob("*.mp3"))


def test_object_store_down_for_60_seconds_mid_job_completes_by_itself(fault_stack: Stack) -> None:
    stub = fault_stack.scheduler()
    job = jobs.create(stub, "download_upload", playlist_ids=[own_playlist(fault_stack, "kuwo", 2)], workers=4)
    jobs.wait_until(stub, job.id, lambda j: jobs.settled(j, "download") >= 10, 120, "10 songs downloaded")
    s3 = fault_stack.pids()["s3"]
    os.kill(s3, signal.SIGSTOP)  # the store stops answering: connections hang, requests time out
    stopped = time.monotonic()
    try:
        wait_for(
            lambda: parked_uploads(fault_stack, job.id) > 0, 150, "upload items parked for the object store"
        )
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped)))
    finally:
        os.kill(s3, signal.SIGCONT)
    done = jobs.wait_status(stub, job.id, jobs.TERMINAL, 400)
    assert done.status == "completed", [(s.stage, s.status, s.failed) for s in done.stages]
    upload = jobs.stage(done, "upload")
    assert (upload.total, upload.succeeded + upload.skipped, upload.failed) == (TRACKS, TRACKS, 0)
    with fault_stack.db() as db:
        tasks = db.execute(
            """SELECT t.status, t.attempts, t.failures, t.last_error, t.last_failed_at, t.target_locator
                 FROM upload_tasks t
                 JOIN job_items i ON i.ref_id = t.file_asset_id
                 JOIN job_stages s ON s.id = i.job_stage_id AND s.stage = 'upload'
                WHERE i.job_id = %s""",
            (job.id,),
        ).fetchall()
    assert len(tasks) == TRACKS and all(t["status"] == "succeeded" for t in tasks)
    failed = [t for t in tasks if t["failures"] > 0]
    assert failed, "the outage is on record in upload_tasks"
    for task in failed:
        assert task["attempts"] == task["failures"] + 1
        assert "object store unreachable" in task["last_error"] and task["last_failed_at"] is not None
    client, bucket = fault_stack.bucket()
    stored = {obj.object_name for obj in client.list_objects(bucket, recursive=True)}
    assert {t["target_locator"] for t in tasks} <= stored


def test_kill_9_of_the_object_store_keeps_its_objects(fault_stack: Stack) -> None:
    client, bucket = fault_stack.bucket()
    if not client.bucket_exists(bucket):
        client.make_bucket(bucket)
    client.put_object(bucket, "kept/after a crash.txt", io.BytesIO(b"still here"), 10)
    before = {obj.object_name: obj.etag for obj in client.list_objects(bucket, recursive=True)}
    old = fault_stack.pids()["s3"]
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: fault_stack.pids()["s3"] != old, 30, "the supervisor to restart the object store")
    wait_for(
        lambda: len(list(client.list_objects(bucket, recursive=True))) > 0, 60, "the object store to answer"
    )
    after = {obj.object_name: obj.etag for obj in client.list_objects(bucket, recursive=True)}
    assert after == before
    response = client.get_object(bucket, "kept/after a crash.txt")
    try:
        assert response.read() == b"still here"
    finally:
        response.close()
        response.release_conn()


def parked_uploads(stack: Stack, job_id: int) -> int:
    with stack.db() as db:
        row = db.execute(
            """SELECT count(*) AS n FROM job_items i JOIN job_stages s ON s.id = i.job_stage_id AND s.stage = 'upload'
                WHERE i.job_id = %s AND i.error LIKE 'waiting for the object store%%'""",
            (job_id,),
        ).fetchone()
    return int(row["n"])


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


def test_kill_9_of_the_scheduler_and_a_downloader_mid_job(fault_stack: Stack) -> None:
    stub = fault_stack.scheduler()
    playlists = [own_playlist(fault_stack, "qq", 2), own_playlist(fault_stack, "netease", 3)]
    fault_stack.sandbox.set_faults(media_bps=150_000)
    try:
        job = jobs.create(stub, "download_only", playlist_ids=playlists, workers=10)
        jobs.wait_until(stub, job.id, lambda j: jobs.settled(j, "download") >= 15, 120, "15 songs")
        kill_and_wait_restart(fault_stack, "scheduler")
        stub = fault_stack.scheduler()
        jobs.wait_until(stub, job.id, lambda j: jobs.settled(j, "download") >= 40, 120, "40 songs")
        kill_and_wait_restart(fault_stack, "downloader")
    finally:
        fault_stack.sandbox.clear_faults()
    done = jobs.wait_status(stub, job.id, jobs.TERMINAL, 300)
    assert done.status == "completed", [(s.stage, s.status, s.failed) for s in done.stages]
    download = jobs.stage(done, "download")
    assert (download.total, download.succeeded, download.failed) == (2 * TRACKS, 2 * TRACKS, 0)
    with fault_stack.db() as db:
        interrupted = db.execute(
            "SELECT count(*) AS n FROM job_events WHERE job_id = %s AND event_type = 'items_interrupted'",
            (job.id,),
        ).fetchone()
        exported = db.execute(
            "SELECT data->>'folder' AS folder FROM job_events WHERE job_id = %s AND event_type = 'playlist_exported'",
            (job.id,),
        ).fetchall()
    assert interrupted["n"] >= 1, "the killed scheduler's items went back to the queue"
    assert_library_matches(fault_stack, playlists, 2 * TRACKS)
    assert len(exported) == 2, "both playlists got their export folder, across the restarts"
    for row in exported:
        m3u8 = fault_stack.library_root / row["folder"] / "playlist.m3u8"
        entries = [line for line in m3u8.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
        assert len(entries) == TRACKS and all((m3u8.parent / entry).is_file() for entry in entries)


def test_kill_9_of_postgresql_mid_job(fault_stack: Stack) -> None:
    """The stack supervises its PostgreSQL: killed mid-job, it is back by itself and the job finishes."""
    stub = fault_stack.scheduler()
    playlists = [own_playlist(fault_stack, "kuwo", 3)]
    fault_stack.sandbox.set_faults(media_bps=150_000)
    try:
        job = jobs.create(stub, "download_only", playlist_ids=playlists, workers=5)
        jobs.wait_until(stub, job.id, lambda j: jobs.settled(j, "download") >= 10, 120, "10 songs")
        kill_and_wait_restart(fault_stack, "postgres")
    finally:
        fault_stack.sandbox.clear_faults()
    done = jobs.wait_status(fault_stack.scheduler(), job.id, jobs.TERMINAL, 300)
    assert done.status == "completed"
    assert jobs.stage(done, "download").succeeded == TRACKS
    assert_library_matches(fault_stack, playlists, TRACKS)
